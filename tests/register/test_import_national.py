"""`register import` at national size on PostgreSQL: 70,000 enterprises (more than the 65,535
bind parameters of one statement) imported, then re-imported with some rows changed; every
statement is a fixed-size batch (COPY + INSERT ... SELECT, id look-ups in chunks)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from ecomstat.register.importer import import_register
from ecomstat.store import transaction
from ecomstat.store.models import Enterprise, Website

N = 70_000
HEADER = "id,name,country,nace,employees,email,url,weight\n"


def _write(path: Path, changed_every: int = 0) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(N):
            name = f"Firma {i} GmbH" + (" (neu)" if changed_every and i % changed_every == 0 else "")
            url = f"https://www.firma-{i}.de/" if i % 2 == 0 else ""
            handle.write(f"DE{i:09d},{name},DE,4791,{10 + i % 300},info@firma-{i}.de,{url},2.5\n")


@pytest.mark.postgres
@pytest.mark.slow
def test_import_and_reimport_70000_enterprises(pg_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    _write(path)
    first = import_register(pg_engine, path, snapshot="2026", parallel=False)
    assert (first.rows, first.inserted, first.websites_added) == (N, N, N // 2)

    _write(path, changed_every=7)
    second = import_register(pg_engine, path, snapshot="2027", parallel=False)
    changed = len(range(0, N, 7))
    assert (second.inserted, second.updated, second.unchanged) == (0, changed, N - changed)
    with transaction(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(Enterprise)) == N
        assert session.scalar(select(func.count()).select_from(Website)) == N // 2
        renamed = session.scalar(select(Enterprise.name).where(Enterprise.id == "DE000000007"))
    assert renamed == "Firma 7 GmbH (neu)"
