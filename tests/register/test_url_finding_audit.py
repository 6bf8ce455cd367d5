"""Audit of issue 5, part 4: the URL-finding target (F1 >= 0.90) on a sample web the matcher was
not fitted on, through the commands a user runs: import, discover, crawl, match, evaluate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecomstat.demo import demo_environment
from ecomstat.sampleweb import SampleWebServer, generate, write_host_map, write_population


@pytest.mark.slow
def test_url_finding_f1_on_an_unseen_sample_web(tmp_path: Path, chromium_path: str) -> None:
    population = generate(n=60, seed=11)
    sample = tmp_path / "sampleweb"
    write_population(population, sample)
    db = f"sqlite:///{tmp_path / 'e.db'}"

    def ecomstat(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "ecomstat", "--db", db, *args], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        return proc.stdout

    with SampleWebServer(population) as server:
        write_host_map(population, server, sample / "hosts.txt")
        env = {**os.environ, **demo_environment(tmp_path, sample / "hosts.txt"),
               "ECOMSTAT_CHROMIUM_PATH": chromium_path}
        ecomstat("register", "import", str(sample / "register.csv"))
        ecomstat("register", "discover")
        ecomstat("crawl", "sites", "--all", "--max-pages", "15")
        ecomstat("register", "match")
    rows = [json.loads(line) for line in
            ecomstat("register", "evaluate", "--truth", str(sample / "truth.csv"), "--format", "json").splitlines()]
    scores = next(r for r in rows if r["enterprises"] == "all")
    print("URL finding on the unseen sample web (n=60, seed 11):", rows)
    assert scores["f1"] >= 0.90, scores
    assert scores["precision"] >= 0.90 and scores["recall"] >= 0.90, scores
