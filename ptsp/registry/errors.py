"""Exceptions of the registry.

    RegistryError                 root: every error the registry raises; the message says what to do
     +-- InvalidRequest           a bad argument (empty reason, naive datetime, unknown kind ...)
     +-- NumberingError           the numbering policy cannot produce unique numbers
     +-- NumberNotFound           no record carries that number
     +-- InvalidTransition        the record is not in a state that allows the change
     +-- ConflictError            the request contradicts what the registry already holds
     +-- StorageError             the database failed or refused a write (wraps SQLAlchemy/DBAPI)
          +-- MigrationError      the schema could not be created or upgraded

Nothing above ``ptsp.registry`` sees a SQLAlchemy, sqlite3 or psycopg exception: they are wrapped
here, at the boundary, with the original kept as ``__cause__``.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Root of every error raised by ``ptsp.registry``."""


class InvalidRequest(RegistryError, ValueError):
    """An argument the registry cannot accept."""


class NumberingError(RegistryError):
    """The numbering policy is unusable (for example a pattern without ``{seq}``)."""


class NumberNotFound(RegistryError, LookupError):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"no permit with registration number {number!r} in the registry")


class InvalidTransition(RegistryError):
    """A state change that the lifecycle forbids; names the number and both states."""

    def __init__(self, number: str, current: str, target: str, hint: str = "") -> None:
        self.number = number
        self.current = current
        self.target = target
        msg = f"{number}: cannot change status from {current!r} to {target!r}"
        super().__init__(f"{msg}: {hint}" if hint else msg)


class ConflictError(RegistryError):
    """The request disagrees with the stored record (e.g. another file for an issued number)."""


class StorageError(RegistryError):
    """The database failed or refused the operation."""


class MigrationError(StorageError):
    """The database schema could not be created or upgraded."""
