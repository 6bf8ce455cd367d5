"""Numbers from users' files and options: finite and within a plausible range, or one line.

Python's `float()` (and numpy, pyarrow) read 'nan', 'inf', '-Infinity' and '1e308' without a
word; such values then travel into sums (1e308 + 1e308 = inf), JSON output (`Infinity` is not
JSON), the store (an integer column overflows) or silently change a result (NaN compares
False, so a NaN cell range meant "no range" while a range of 1e300 m covered the Earth).
Every reader of a user-supplied number checks it against a `Bounds`: one place that says what
is plausible and words the refusal the same way everywhere:

    cells.csv, line 7, column range: '1e300' is not a number from 0 to 150,000 m

The register imports this too (it must not import `indicators`), hence the ground package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ecomstat.errors import BadInput


def _show(value: float) -> str:
    """1e10 -> '10,000,000,000'; 0.001 -> '0.001' (bounds read better without exponents)."""
    if float(value).is_integer() and abs(value) < 1e16:
        return f"{int(value):,}"
    return f"{value:g}"


def where(path: str | Path, line: int, column: str) -> str:
    """The place of a value in a file, as the register import words it."""
    return f"{path}, line {line}, column {column}"


@dataclass(frozen=True)
class Bounds:
    """What a plausible value is: finite, within [low, high] (or (low, high] with `low_open`;
    no lower bound with `low=None`), a whole number with `integer`."""

    low: float | None
    high: float
    low_open: bool = False
    integer: bool = False
    unit: str = ""  # shown after the upper bound, e.g. "m"
    words: str | None = None  # the accepted values in words, when the default reads badly

    def describe(self) -> str:
        if self.words:
            return self.words
        kind = "a whole number" if self.integer else "a number"
        high = _show(self.high) + (f" {self.unit}" if self.unit else "")
        if self.low is None:
            return f"{kind} up to {high}"
        if self.low_open:
            return f"{kind} above {_show(self.low)} and up to {high}"
        return f"{kind} from {_show(self.low)} to {high}"

    def admits(self, value: float) -> bool:
        # Python ints are exact and may exceed a float's range: compare them as they are.
        if not isinstance(value, int) and (
            not math.isfinite(value) or (self.integer and not float(value).is_integer())
        ):
            return False
        if value > self.high:
            return False
        if self.low is None:
            return True
        return value > self.low if self.low_open else value >= self.low

    def parse(self, text: str) -> tuple[float | None, str | None]:
        """(value, None), or (None, the problem in words) for text that is not a plausible
        number; for readers that collect problems rather than stop at the first."""
        try:
            value = float(text.strip())
        except ValueError:
            value = math.nan
        if not self.admits(value):
            return None, f"{text.strip()!r} is not {self.describe()}"
        return value, None

    def read(self, text: str, place: str, error: type[BadInput] = BadInput) -> float:
        """The value of `text`, or `error` naming `place` (see `where`)."""
        value, problem = self.parse(text)
        if value is None:
            raise error(f"{place}: {problem}")
        return value

    def check(self, value: float, name: str, error: type[BadInput] = BadInput) -> float:
        """`value` (an option or setting already converted) when plausible, else `error`
        naming the option or setting `name`."""
        if not self.admits(value):
            raise error(f"{name}: {value!r} is not {self.describe()}")
        return value


# Persons employed by one enterprise: the largest employers have about 2-3 million; an
# integer column in the store (32 bits on PostgreSQL) must hold it.
EMPLOYEES = Bounds(0, 10_000_000, integer=True)
