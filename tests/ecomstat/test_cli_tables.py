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
