"""The scratch tables `register match` works through, so its memory does not grow with the register.

Matching needs, for every enterprise, the sites sharing a blocking key with it, and then a
one-to-one assignment over every scored pair. Held in Python that is every register record,
every site's facts and a key index over all sites (~5.7 KB per enterprise, ~6 GB at 1,000,000).
Instead the facts, the keys and the scored pairs go to temporary tables of the match's own
connection and transaction (session-local on PostgreSQL, the `temp` schema on SQLite) and are
read back a chunk at a time. They are dropped when the match ends; a failed match rolls them back.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import (Boolean, Column, Connection, Float, Integer, MetaData, String, Table,
                        Text, text)

from ecomstat.register.extract import SiteFacts

metadata = MetaData()


def _temporary(name: str, *columns: Column) -> Table:
    return Table(name, metadata, *columns, prefixes=["TEMPORARY"])


# one row per site read (parked sites included: redirects are resolved against every domain)
site_table = _temporary(
    "tmp_match_site",
    Column("site_id", Integer, primary_key=True),
    Column("domain", String, nullable=False, index=True),
    Column("target", String, nullable=False),  # registered domain the home page ended up on
    Column("parked", String),  # why the home page looks parked, if it does
    Column("attached", String),  # enterprise the site was found for / linked to
    Column("alias", Boolean, nullable=False, default=False),  # redirects to another stored site
    Column("usable", Boolean, nullable=False, default=False),  # takes part in the matching
    Column("facts", Text),  # SiteFacts as JSON (not for parked sites)
)
# blocking keys of the sites, without name words too common to block on
key_table = _temporary(
    "tmp_match_key",
    Column("key", String, primary_key=True),
    Column("site_id", Integer, primary_key=True),
)
# blocking keys of one chunk of enterprises (emptied per chunk)
record_key_table = _temporary(
    "tmp_match_record_key",
    Column("rec_seq", Integer, nullable=False),
    Column("key", String, nullable=False),
)
# the pairs of one chunk kept for scoring (emptied per chunk): their sites' facts are read
candidate_table = _temporary(
    "tmp_match_candidate",
    Column("site_id", Integer, primary_key=True),
)
# every scored pair; rec_seq is the enterprise's place in id order (ties resolve by it)
pair_table = _temporary(
    "tmp_match_pair",
    Column("rec_seq", Integer, nullable=False),
    Column("enterprise_id", String, nullable=False),
    Column("site_id", Integer, nullable=False, index=True),
    Column("probability", Float, nullable=False),
    Column("score", Float, nullable=False),  # probability rounded as stored on the website
    Column("attached", Boolean, nullable=False),  # the site was found for this enterprise
    Column("evidence", Text),  # JSON, for pairs at or above the threshold
)
# sites linked by this run
linked_table = _temporary(
    "tmp_match_linked",
    Column("site_id", Integer, primary_key=True),
)


def create(connection: Connection) -> None:
    """Fresh scratch tables on this connection (a pooled SQLite connection may still hold the
    ones of a match that failed: SQLite runs CREATE outside the transaction it rolls back)."""
    drop(connection)
    metadata.create_all(connection)


def drop(connection: Connection) -> None:
    for table in reversed(metadata.sorted_tables):
        connection.execute(text(f"DROP TABLE IF EXISTS {table.name}"))


def analyze(connection: Connection, *tables: Table) -> None:
    """Planner statistics for filled scratch tables (PostgreSQL's autovacuum never sees them)."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(f"ANALYZE {table.name}"))


_SET_FIELDS = {f.name for f in dataclasses.fields(SiteFacts) if f.default_factory is set}
_STORED_FIELDS = [f.name for f in dataclasses.fields(SiteFacts) if f.name != "derived"]


def facts_to_json(facts: SiteFacts) -> str:
    out: dict[str, Any] = {}
    for name in _STORED_FIELDS:
        value = getattr(facts, name)
        out[name] = sorted(value) if name in _SET_FIELDS else value
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def facts_from_json(data: str) -> SiteFacts:
    values = json.loads(data)
    for name in _SET_FIELDS:
        values[name] = set(values.get(name) or ())
    return SiteFacts(**values)
