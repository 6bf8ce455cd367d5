"""Waves (issue 17): the cost of recording a wave, of the views and of comparing two waves, on a
synthetic store (indicators.adoption_synthetic), against baselines measured in the same run:
the pre-0005 `v_enterprise_web` and the live `load_units`.

    python bench/bench_waves.py --n 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from ecomstat.indicators.adoption_synthetic import synthetic_store
from ecomstat.indicators.changes import compare_waves
from ecomstat.indicators.units import load_units
from ecomstat.store import make_engine, upgrade
from ecomstat.store.views import VIEWS
from ecomstat.store.waves import record_wave


def timed(call: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url, create=True)
    upgrade(engine)
    synthetic_store(engine, args.n)

    def count(sql: str) -> Callable[[], None]:
        def run() -> None:
            with engine.connect() as connection:
                connection.execute(text(f"SELECT COUNT(*), COUNT(web_sales) FROM ({sql}) v")).one()
        return run

    old_view = timed(count(VIEWS["v_enterprise_web"]))
    new_view = timed(count("SELECT * FROM v_enterprise_web"))
    record = timed(lambda: record_wave(engine, "B1"), repeat=1)
    record_wave(engine, "B2")
    live_units = timed(lambda: load_units(engine))
    wave_units = timed(lambda: load_units(engine, wave="B1"))
    compare = timed(lambda: compare_waves(engine, "B1", "B2"), repeat=1)
    print(f"n={args.n} enterprises ({engine.dialect.name})")
    print(f"v_enterprise_web full scan: old {old_view:.2f}s, new {new_view:.2f}s "
          f"(x{new_view / old_view:.2f})")
    print(f"record_wave: {record:.2f}s (x{record / old_view:.2f} of the old view scan)")
    print(f"load_units: live {live_units:.2f}s, from a wave's record {wave_units:.2f}s "
          f"(x{wave_units / live_units:.2f})")
    print(f"compare_waves (enterprises + paired indicator changes, stored): {compare:.2f}s")


if __name__ == "__main__":
    main()
