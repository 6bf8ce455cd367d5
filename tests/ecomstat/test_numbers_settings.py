"""Numeric settings are finite (issue 12 item 5, audit): `ECOMSTAT_ECOMMERCE_THRESHOLD=nan` was
accepted and made every page "not a shop" without a word (NaN compares False), and `inf` or
`1e999` passed into timeouts, delays and thresholds. One line naming the setting, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecomstat.cli import app
from ecomstat.errors import ConfigurationError
from ecomstat.settings import Settings

runner = CliRunner()

NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400"]


@pytest.mark.parametrize("value", NOT_FINITE)
def test_getfloat_refuses_what_is_not_a_finite_number(value: str) -> None:
    settings = Settings(environ={"ECOMSTAT_QUERY_TIMEOUT": value})
    with pytest.raises(ConfigurationError, match=r"^ECOMSTAT_QUERY_TIMEOUT: .* not a finite"):
        settings.getfloat("ECOMSTAT_QUERY_TIMEOUT")


@pytest.mark.parametrize("value", ["0.25", "1e3", "-2", " 7 "])
def test_getfloat_keeps_finite_numbers(value: str) -> None:
    assert Settings(environ={"ECOMSTAT_QUERY_TIMEOUT": value}).getfloat(
        "ECOMSTAT_QUERY_TIMEOUT") == float(value)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_nan_threshold_is_one_line_not_a_silent_no(tmp_path: Path, value: str) -> None:
    page = tmp_path / "shop.html"
    page.write_text("<html><title>Shop</title><body>Add to cart. Checkout.</body></html>",
                    encoding="utf-8")
    result = runner.invoke(app, ["classify", "page", str(page)],
                           env={"ECOMSTAT_ECOMMERCE_THRESHOLD": value})
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: ECOMSTAT_ECOMMERCE_THRESHOLD: {value} is not a finite number"]
    assert result.stdout == ""
