"""The storage layer: every component reads and writes through here."""

from store.engine import is_sqlite, make_engine, normalise_url, session_factory, transaction
from store.migrate import current_revision, head_revision, upgrade

__all__ = [
    "current_revision",
    "head_revision",
    "is_sqlite",
    "make_engine",
    "normalise_url",
    "session_factory",
    "transaction",
    "upgrade",
]
