"""The sample web's benchmark knobs (`js_share`, server `latency`) leave the default population
and server exactly as they were."""

from __future__ import annotations

import hashlib
import time
import urllib.request
from pathlib import Path

import pytest

from ecomstat.errors import BadInput
from ecomstat.sampleweb import SampleWebServer, generate, write_population

# sha256 of the default populations (files written, site specs, redirects), taken before the knobs
DEFAULT_POPULATIONS = "e94de80865446c2f568185dc44bf419e539f9681df62651c3cd48734e6489ad3"


def test_default_population_is_byte_identical(tmp_path: Path) -> None:
    digest = hashlib.sha256()
    for n, seed in ((200, 0), (120, 7)):
        population = generate(n=n, seed=seed)
        out = tmp_path / f"{n}-{seed}"
        write_population(population, out)
        for file in sorted(out.iterdir()):
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
        digest.update(repr(sorted(population.sites.items())).encode())
        digest.update(repr(sorted(population.redirects.items())).encode())
    assert digest.hexdigest() == DEFAULT_POPULATIONS


def test_js_share_sets_the_share_of_javascript_only_shops() -> None:
    population = generate(n=120, seed=0, js_share=0.1)
    with_site = [t for t in population.truth if t.has_website]
    assert len(with_site) == 100 and sum(t.needs_js for t in with_site) == 10
    spa = {s.enterprise_id for s in population.sites.values() if s.kind == "spa"}
    assert spa == {t.id for t in with_site if t.needs_js}
    assert all(population.sites[t.true_url.split("/")[2]].products for t in with_site
               if t.needs_js)  # shops with products to find once rendered
    none = generate(n=120, seed=0, js_share=0.0)
    assert not any(t.needs_js for t in none.truth)
    # the rest of the population is the default one: same register, same hosts
    default = generate(n=120, seed=0)
    assert [r.id for r in none.register] == [r.id for r in default.register]
    assert set(none.sites) == set(default.sites)
    with pytest.raises(BadInput):
        generate(n=10, js_share=1.5)


def test_server_latency_delays_each_response() -> None:
    population = generate(n=5, seed=0)
    host = next(iter(population.sites))
    with pytest.raises(BadInput):
        SampleWebServer(population, latency=-1)
    with SampleWebServer(population, latency=0.3) as server:
        request = urllib.request.Request(f"http://{server.address}/", headers={"Host": host})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        assert time.monotonic() - started >= 0.3


def test_server_latency_spread_draws_each_delay_in_its_range() -> None:
    population = generate(n=5, seed=0)
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(BadInput):
            SampleWebServer(population, latency=0.2, latency_spread=bad)
    server = SampleWebServer(population, latency=0.2, latency_spread=0.6, latency_seed=3)
    delays = [server._httpd.response_delay() for _ in range(2000)]
    assert min(delays) >= 0.2 and max(delays) < 0.8
    # a spread, not a constant: both ends of the range are reached
    assert min(delays) < 0.25 and max(delays) > 0.75
    again = SampleWebServer(population, latency=0.2, latency_spread=0.6, latency_seed=3)
    assert [again._httpd.response_delay() for _ in range(2000)] == delays
    for unstarted in (server, again):
        unstarted._httpd.server_close()
