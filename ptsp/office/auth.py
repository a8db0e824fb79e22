"""Accounts, roles, passwords (argon2id), login throttling, sessions and CSRF tokens.

Failed logins are counted per client address and user name, whether the account exists or
not: after a few, that pair waits a growing delay (2 s, 4 s, ... up to 5 minutes) and every
answer is the same, so nobody far away can lock the Kepala Dinas out and no answer tells
which names exist. An admin can lift the delays and reset a password; users change their own.

Sessions are server-side: the cookie holds a random token, the database only its SHA-256, so
a copy of the database opens no session; logging out or disabling an account ends it at once.
Every form carries the session's CSRF token (before login: the token of a short-lived cookie,
double-submit). Roles follow the SOP: the back office drafts, the Kasi and the Kabid initial,
the Kepala Dinas signs, the admin manages accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import PtspError
from .roles import ADMIN, BACKOFFICE, KABID, KADIS, KASI
from .store import OfficeStore, Session, User, UserExists, utcnow

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

FREE_FAILURES = 3  # failed logins from one address for one name before any delay
MAX_DELAY = timedelta(minutes=5)
FORGET_AFTER = timedelta(hours=24)
SESSION_LIFETIME = timedelta(hours=10)  # one working day, at most
SESSION_IDLE = timedelta(minutes=60)

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _hasher.hash("tidak-ada-pengguna-ini")


class AccountError(PtspError):
    """An account could not be created or changed: ``str()`` in English (CLI, logs),
    ``pesan`` in Bahasa Indonesia (the office pages)."""

    def __init__(self, message: str, pesan: str) -> None:
        super().__init__(message)
        self.pesan = pesan


def login_delay(failures: int) -> timedelta:
    """How long one address waits before its next try at one name after ``failures``."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_DELAY)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters",
                           f"Kata sandi harus paling sedikit {MIN_PASSWORD} karakter.")
    if len(password) > 1024:
        raise AccountError("the password is longer than 1024 characters",
                           "Kata sandi lebih dari 1024 karakter.")


def create_user(store: OfficeStore, username: str, role: str, password: str,
                full_name: str = "") -> User:
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username) or username in RESERVED_NAMES:
        raise AccountError(f"invalid user name {username!r}: 3-32 characters, lower-case "
                           "letters, digits, '.', '_' or '-', starting with a letter",
                           "Nama pengguna tidak sah: 3-32 karakter, huruf kecil, angka, titik, "
                           "garis bawah atau tanda hubung, diawali huruf"
                           + (" (nama ini dipakai sistem)." if username in RESERVED_NAMES
                              else "."))
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; use one of {', '.join(ROLES)}",
                           "Peran tidak dikenal.")
    check_new_password(password)
    try:
        return store.add_user(username, full_name.strip()[:200] or username, role,
                              hash_password(password))
    except UserExists:
        raise AccountError(f"user {username} already exists",
                           f"Pengguna {username} sudah ada.") from None


def set_password(store: OfficeStore, username: str, password: str, *,
                 keep_session: str | None = None) -> None:
    """A new password for ``username`` (checked as for a new account); the user's other
    sessions end and the delays after failed logins are lifted."""
    check_new_password(password)
    if not store.set_password(username, hash_password(password), keep_session=keep_session):
        raise AccountError(f"no user {username}", "Pengguna tidak ditemukan.")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok | unknown | disabled | bad_password | throttled
    retry_after: int = 0  # seconds, when throttled

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def authenticate(store: OfficeStore, username: str, password: str, *, client: str = "-",
                 now: datetime | None = None) -> LoginResult:
    """Check a login from ``client`` (the address). While that address waits after failed
    logins at that name, the password is not even checked; unknown names count the same."""
    now = now or utcnow()
    name = username.strip().lower()[:64]
    until = store.login_blocked_until(client, name, now)
    if until is not None:
        return LoginResult(None, "throttled", max(1, math.ceil((until - now).total_seconds())))
    user = store.user(name) if name else None
    if user is None:
        verify_password(_DUMMY_HASH, password)  # the same work as for a real account
        reason = "unknown"
    else:
        good = verify_password(user.password_hash, password)
        reason = "disabled" if not user.active else "ok" if good else "bad_password"
    if reason != "ok":
        store.record_login_failure(client, name, now, login_delay, FORGET_AFTER)
        return LoginResult(user, reason)
    assert user is not None
    store.clear_login_failures(name, client)
    if _hasher.check_needs_rehash(user.password_hash):
        store.update_user(user.username, password_hash=hash_password(password))
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
