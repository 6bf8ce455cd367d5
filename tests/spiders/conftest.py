"""Fixtures of the spider tests: the local test web (spider_testweb.py) and a crawl environment
that is fast, local and allowed onto loopback `.test` hosts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


from spider_testweb import MiniWeb  # noqa: E402


@pytest.fixture
def miniweb() -> Iterator[MiniWeb]:
    server = MiniWeb()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def crawl_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Environment every test crawl runs with: fast, local, allowed onto loopback .test hosts."""
    monkeypatch.setenv("ECOMSTAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ECOMSTAT_ALLOW_PRIVATE_HOSTS", ".test,127.0.0.1,localhost")
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("ECOMSTAT_AUTOTHROTTLE", "false")
    monkeypatch.setenv("ECOMSTAT_RENDER", "never")
    monkeypatch.setenv("ECOMSTAT_DOWNLOAD_TIMEOUT", "5")
    monkeypatch.setenv("ECOMSTAT_CRAWL_LOG_LEVEL", "INFO")
    monkeypatch.setenv("ECOMSTAT_CONTACT_URL", "https://stats.example/crawler")
    monkeypatch.chdir(tmp_path)
    return tmp_path


