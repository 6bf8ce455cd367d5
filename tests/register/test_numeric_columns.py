"""Register `employees` and `weight` (issue 12, item 5): NaN, inf, 1e308 and absurd values are
refused naming file, line and column, exit 2, nothing imported. Before, a huge head count
crashed the import with an OverflowError traceback (SQLite) and 3e9 or a weight of 1e308 were
stored as they came."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.store.engine import transaction
from ecomstat.store.models import Enterprise

runner = CliRunner()
HEADER = "id,name,country,nace,employees,weight\n"
GOOD = "G1,Good GmbH,DE,4791,12,2.5\n"


def _import(engine: Engine, path: Path):
    url = engine.url.render_as_string(hide_password=False)
    return runner.invoke(app, ["--db", url, "register", "import", str(path)])


def _enterprises(engine: Engine) -> list[tuple]:
    with transaction(engine) as session:
        return list(session.execute(select(Enterprise.id, Enterprise.employees, Enterprise.weight)
                                    .order_by(Enterprise.id)))


@pytest.mark.parametrize(("column", "value"), [
    *[("employees", v) for v in ["nan", "inf", "-inf", "1e308", "99999999999999999999",
                                 "3000000000", "-1", "12.5"]],
    *[("weight", v) for v in ["nan", "inf", "-inf", "1e308", "0", "-1", "2e9"]],
])
def test_absurd_employees_and_weight_are_refused(engine: Engine, tmp_path: Path, column: str,
                                                 value: str) -> None:
    first = tmp_path / "first.csv"
    first.write_text(HEADER + GOOD)
    assert _import(engine, first).exit_code == 0
    before = _enterprises(engine)
    values = {"employees": "20", "weight": "1", column: value}
    bad = tmp_path / "reg.csv"
    second = f"G2,Other AG,DE,4791,{values['employees']},{values['weight']}\n"
    bad.write_text(HEADER + GOOD + second)
    result = _import(engine, bad)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    first_line = result.output.strip().splitlines()[0]
    assert first_line.startswith(f"error: {bad}, line 3, column {column}: '{value}' is not")
    assert _enterprises(engine) == before  # all or nothing


def test_plausible_extremes_are_imported(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text(HEADER + "B1,Big Corp,DE,4791,10000000,1000000000\nB2,Tiny,DE,4791,0,0.001\n")
    result = _import(engine, path)
    assert result.exit_code == 0, result.output
    assert _enterprises(engine) == [("B1", 10_000_000, 1e9), ("B2", 0, 0.001)]
