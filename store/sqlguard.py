"""The first wall of the economists' SQL door: parse a statement before anything runs.

Rule (README "Database, queries and exports"):
- The text must parse (sqlglot, in the dialect of the database) into exactly ONE statement, and
  that statement must be a query: `SELECT`, `WITH ... SELECT`, a set operation (`UNION`,
  `INTERSECT`, `EXCEPT`) or a parenthesised query. Everything else is refused, including what
  sqlglot can only keep as an opaque `Command` (`CALL`, `DO`, `VACUUM`, `EXPLAIN`, ...).
- Anywhere in the tree: no writing or locking clause (`SELECT ... INTO`, data-modifying CTEs,
  `FOR UPDATE/SHARE`), and no call of a server function that reads or writes files, runs SQL
  text, sleeps, signals backends, changes settings, takes locks or reaches the network. The
  PostgreSQL `pg_*` namespace is refused as a whole except for a short list of harmless
  size/type/definition helpers: an allowlist where the dangerous functions live.
- What then runs is sqlglot's rendering of the checked tree, not the user's text: a parser
  difference (a quote or comment sqlglot reads otherwise than the server) cannot smuggle in
  a second statement or a call the check did not see.

The database's read-only transaction and, on PostgreSQL, the reader role
(`ecomstat db create-reader`) stay behind this wall.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from ecomstat.store.errors import ReadOnlyViolation

# sqlglot logs a warning when it falls back to an opaque Command; the refusal says it instead.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

DIALECTS = ("postgres", "sqlite")

# Query roots: a SELECT, a set operation of SELECTs, or a parenthesised one of those.
_QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)

# Nodes that write, lock, change the session or are opaque, wherever they appear in the tree.
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.DML, exp.DDL, exp.Command, exp.Copy, exp.Set, exp.Pragma, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Into, exp.Lock, exp.Attach, exp.Detach, exp.Use, exp.Grant, exp.Revoke,
    exp.Analyze, exp.Merge, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter,
)

# Harmless members of PostgreSQL's pg_* namespace (sizes, types, object definitions).
_PG_ALLOWED = frozenset({
    "pg_typeof", "pg_size_pretty", "pg_size_bytes", "pg_column_size", "pg_relation_size",
    "pg_total_relation_size", "pg_table_size", "pg_indexes_size", "pg_database_size",
    "pg_get_viewdef", "pg_get_indexdef", "pg_get_constraintdef", "pg_get_expr",
    "pg_table_is_visible", "pg_encoding_to_char",
})

# Functions refused by name (lower case, without schema; `.*` = every name with that prefix).
_DENIED = re.compile(
    r"^(?:"
    r"pg_.*"  # files, backends, WAL, locks, settings, logical messages (see _PG_ALLOWED)
    r"|lo_.*|loread|lowrite"  # large objects: lo_import/lo_export read/write server files
    r"|dblink.*|postgres_fdw.*"  # reach other servers
    r"|set_config|current_setting"  # change settings; reading them shows server paths
    r"|(?:query|table|cursor|schema|database)_to_xml.*"  # run SQL text or dump relations
    r"|ts_stat|ts_rewrite"  # run SQL text given as a string
    r"|txid_.*|nextval|setval|currval|lastval"  # take transaction ids / change sequences
    r"|load_extension|readfile|writefile|edit|fts3_tokenizer|fsdir|zipfile|sqlar_.*"  # SQLite
    r")$"
)


class ForbiddenStatement(ReadOnlyViolation):
    """The statement is not one plain SELECT; nothing was run."""


def _function_names(node: exp.Func, dialect: str) -> set[str]:
    """Every name `node` may call: the parsed name and the name sqlglot will render."""
    names = {node.name if isinstance(node, exp.Anonymous) else node.sql_name()}
    rendered = node.sql(dialect=dialect, comments=False)
    head = rendered.split("(", 1)[0].strip().strip('"`[]')
    if head:
        names.add(head)
    return {name.lower() for name in names if name}


def _refused_function(name: str) -> bool:
    if name.startswith("pg_") and name in _PG_ALLOWED:
        return False
    return bool(_DENIED.match(name))


def _first_keyword(sql: str, dialect: str) -> str:
    """The statement's first word as the server would read it (comments skipped)."""
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        tokens = []
    return tokens[0].text.upper() if tokens else "this statement"


def check_select(sql: str, dialect: str) -> str:
    """Refuse anything but one plain SELECT; return the SQL to run (the checked tree)."""
    try:
        return _check(sql, dialect)
    except RecursionError:
        raise ForbiddenStatement("the SQL statement is nested too deeply") from None


def _check(sql: str, dialect: str) -> str:
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    if not sql.strip():
        raise ForbiddenStatement("the SQL statement is empty")
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except SqlglotError as exc:
        raise ForbiddenStatement(f"cannot parse the SQL statement: {_first_line(exc)}") from None
    if len(trees) != 1:
        raise ForbiddenStatement(
            f"ecomstat query runs exactly one SELECT statement, got {len(trees)} statements")
    tree = trees[0]
    # A bare parenthesised query runs as the query itself (SQLite refuses the parentheses).
    while isinstance(tree, exp.Subquery) and not any(
            v for k, v in tree.args.items() if k != "this"):
        tree = tree.this
    if not isinstance(tree, _QUERY_ROOTS) or (
            isinstance(tree, exp.Subquery) and not isinstance(tree.unnest(), exp.Query)):
        raise ForbiddenStatement("ecomstat query runs SELECT statements only, refused: "
                                 + _first_keyword(sql, dialect))
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            what = "SELECT ... INTO" if isinstance(node, exp.Into) else (
                "a locking clause (FOR UPDATE/SHARE)" if isinstance(node, exp.Lock)
                else node.key.upper())
            raise ForbiddenStatement(f"ecomstat query is read-only, refused: {what}")
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            raise ForbiddenStatement("ecomstat query takes no bind parameters; write the values")
        if isinstance(node, exp.Func):
            refused = sorted(n for n in _function_names(node, dialect) if _refused_function(n))
            if refused:
                raise ForbiddenStatement(
                    f"ecomstat query refuses the server function {refused[0]}()")
    try:
        # RAISE: a construct sqlglot cannot render faithfully is refused, never altered.
        return tree.sql(dialect=dialect, comments=False, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise ForbiddenStatement(f"cannot run the SQL statement: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
