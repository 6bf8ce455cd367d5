"""One settings object for every component, with every default in one place.

Names are namespaced `ECOMSTAT_*`. A value comes from, in order: an explicit override (CLI flag,
test), the environment, then `DEFAULTS`. Components read typed values with `getint`, `getbool`,
`getfloat`, `getlist`, the way Scrapy components read `Settings`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from ecomstat.errors import ConfigurationError

DEFAULTS: dict[str, Any] = {
    # store
    "ECOMSTAT_DATABASE_URL": "sqlite:///ecomstat.db",  # results database (--db); a path = SQLite
    "ECOMSTAT_DATA_DIR": "ecomstat-data",  # WARC files, model files, reports
    "ECOMSTAT_QUERY_TIMEOUT": 60,  # s an `ecomstat query` may run, streaming included
    # crawling: netiquette
    "ECOMSTAT_CONTACT_URL": "",  # in the User-Agent `ecomstat/<version> (+URL)`; warned if unset
    "ECOMSTAT_OBEY_ROBOTS": True,  # robots.txt obeyed, Crawl-delay honoured, 5xx = disallow all
    "ECOMSTAT_CONCURRENT_PER_DOMAIN": 2,  # requests at once to one site
    "ECOMSTAT_CONCURRENT_REQUESTS": 32,  # requests at once, total over a run's crawl processes
    "ECOMSTAT_DOWNLOAD_DELAY": 1.0,  # s between requests to one site
    "ECOMSTAT_AUTOTHROTTLE": True,  # Scrapy AutoThrottle: slow down for slow sites
    "ECOMSTAT_DOWNLOAD_TIMEOUT": 30,  # s for a whole response
    # crawling: scope and safety
    "ECOMSTAT_MAX_PAGES": 25,  # pages per site (`crawl sites --max-pages`)
    "ECOMSTAT_MAX_DEPTH": 2,  # link hops from a site's home page
    "ECOMSTAT_MAX_RESPONSE_BYTES": 5 * 1024 * 1024,  # per response, as sent or decompressed
    "ECOMSTAT_MAX_URL_LENGTH": 2048,  # longer URLs are not followed (classify page: refused)
    "ECOMSTAT_MAX_REDIRECTS": 5,  # redirect hops per request
    "ECOMSTAT_ALLOW_PRIVATE_HOSTS": "",  # comma-separated host suffixes allowed on private IPs
    "ECOMSTAT_PREFERRED_LANGUAGES": "en",  # Accept-Language; language versions followed first
    "ECOMSTAT_RENDER": "auto",  # auto | never | always
    "ECOMSTAT_CHROMIUM_PATH": "auto",  # auto: chromium-headless-shell if installed, else chromium
    "ECOMSTAT_RENDER_CONCURRENCY": 0,  # pages rendered at once per crawl process; 0 = by CPU/memory
    "ECOMSTAT_RENDER_TIMEOUT": 20,  # s for one render, then the page is a timeout
    "ECOMSTAT_RENDER_MAX_BYTES": 20 * 1024 * 1024,  # fulfilled per rendered page (+ scripts, API)
    "ECOMSTAT_RENDER_MAX_DOM_BYTES": 5 * 1024 * 1024,  # rendered HTML; more is too-large
    "ECOMSTAT_RENDER_RECYCLE": 50,  # renders before a browser context is replaced
    "ECOMSTAT_MAX_SHOP_PAGES": 10,  # listing pages per shop (`crawl shops --max-pages`)
    "ECOMSTAT_MAX_SHOP_DEPTH": 4,  # link hops from a shop's start page (pagination, categories)
    "ECOMSTAT_HOST_MAP": "",  # file of `hostname 127.0.0.1:PORT` lines (sample web)
    "ECOMSTAT_RELAX_MAPPED_DELAYS": False,  # no politeness delay for host-mapped loopback hosts
    "ECOMSTAT_MAX_TEXT_CHARS": 20000,  # visible text stored per page
    # Python's garbage collector in a crawl process: start-up objects frozen, then these
    # thresholds (spiders/gc_tuning.py: 15% less crawl CPU than Python's 700,10,10); "" = Python's
    "ECOMSTAT_CRAWL_GC_THRESHOLD": "10000,10,10",
    "ECOMSTAT_CRAWL_LOG_LEVEL": "INFO",  # of the crawl log, ECOMSTAT_DATA_DIR/logs/run-<id>.log
    # bytes of crawled sites a crawl keeps while the database cannot be written; beyond, the
    # crawl stops and the run fails (the sites stay pending for --resume)
    "ECOMSTAT_STORE_RETRY_BYTES": 64 * 1024 * 1024,
    # crawl processes on this machine, each crawling its own share of the sites (Scrapy runs on
    # one core): 0 = auto, one per CPU (at most 8, at least 25 sites each)
    "ECOMSTAT_CRAWL_PROCESSES": 0,
    # distributed crawling
    "ECOMSTAT_BROKER_URL": "redis://127.0.0.1:6379/0",  # Celery broker (Redis or RabbitMQ URL)
    "ECOMSTAT_BATCH_SIZE": 20,  # sites per Celery batch (`crawl sites --distributed`)
    "ECOMSTAT_CRAWL_QUEUE": "ecomstat-crawl",  # Celery queue the workers take batches from
    "ECOMSTAT_BATCH_VISIBILITY_TIMEOUT": 3600,  # s before a dead worker's batch is redelivered
    # a batch whose crawl process failed (killed, crashed) is queued again this often, then its
    # sites are marked failed and the run fails
    "ECOMSTAT_BATCH_RETRIES": 2,
    # `crawl sites --distributed` gives up (exit 1, naming the batches not done) after this many
    # seconds without progress; keep it above the visibility timeout
    "ECOMSTAT_DISTRIBUTED_STALL_TIMEOUT": 7200,
    # classifiers
    "ECOMSTAT_ECOMMERCE_THRESHOLD": 0.5,  # a page at or above this probability is a shop page
    "ECOMSTAT_PRODUCT_REVIEW_THRESHOLD": 0.5,  # product codes below this confidence: needs_review
    # register
    "ECOMSTAT_MATCH_THRESHOLD": 0.5,  # site-enterprise links need this match probability
    "ECOMSTAT_URL_BLOCKLIST": "",  # path to an extra blocklist file, one domain a line
    "ECOMSTAT_SEARCH_ENDPOINT": "",  # optional web search (Brave Search API) for discovery
    "ECOMSTAT_SEARCH_KEY": "",  # its key, sent as X-Subscription-Token
    "ECOMSTAT_CANDIDATE_SUFFIX": "",  # appended to candidate hosts (".test" for the sample web)
    # scheduler
    "ECOMSTAT_MISFIRE_GRACE_SECONDS": 6 * 3600,  # a fire time missed by less is run at start-up
    "ECOMSTAT_SHUTDOWN_GRACE_SECONDS": 30,  # s a step has after SIGTERM before it is killed
    "ECOMSTAT_TIMEZONE": "UTC",  # zoneinfo name the campaigns' cron expressions are read in
    "ECOMSTAT_SCHEDULER_HEARTBEAT_SECONDS": 5.0,  # the scheduler service's heartbeat interval
    # days the rows of stopped or dead scheduler services are kept (each host's latest is
    # always kept); pruned when a scheduler starts; 0 keeps them all
    "ECOMSTAT_SCHEDULER_INSTANCE_RETENTION_DAYS": 30,
    # tests only: a file holding the scheduler service's current time (epoch seconds), which
    # the test moves to fire campaigns; empty = the system clock
    "ECOMSTAT_SCHEDULER_CLOCK": "",
    # crawl operations: crawl processes write their live figures and heartbeat this often; a
    # process (crawl or scheduler) is dead after this many missed heartbeats
    "ECOMSTAT_LIVE_STATS_SECONDS": 5.0,
    "ECOMSTAT_HEARTBEAT_MISSES": 3,
    # web application (`ecomstat serve`)
    "ECOMSTAT_WEB_SESSION_HOURS": 12.0,  # a sign-in lasts this long, then the user signs in again
    # the site is served over https (by uvicorn or a reverse proxy): cookies get the Secure flag
    # and responses a Strict-Transport-Security header
    "ECOMSTAT_WEB_HTTPS": False,
    "ECOMSTAT_WEB_PASSWORD_MIN_LENGTH": 10,  # shortest password `user add` and the admin page take
    "ECOMSTAT_WEB_LOGIN_MAX_FAILURES": 5,  # failed sign-ins per user name in the window, then 429
    "ECOMSTAT_WEB_LOGIN_MAX_FAILURES_PER_ADDRESS": 20,  # failed sign-ins per client address
    "ECOMSTAT_WEB_LOGIN_WINDOW_SECONDS": 900,  # window of the two limits above (s)
    # single sign-on behind a reverse proxy: the request header naming the signed-in user (e.g.
    # X-Remote-User); empty = off. Honoured only from ECOMSTAT_WEB_TRUSTED_PROXIES
    "ECOMSTAT_WEB_TRUSTED_USER_HEADER": "",
    # comma-separated addresses or networks (127.0.0.1, 10.0.0.0/8) of reverse proxies whose
    # user header and X-Forwarded-For are believed
    "ECOMSTAT_WEB_TRUSTED_PROXIES": "",
    "ECOMSTAT_WEB_MAX_BODY_BYTES": 10 * 1024 * 1024,  # largest request body (form) accepted
    "ECOMSTAT_WEB_SQL_ROWS": 500,  # rows the SQL console shows (the download has them all)
    # folder holding the mobile-data input files (cell sites, population grid) named in the
    # stored SDG 9.c.1 values: the coverage page redraws its grid map from them; empty = no map
    "ECOMSTAT_MOBILE_DATA_DIR": "",
    "ECOMSTAT_WEB_MAP_MAX_CELLS": 20000,  # grid cells drawn on the map; more are merged into squares
    # indicators
    "ECOMSTAT_BOOTSTRAP_REPLICATES": 1000,  # bootstrap replicates (`indicators build`)
    "ECOMSTAT_RANDOM_STATE": 0,  # bootstrap seed (same inputs, same intervals)
    "ECOMSTAT_MIN_CELL_N": 20,  # cells with fewer units are suppressed
    "ECOMSTAT_MAX_CELL_CV": 0.35,  # cells with a larger coefficient of variation: high-cv
    # drift between waves (`ecomstat waves drift`, docs/waves.md)
    "ECOMSTAT_DRIFT_PSI_WARN": 0.1,  # population stability index from here: moderate shift (Siddiqi 2006)
    "ECOMSTAT_DRIFT_PSI_ALERT": 0.25,  # population stability index above this: major shift (Siddiqi 2006)
    "ECOMSTAT_DRIFT_MIN_GROUP": 100,  # a group with fewer units in either wave is not judged
    # mobile-data indicators (SDG 9.c.1 coverage, SDG 17.8.1 internet use)
    "ECOMSTAT_COVERAGE_POPULATION_COLUMN": "population",  # population column of the grid file
    "ECOMSTAT_COVERAGE_DEFAULT_RANGE_M": 0.0,  # range of cells with 0/empty range (0: none)
    "ECOMSTAT_COVERAGE_MAX_RANGE_M": 0.0,  # cap on cell ranges (0: no cap)
    "ECOMSTAT_COVERAGE_CDMA_LEVEL": "2G",  # OpenCelliD CDMA: ITU counts CDMA2000 1x as 2G
    "ECOMSTAT_COVERAGE_GRID_CELL_M": 100.0,  # side of a population grid square (--method area)
    "ECOMSTAT_COVERAGE_AREA_SAMPLES": 5,  # sample points per side of a square (--method area)
    "ECOMSTAT_COVERAGE_MAX_OUTSIDE_PCT": 5.0,  # flag when more population is beyond the cells
    "ECOMSTAT_INTERNET_USE_MIN_COUNT": 20,  # SIM counts below this are suppressed
    "ECOMSTAT_INTERNET_USE_REPLICATES": 2000,  # Monte Carlo draws for the interval
    "ECOMSTAT_INTERNET_USE_SEED": 0,  # seed of those draws (same inputs, same interval)
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Settings(Mapping[str, Any]):
    """Read-mostly mapping of ECOMSTAT_* settings with typed getters."""

    def __init__(
        self, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._overrides: MutableMapping[str, Any] = dict(overrides or {})

    def __getitem__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        if name in self._environ:
            return self._environ[name]
        return DEFAULTS[name]

    def __iter__(self) -> Iterator[str]:
        return iter(DEFAULTS)

    def __len__(self) -> int:
        return len(DEFAULTS)

    def set(self, name: str, value: Any) -> None:
        self._overrides[name] = value

    def copy_with(self, **overrides: Any) -> Settings:
        merged = dict(self._overrides)
        merged.update(overrides)
        return Settings(merged, self._environ)

    def getbool(self, name: str) -> bool:
        value = self[name]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigurationError(f"{name} must be true or false, got {value!r}")

    def getint(self, name: str) -> int:
        try:
            return int(self[name])
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a whole number, got {self[name]!r}") from None

    def getfloat(self, name: str) -> float:
        try:
            value = float(self[name])
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a number, got {self[name]!r}") from None
        # NaN compares False (a NaN threshold silently labels nothing) and infinity overflows
        # sums and JSON: no setting means either (issue 12 item 5)
        if not math.isfinite(value):
            raise ConfigurationError(f"{name}: {self[name]} is not a finite number")
        return value

    def getlist(self, name: str) -> list[str]:
        value = self[name]
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def getpath(self, name: str) -> Path:
        return Path(str(self[name])).expanduser()

    @property
    def database_url(self) -> str:
        return str(self["ECOMSTAT_DATABASE_URL"])


def get_settings(**overrides: Any) -> Settings:
    return Settings({k: v for k, v in overrides.items() if v is not None})
