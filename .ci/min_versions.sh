#!/usr/bin/env bash
# Minimum-versions job: a fresh virtualenv with every declared dependency at its floor
# (`name==floor` for each `name>=floor` in pyproject.toml, test extra included), then a fast
# subset of the suite. Proves the floors are true: code that needs a newer library fails here.
# Usage: bash .ci/min_versions.sh [VENV_DIR]   (default: a temporary folder, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${1:-}"
if [ -z "$venv" ]; then
  venv="$(mktemp -d -t ecomstat-min-XXXXXX)"
  trap 'rm -rf "$venv"' EXIT
fi
# the floors, read with this interpreter (the new venv has no `packaging` yet)
mapfile -t floors < <(python .ci/lock.py --floors)
python -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
echo "installing the declared floors: ${floors[*]}"
python -m pip install -q "${floors[@]}"
python -m pip install -q --no-deps -e .
python -m pip check
python -m pip list --format=freeze \
  | grep -iE "^(scrapy|twisted|lxml|numpy|scipy|scikit-learn|sqlalchemy|typer|click|py3langid|selectolax|w3lib|apscheduler|fastapi|starlette|openpyxl)==" || true

# the fast subset: each component that imports a floored library (store and SQL: SQLAlchemy,
# alembic, psycopg, pyarrow, sqlglot; crawl: Scrapy, Twisted, lxml, w3lib, warcio, isal,
# py3langid; classifiers: numpy, scipy, scikit-learn, selectolax, pyahocorasick; register:
# rapidfuzz, python-stdnum, phonenumbers; indicators: matplotlib, Jinja2; scheduler:
# APScheduler (its file clock patches APScheduler's modules: two service tests, not all 12); web: FastAPI, python-multipart,
# httpx, openpyxl; CLI: typer, click), without the slow, browser and service-bound tests.
# Measured time in CONTRIBUTING.md ("Dependencies").
export ECOMSTAT_CHROMIUM_PATH=/nonexistent
# the crawl-delay timing test runs in the main suite; beside it, on two loaded cores, its
# >= 0.9 s gaps between requests failed once (CI run of 7c8d19b)
python -m pytest -q -p no:cacheprovider -m "not slow and not chromium and not postgres and not redis" \
  --deselect tests/spiders/test_crawl_sites.py::test_private_address_refused_and_crawl_delay_honoured \
  tests/store tests/spiders/test_components.py tests/spiders/test_crawl_sites.py \
  tests/spiders/test_language.py tests/spiders/test_traps.py tests/spiders/test_warc_payload.py \
  tests/classifiers tests/register/test_matching.py tests/register/test_validation.py \
  tests/register/test_extract.py tests/indicators/test_coverage.py tests/indicators/test_report.py \
  tests/ecomstat/test_encoding.py tests/ecomstat/test_netsafety.py tests/ecomstat/test_cli_errors.py \
  tests/ecomstat/test_cli_structure.py tests/scheduler/test_clock.py \
  "tests/scheduler/test_scheduler.py::test_fire_time_missed_while_down_runs_once_at_start_up" \
  "tests/scheduler/test_scheduler.py::test_failing_step_is_retried_then_failed_and_next_run_still_happens" \
  tests/web/test_users.py tests/web/test_auth.py tests/web/test_economist.py
