"""Sign-in sessions, the login rate limit and the trusted-proxy single sign-on (issue 18 item 1).

A session is a random token in an HttpOnly cookie; the store keeps only its SHA-256, the user
and the session's CSRF token. Every request reads the session and the user's CURRENT role from
the store, so a removed user or a changed role takes effect at the next request. Failed sign-ins
are rows in the store, so the rate limit holds across every process serving the same store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select

from ecomstat.settings import Settings
from ecomstat.store.engine import transaction
from ecomstat.store.models import WebLoginFailure, WebSession, WebUser
from ecomstat.web.users import Role, UserInfo, get_user, parse_role

SESSION_COOKIE = "ecomstat_session"
CSRF_COOKIE = "ecomstat_csrf"  # the pre-session token of the login form (and of SSO users)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were written in UTC
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SessionUser:
    name: str
    role: Role
    csrf_token: str


def create_session(engine: Engine, name: str, settings: Settings, client: str | None) -> str:
    """Open a session for user `name`; returns the cookie's token (shown once, never stored).
    Expired sessions of every user are deleted on the way."""
    token = new_token()
    hours = settings.getfloat("ECOMSTAT_WEB_SESSION_HOURS")
    now = _now()
    with transaction(engine) as session:
        user_id = session.scalar(select(WebUser.id).where(WebUser.name == name))
        if user_id is None:
            raise LookupError(name)
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(WebSession(token_hash=token_hash(token), user_id=user_id, csrf_token=new_token(),
                               created_at=now, expires_at=now + dt.timedelta(hours=hours),
                               client=(client or "")[:100] or None))
    return token


def session_user(engine: Engine, token: str | None) -> SessionUser | None:
    """The user of a live session with their current role, or None (no, unknown or expired
    session, or a user removed since)."""
    if not token or len(token) > 200:
        return None
    with transaction(engine) as session:
        row = session.execute(
            select(WebUser.name, WebUser.role, WebSession.csrf_token, WebSession.expires_at)
            .join(WebUser, WebUser.id == WebSession.user_id)
            .where(WebSession.token_hash == token_hash(token))
        ).first()
    if row is None or _aware(row.expires_at) <= _now():
        return None
    return SessionUser(row.name, parse_role(row.role), row.csrf_token)


def end_session(engine: Engine, token: str | None) -> None:
    if token:
        with transaction(engine) as session:
            session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def sso_user(engine: Engine, name: str) -> UserInfo | None:
    """The store's user named by a trusted proxy's header (their role from the store)."""
    return get_user(engine, name.strip()) if name and name.strip() else None


# --- the login rate limit ---


@dataclass(frozen=True)
class Throttle:
    """Why a sign-in is refused before the password is checked, and for how long."""

    reason: str
    retry_after: int


def login_throttle(engine: Engine, name: str, client: str, settings: Settings) -> Throttle | None:
    """None when a sign-in for `name` from `client` may be tried; else why not. Counts the
    failures in the last ECOMSTAT_WEB_LOGIN_WINDOW_SECONDS per user name and per address."""
    window = settings.getint("ECOMSTAT_WEB_LOGIN_WINDOW_SECONDS")
    per_user = settings.getint("ECOMSTAT_WEB_LOGIN_MAX_FAILURES")
    per_client = settings.getint("ECOMSTAT_WEB_LOGIN_MAX_FAILURES_PER_ADDRESS")
    since = _now() - dt.timedelta(seconds=window)
    with transaction(engine) as session:
        def count(*where) -> tuple[int, dt.datetime | None]:  # type: ignore[no-untyped-def]
            row = session.execute(select(func.count(), func.min(WebLoginFailure.at))
                                  .where(WebLoginFailure.at >= since, *where)).one()
            return row[0], row[1]

        for limit, where, what in (
            (per_user, WebLoginFailure.name == name[:100], "for this user"),
            (per_client, WebLoginFailure.client == client[:100], "from your address"),
        ):
            if limit <= 0:
                continue
            failures, oldest = count(where)
            if failures >= limit:
                wait = window
                if oldest is not None:
                    wait = int((_aware(oldest) + dt.timedelta(seconds=window) - _now()).total_seconds()) + 1
                minutes = max(1, -(-wait // 60))
                return Throttle(f"Too many failed sign-ins {what}. Try again in {minutes} "
                                f"minute{'s' if minutes != 1 else ''}.", max(1, wait))
    return None


def record_failure(engine: Engine, name: str, client: str, settings: Settings) -> None:
    window = settings.getint("ECOMSTAT_WEB_LOGIN_WINDOW_SECONDS")
    now = _now()
    with transaction(engine) as session:
        session.execute(delete(WebLoginFailure).where(WebLoginFailure.at < now - dt.timedelta(seconds=window)))
        session.add(WebLoginFailure(name=name[:100], client=client[:100], at=now))


def clear_failures(engine: Engine, name: str, client: str) -> None:
    """After a good sign-in: that user's failures from that address no longer count (a typo
    does not lock the user out later); failures from other addresses still do."""
    with transaction(engine) as session:
        session.execute(delete(WebLoginFailure).where(
            WebLoginFailure.name == name[:100], WebLoginFailure.client == client[:100]))


def forget_user_failures(engine: Engine, name: str) -> None:
    """An admin's password reset lifts the user's lock."""
    with transaction(engine) as session:
        session.execute(delete(WebLoginFailure).where(WebLoginFailure.name == name[:100]))


# --- addresses and proxies ---


def parse_networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    from ecomstat.errors import ConfigurationError

    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ConfigurationError(f"ECOMSTAT_WEB_TRUSTED_PROXIES: {value!r} is not an address "
                                     "or network") from None
    return networks


def is_trusted(peer: str | None, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if not peer or not networks:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: bool) -> str:
    """The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For
    entry (the one that proxy added; earlier entries are the client's to invent)."""
    if trusted and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return peer or "unknown"


def safe_next(value: str | None) -> str:
    """`next=` target: a local path only ("/..."), never another site ("//host", "/\\host",
    "https://host"); anything else is "/"."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "/"
    return value
