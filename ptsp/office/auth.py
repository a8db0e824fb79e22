"""Accounts, roles, passwords (argon2id), login with lockout, sessions and CSRF tokens.

Sessions are server-side: the cookie holds a random token, the database only its SHA-256, so
a copy of the database opens no session; logging out or disabling an account ends it at once.
Every form carries the session's CSRF token (before login: the token of a short-lived cookie,
double-submit). Roles follow the SOP: the back office drafts, the Kasi and the Kabid initial,
the Kepala Dinas signs, the admin manages accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import PtspError
from .store import OfficeStore, Session, User, UserExists, utcnow

BACKOFFICE, KASI, KABID, KADIS, ADMIN = "backoffice", "kasi", "kabid", "kadis", "admin"
ROLES = {
    BACKOFFICE: "Petugas Back Office",
    KASI: "Kepala Seksi",
    KABID: "Kepala Bidang",
    KADIS: "Kepala Dinas",
    ADMIN: "Administrator",
}
STAFF = frozenset({BACKOFFICE, KASI, KABID, KADIS})
USERNAME_RE = re.compile(r"[a-z][a-z0-9._-]{2,31}")
#: Actor names the registry already uses for itself: no account may take them.
RESERVED_NAMES = frozenset({"cli", "portal", "system", "admin-cli"})
MIN_PASSWORD = 10

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=10)  # one working day, at most
SESSION_IDLE = timedelta(minutes=60)

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _hasher.hash("tidak-ada-pengguna-ini")


class AccountError(PtspError):
    """An account could not be created or changed (message for people)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def create_user(store: OfficeStore, username: str, role: str, password: str,
                full_name: str = "") -> User:
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username) or username in RESERVED_NAMES:
        raise AccountError(f"invalid user name {username!r}: 3-32 characters, lower-case "
                           "letters, digits, '.', '_' or '-', starting with a letter")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    check_new_password(password)
    try:
        return store.add_user(username, full_name.strip() or username, role,
                              hash_password(password))
    except UserExists:
        raise AccountError(f"user {username} already exists") from None


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok | unknown | disabled | locked | bad_password | locked_now

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def authenticate(store: OfficeStore, username: str, password: str, *,
                 now: datetime | None = None, max_failures: int = MAX_FAILURES,
                 lock_for: timedelta = LOCK_FOR) -> LoginResult:
    """Check a login. A locked or disabled account is refused even with the right password;
    ``max_failures`` wrong passwords in a row lock the account for ``lock_for``."""
    now = now or utcnow()
    user = store.user(username.strip().lower()) if username else None
    if user is None:
        verify_password(_DUMMY_HASH, password)  # the same work as for a real account
        return LoginResult(None, "unknown")
    good = verify_password(user.password_hash, password)
    if not user.active:
        return LoginResult(user, "disabled")
    if user.locked(now):
        return LoginResult(user, "locked")
    if not good:
        _, until = store.record_failure(user.id, now=now, limit=max_failures, lock_for=lock_for)
        return LoginResult(user, "locked_now" if until else "bad_password")
    changes: dict[str, object] = {}
    if user.failed_count or user.locked_until:
        changes |= {"failed_count": 0, "locked_until": None}  # failures count in a row
    if _hasher.check_needs_rehash(user.password_hash):
        changes["password_hash"] = hash_password(password)
    if changes:
        store.update_user(user.username, **changes)
    return LoginResult(user, "ok")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: OfficeStore, user: User) -> str:
    """A new session for ``user``; returns the cookie value (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    store.create_session(token_digest(token), user.id, secrets.token_urlsafe(32), now=utcnow(),
                         lifetime=SESSION_LIFETIME)
    return token


def current_session(store: OfficeStore, token: str | None) -> Session | None:
    """The live session of a cookie value, or None (unknown, expired, idle, disabled)."""
    if not token or len(token) > 100:
        return None
    sid = token_digest(token)
    s = store.session(sid)
    now = utcnow()
    if s is None:
        return None
    if s.expires_at <= now or now - s.last_seen_at > SESSION_IDLE or not s.user.active:
        store.delete_session(sid)
        return None
    if now - s.last_seen_at > timedelta(minutes=1):
        store.touch_session(sid, now)
    return s


def same_token(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
