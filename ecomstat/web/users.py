"""Users of the web application and their roles: the library behind `ecomstat user ...`, the
admin pages and the demo's users (one implementation for all three).

Passwords are hashed with scrypt (stdlib `hashlib.scrypt`, a per-user random salt); the stored
hash carries its parameters (`scrypt$n=32768,r=8,p=1$salt$hash`), so they can be raised later
while old hashes still verify (and are re-hashed at the next sign-in). A password is never
logged, echoed or stored in clear. This module imports no web framework: the CLI uses it too.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select

from ecomstat.errors import BadInput, EcomstatError
from ecomstat.settings import Settings
from ecomstat.store.engine import transaction
from ecomstat.store.models import WebSession, WebUser


class Role(enum.IntEnum):
    """Cumulative roles (issue 18): economists read results; register clerks also decide
    findings; operators also manage campaigns and crawls; admins also manage users."""

    economist = 1
    register = 2
    operator = 3
    admin = 4


ROLE_NAMES: tuple[str, ...] = tuple(role.name for role in Role)

# scrypt cost: n=2**15, r=8 uses 32 MiB and ~0.1 s per hash on one core: slow for a guesser
# with a stolen database, fast enough for a sign-in. Raise here; old hashes keep verifying.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
MAX_PASSWORD_CHARS = 1024  # hashing a megabyte "password" is a cheap denial of service
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class UserNotFound(BadInput):
    """No user of that name."""


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    created_at: dt.datetime | None
    last_login_at: dt.datetime | None


def parse_role(value: str | Role) -> Role:
    if isinstance(value, Role):
        return value
    try:
        return Role[str(value).strip().lower()]
    except KeyError:
        raise BadInput(f"unknown role {value!r}; choose one of {', '.join(ROLE_NAMES)}") from None


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise BadInput(f"invalid user name {name!r}: 1-100 characters, letters, digits and . _ @ - "
                       "(starting with a letter or digit)")
    return name


def check_password(password: str, settings: Settings) -> None:
    """The password rules: not empty, at least ECOMSTAT_WEB_PASSWORD_MIN_LENGTH characters,
    at most MAX_PASSWORD_CHARS."""
    minimum = max(1, settings.getint("ECOMSTAT_WEB_PASSWORD_MIN_LENGTH"))
    if not password or not password.strip():
        raise BadInput("the password is empty")
    if len(password) < minimum:
        raise BadInput(f"the password is too short: at least {minimum} characters "
                       "(ECOMSTAT_WEB_PASSWORD_MIN_LENGTH)")
    if len(password) > MAX_PASSWORD_CHARS:
        raise BadInput(f"the password is too long: at most {MAX_PASSWORD_CHARS} characters")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + 1024 * 1024, dklen=length)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _KEY_BYTES)
    return f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse_hash(stored: str) -> tuple[dict[str, int], bytes, bytes] | None:
    try:
        scheme, params, salt, key = stored.split("$")
        if scheme != "scrypt":
            return None
        values = {k: int(v) for k, v in (item.split("=") for item in params.split(","))}
        if set(values) != {"n", "r", "p"} or not 2 <= values["n"] <= 2**20 or not 1 <= values["r"] <= 32 \
                or not 1 <= values["p"] <= 16:
            return None
        return values, base64.b64decode(salt), base64.b64decode(key)
    except (ValueError, TypeError):
        return None


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison); False for a
    wrong password or an unreadable hash."""
    parsed = _parse_hash(stored)
    if parsed is None or len(password) > MAX_PASSWORD_CHARS:
        return False
    params, salt, key = parsed
    candidate = _scrypt(password, salt, params["n"], params["r"], params["p"], len(key))
    return hmac.compare_digest(candidate, key)


def needs_rehash(stored: str) -> bool:
    parsed = _parse_hash(stored)
    return parsed is None or parsed[0] != {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}


# verifying against this when the user does not exist costs as much as a real check, so the
# response time does not tell which user names exist
_DUMMY_HASH = f"scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(bytes(_SALT_BYTES))}${_b64(bytes(_KEY_BYTES))}"


def _info(row: WebUser) -> UserInfo:
    return UserInfo(name=row.name, role=parse_role(row.role), created_at=row.created_at,
                    last_login_at=row.last_login_at)


def _get(session, name: str) -> WebUser:  # type: ignore[no-untyped-def]
    row = session.scalar(select(WebUser).where(WebUser.name == name))
    if row is None:
        raise UserNotFound(f"no user named {name!r}")
    return row


def add_user(engine: Engine, name: str, role: str | Role, password: str, settings: Settings) -> UserInfo:
    """Create a user; BadInput for an invalid name, role or password or a name already taken."""
    check_name(name)
    parsed = parse_role(role)
    check_password(password, settings)
    hashed = hash_password(password)
    with transaction(engine) as session:
        if session.scalar(select(WebUser.id).where(WebUser.name == name)) is not None:
            raise BadInput(f"a user named {name!r} exists already")
        row = WebUser(name=name, role=parsed.name, password_hash=hashed)
        session.add(row)
        session.flush()
        return _info(row)


def list_users(engine: Engine) -> list[UserInfo]:
    with transaction(engine) as session:
        return [_info(row) for row in session.scalars(select(WebUser).order_by(WebUser.name))]


def get_user(engine: Engine, name: str) -> UserInfo | None:
    with transaction(engine) as session:
        row = session.scalar(select(WebUser).where(WebUser.name == name))
        return None if row is None else _info(row)


def _admins(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(WebUser).where(WebUser.role == Role.admin.name)) or 0


def set_role(engine: Engine, name: str, role: str | Role) -> UserInfo:
    """Change a user's role (effective at their next request). The last admin cannot lose the
    role: nobody could manage users in the browser any more."""
    parsed = parse_role(role)
    with transaction(engine) as session:
        row = _get(session, name)
        if row.role == Role.admin.name and parsed is not Role.admin and _admins(session) <= 1:
            raise BadInput(f"{name!r} is the last admin; make another user admin first")
        row.role = parsed.name
        row.updated_at = dt.datetime.now(dt.timezone.utc)
        return _info(row)


def set_password(engine: Engine, name: str, password: str, settings: Settings) -> None:
    """Set a new password and sign the user out everywhere (a reset after a leak must end the
    sessions opened with the old one)."""
    check_password(password, settings)
    hashed = hash_password(password)
    with transaction(engine) as session:
        row = _get(session, name)
        row.password_hash = hashed
        row.updated_at = dt.datetime.now(dt.timezone.utc)
        session.execute(delete(WebSession).where(WebSession.user_id == row.id))


def remove_user(engine: Engine, name: str) -> None:
    """Remove a user and their sessions (they are signed out at their next request). The last
    admin cannot be removed."""
    with transaction(engine) as session:
        row = _get(session, name)
        if row.role == Role.admin.name and _admins(session) <= 1:
            raise BadInput(f"{name!r} is the last admin; make another user admin first")
        session.execute(delete(WebSession).where(WebSession.user_id == row.id))
        session.delete(row)


def authenticate(engine: Engine, name: str, password: str) -> UserInfo | None:
    """The user if `password` is theirs, else None (the same work either way). A hash made with
    older parameters is replaced by one with the current ones."""
    with transaction(engine) as session:
        row = session.scalar(select(WebUser).where(WebUser.name == name)) if name else None
        if row is None:
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, row.password_hash):
            return None
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        row.last_login_at = dt.datetime.now(dt.timezone.utc)
        return _info(row)


def generate_password(length: int = 16) -> str:
    """A random password for a new user (the demo's): letters and digits, no look-alikes."""
    if length < 8:
        raise EcomstatError("a generated password needs at least 8 characters")
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
