"""`register candidates` over a national register file: the file is checked in a first pass
that keeps no rows, then streamed, so memory does not grow with the register.

Before: the whole file was read into memory and every row kept as an object before the first
candidate came out (about 30 MB of Python objects for 70,000 rows, 400 MB for a million).
"""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pytest

from ecomstat.register.candidates import candidates_for_file
from ecomstat.register.errors import InvalidCandidateInput
from ecomstat.settings import Settings

N = 70_000


def _write(path: Path, rows: int, *, duplicate_last: bool = False) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,name,country,email,city\n")
        for i in range(rows):
            handle.write(f"E{i:06d},Firma {i} GmbH,DE,info@firma-{i}.de,Berlin\n")
        if duplicate_last:
            handle.write("E000007,Nochmal GmbH,DE,,\n")


def test_candidates_stream_a_national_file_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    _write(path, N)
    rows = candidates_for_file(path, Settings({}, environ={}))
    tracemalloc.start()
    try:
        first = list(itertools.islice(rows, 3))  # the whole file is checked before the first
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [row["id"] for row in first] == ["E000000", "E000001", "E000002"]
    assert first[0]["candidates"][0] == "https://firma-0.de"  # the e-mail domain first
    # the ids seen (to name a duplicate) are what grows: ~5 MB here; the rows are not kept
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MB"


def test_a_duplicate_on_the_last_line_stops_before_any_output(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    _write(path, N, duplicate_last=True)
    with pytest.raises(InvalidCandidateInput, match=f"line {N + 2}, column id: duplicate id 'E000007'"):
        next(iter(candidates_for_file(path, Settings({}, environ={}))))
