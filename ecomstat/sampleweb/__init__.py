"""The sample web: a seeded population of enterprises, their register rows, their websites
(served by one local HTTP server dispatching on the Host header under `.test`) and the ground
truth to score the pipeline against.

    pop = generate(n=200, seed=0)
    write_population(pop, "out/")            # register.csv, truth.csv, audit.csv
    with SampleWebServer(pop) as server:
        write_host_map(pop, server, "out/hosts.txt")
"""

from ecomstat.sampleweb.files import write_host_map, write_population
from ecomstat.sampleweb.generator import generate
from ecomstat.sampleweb.model import Population, RegisterRow, Site, Truth
from ecomstat.sampleweb.server import SampleWebServer

__all__ = [
    "generate",
    "write_population",
    "write_host_map",
    "SampleWebServer",
    "Population",
    "RegisterRow",
    "Site",
    "Truth",
]
