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
  size/type/definition helpers: an allowlist where the dangerous functions live. Likewise the
  PostgreSQL `pg_*` relations but those describing the schema (`pg_tables`, `pg_class`, ...):
  the others read server files (`pg_hba_file_rules`), password hashes or other sessions' SQL.
- The web application's tables (`web_*`: users, password hashes, sessions) are refused on both
  databases: its SQL console runs on the server's own URL.
- PostgreSQL names written as U&"..." are refused before parsing: sqlglot reads them as
  `U & "..."`, so the check would see another name than the server.
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
from sqlglot.tokens import TokenType

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


# PostgreSQL's pg_* relations an economist may read: the schema's own description. The others
# are refused (an owner's or superuser's URL reads them): pg_authid/pg_shadow (password hashes),
# pg_file_settings, pg_hba_file_rules, pg_ident_file_mappings (server files read on each
# SELECT), pg_settings and pg_config (server paths, like current_setting), pg_stat_activity
# (other sessions' SQL), pg_largeobject (server files imported with lo_import), pg_user_mapping*
# and pg_subscription (other servers' passwords). An allowlist, like _PG_ALLOWED.
_PG_RELATIONS_ALLOWED = frozenset({
    "pg_tables", "pg_views", "pg_matviews", "pg_indexes", "pg_sequences", "pg_class",
    "pg_namespace", "pg_attribute", "pg_attrdef", "pg_type", "pg_description", "pg_constraint",
    "pg_index", "pg_inherits", "pg_am", "pg_collation", "pg_enum", "pg_range", "pg_stats",
})


# The web application's own tables (`ecomstat serve`: web_user's password hashes, web_session's
# CSRF tokens, web_login_failure's client addresses): its SQL console runs economists' SQL on
# the server's own URL, so they are refused by name whatever the URL's role may read.
_APP_SECRETS_PREFIX = "web_"


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


def _unicode_escaped_identifier(sql: str, dialect: str) -> bool:
    """Whether `sql` writes an identifier as U&"..." (PostgreSQL): sqlglot reads it as `U & "..."`
    and would check (and run) another name than the server reads, e.g. U&"\\0070g_sleep"."""
    if dialect != "postgres":
        return False
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    except SqlglotError:
        return False  # the parser refuses it below
    for u, amp, ident in zip(tokens, tokens[1:], tokens[2:]):
        if (u.text.upper() == "U" and amp.token_type is TokenType.AMP
                and ident.token_type is TokenType.IDENTIFIER
                and amp.start == u.end + 1 and ident.start == amp.end + 1):
            return True
    return False


def _refused_relation(node: exp.Table, dialect: str) -> str | None:
    """Why `node` may not be read: a table of the web application (_APP_SECRETS_PREFIX) or a
    PostgreSQL system relation not in _PG_RELATIONS_ALLOWED; None when it may."""
    if not isinstance(node.this, exp.Identifier):
        return None  # a table function (FROM pg_ls_dir(...)) is a function: checked as one
    name = node.name.lower()  # SQLite folds every name; PostgreSQL unquoted ones
    if name.startswith(_APP_SECRETS_PREFIX):
        return (f"the web application's table {name} (users, password hashes, sessions, "
                "sign-in failures)")
    if dialect == "postgres" and name.startswith("pg_") and name not in _PG_RELATIONS_ALLOWED:
        return f"the server catalog {name} (server files, passwords or other sessions)"
    return None


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
    if _unicode_escaped_identifier(sql, dialect):
        raise ForbiddenStatement('ecomstat query refuses Unicode-escaped names (U&"..."): '
                                 "write the name as it is")
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
        if isinstance(node, exp.Table) and (relation := _refused_relation(node, dialect)):
            raise ForbiddenStatement(f"ecomstat query refuses {relation}")
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
