"""Revision 0009 on a database that already has findings: they become the findings of the wave
of the newest site crawl (else the UTC quarter of the newest finding), the wave is recorded as
validated, and a later wave's findings can sit beside them; downgrade keeps the newest wave's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ecomstat.store import make_engine, upgrade
from ecomstat.store.migrate import alembic_config

INSERTS = [
    "INSERT INTO enterprise (id, name, country, nace, updated_at) "
    "VALUES ('E1', 'A GmbH', 'DE', '47.91', '2026-05-02 10:00:00')",
    "INSERT INTO website (id, url, domain, status, created_at) VALUES "
    "(1, 'http://a.test/', 'a.test', 'linked', '2026-05-02 10:00:00')",
    "INSERT INTO validation_finding (enterprise_id, field, verdict, created_at) VALUES "
    "('E1', 'website', 'confirmed', '2026-05-02 10:00:00'), "
    "('E1', 'phone', 'contradicted', '2026-05-03 10:00:00')",
]
CRAWL = [
    "INSERT INTO crawl_run (id, spider, status, started_at, sites_total, sites_done, pages, wave) "
    "VALUES (1, 'enterprise_site', 'finished', '2026-04-01 10:00:00', 1, 1, 1, '2026-04'), "
    "(2, 'shop_listing', 'finished', '2026-05-01 10:00:00', 0, 0, 0, 'shops')",
    "INSERT INTO site_visit (run_id, website_id, state, pages) VALUES (1, 1, 'done', 1)",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("empty_pg_url")


@pytest.mark.parametrize("crawled", [True, False])
def test_existing_findings_get_the_wave_they_came_from(fresh_url: str, crawled: bool) -> None:
    engine = make_engine(fresh_url, create=True)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:
            for statement in INSERTS + (CRAWL if crawled else []):
                connection.execute(text(statement))
        upgrade(engine)
        expected = "2026-04" if crawled else "2026Q2"  # the site crawl's wave, else the quarter
        with engine.begin() as connection:
            assert set(connection.execute(text("SELECT wave FROM validation_finding")).scalars()) == {expected}
            recorded = connection.execute(text(
                "SELECT wave, enterprises, findings FROM validation_wave")).all()
            assert [tuple(r) for r in recorded] == [(expected, 1, 2)]
            # a later wave's finding for the same enterprise and field sits beside it
            connection.execute(text(
                "INSERT INTO validation_finding (wave, enterprise_id, field, verdict, created_at) "
                "VALUES ('2026-06', 'E1', 'phone', 'confirmed', '2026-06-01 10:00:00')"))
            connection.execute(text(
                "INSERT INTO validation_wave (wave, first_validated_at, validated_at, enterprises, "
                "findings, decided, reopened, resolved) VALUES ('2026-06', '2026-06-01 10:00:00', "
                "'2026-06-01 10:00:00', 1, 1, 0, 0, 1)"))
        from alembic import command

        with engine.begin() as connection:
            config = alembic_config(engine)
            config.attributes["connection"] = connection
            command.downgrade(config, "0008")
        with engine.begin() as connection:
            assert connection.execute(text(
                "SELECT field, verdict FROM validation_finding")).all() == [("phone", "confirmed")]
    finally:
        engine.dispose()
