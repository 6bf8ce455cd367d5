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
python -m pip list --format=freeze | grep -iE "^(scrapy|twisted|lxml|numpy|scipy|scikit-learn|sqlalchemy|typer|py3langid|selectolax|w3lib)==" || true

# the fast subset: the components each floor serves (store, crawl, classifiers, register,
# indicators, CLI), without the slow, browser and service-bound tests
export ECOMSTAT_CHROMIUM_PATH=/nonexistent
python -m pytest -q -p no:cacheprovider -m "not slow and not chromium and not postgres and not redis" \
  tests/store tests/spiders/test_components.py tests/spiders/test_crawl_sites.py \
  tests/spiders/test_language.py tests/spiders/test_traps.py tests/classifiers \
  tests/register/test_matching.py tests/indicators/test_coverage.py tests/ecomstat/test_encoding.py \
  tests/ecomstat/test_cli_errors.py
