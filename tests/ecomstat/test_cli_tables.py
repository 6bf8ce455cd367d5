"""Table output loses nothing: piped, every cell is printed whole on its row."""

from __future__ import annotations

import io
import sys

import pytest

from ecomstat.cli.common import emit_rows

LONG = "size_class=10-49|nace_section=C|region=DE11-" + "x" * 150


def test_a_piped_table_keeps_long_cells_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setenv("COLUMNS", "80")
    emit_rows(["indicator", "breakdown", "estimate"],
              [["ECOM_WEB_SALES", LONG, 12.5], ["ECOM_WEBSITE", "total", 80.25]], "table")
    lines = out.getvalue().splitlines()
    assert any(LONG in line and "ECOM_WEB_SALES" in line and "12.5" in line for line in lines)
    assert "…" not in out.getvalue()


def test_json_output_is_strict_json() -> None:
    """A NaN or infinity from a float column prints as null: `NaN`/`Infinity` are not JSON."""
    import io
    import json
    import math
    from contextlib import redirect_stdout

    from ecomstat.cli.common import OutputFormat, emit_json_line, emit_rows

    out = io.StringIO()
    with redirect_stdout(out):
        emit_rows(["a", "b"], [(math.nan, 1.5), (math.inf, {"x": [-math.inf, 2.0]})], OutputFormat.json)
        emit_json_line({"share": math.nan, "n": 3})

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    lines = [json.loads(line, parse_constant=refuse) for line in out.getvalue().splitlines()]
    assert lines == [{"a": None, "b": 1.5}, {"a": None, "b": {"x": [None, 2.0]}}, {"share": None, "n": 3}]
