"""The storage layer: every component reads and writes through here.

The names below load on first use (PEP 562), so importing a light submodule such as
`store.formats` does not pull in SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "is_sqlite": "ecomstat.store.engine",
    "lock_row": "ecomstat.store.engine",
    "make_engine": "ecomstat.store.engine",
    "normalise_url": "ecomstat.store.engine",
    "session_factory": "ecomstat.store.engine",
    "transaction": "ecomstat.store.engine",
    "current_revision": "ecomstat.store.migrate",
    "head_revision": "ecomstat.store.migrate",
    "require_current": "ecomstat.store.migrate",
    "upgrade": "ecomstat.store.migrate",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from ecomstat.store.engine import (is_sqlite, lock_row, make_engine, normalise_url, session_factory,
                              transaction)
    from ecomstat.store.migrate import current_revision, head_revision, require_current, upgrade


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
