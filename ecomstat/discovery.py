"""URL discovery wired to the crawler: the prober `register.discover.discover` is given. The
register component does not import the crawler (components are independent of each other), so
the url_probe spider is started from here, above both."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from ecomstat.settings import Settings
from ecomstat.register.discover import ProbeResult
from ecomstat.register.errors import RegisterError


def probe_with_spider(tasks: Sequence[dict[str, Any]], settings: Settings) -> dict[str, ProbeResult]:
    """Run the url_probe spider in a subprocess over `tasks` ({key, urls})."""
    from ecomstat.spiders.runner import EXIT_OK, run_spider

    if not tasks:
        return {}
    overrides = {name: settings[name] for name in (
        "ECOMSTAT_HOST_MAP", "ECOMSTAT_ALLOW_PRIVATE_HOSTS", "ECOMSTAT_RELAX_MAPPED_DELAYS",
        "ECOMSTAT_CONTACT_URL", "ECOMSTAT_CONCURRENT_REQUESTS", "ECOMSTAT_MAX_RESPONSE_BYTES",
        "ECOMSTAT_MAX_REDIRECTS", "ECOMSTAT_CRAWL_LOG_LEVEL")}
    overrides["ECOMSTAT_RENDER"] = "never"
    with tempfile.TemporaryDirectory(prefix="ecomstat-probe-") as tmp:
        input_path, output_path = Path(tmp) / "candidates.json", Path(tmp) / "probe.jsonl"
        input_path.write_text(json.dumps(list(tasks)), "utf-8")
        code = run_spider("url_probe", db_url=settings.database_url, settings=overrides,
                          spider_args={"input": str(input_path), "output": str(output_path)},
                          log_file=Path(tmp) / "probe.log")
        if code != EXIT_OK or not output_path.exists():
            log = (Path(tmp) / "probe.log").read_text("utf-8", "replace")[-800:]
            raise RegisterError(f"URL probe crawl failed (exit {code}): {log.strip().splitlines()[-1:] or ''}")
        results = {}
        for line in output_path.read_text("utf-8").splitlines():
            data = json.loads(line)
            results[data["key"]] = ProbeResult(**{k: data.get(k) for k in ProbeResult.__dataclass_fields__})
        return results
