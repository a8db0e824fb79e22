"""Delegated signing authority: may this certificate sign this permit now?

Permit decrees are the Bupati's; the Kepala Dinas signs them under a delegation decree
(Peraturan/Keputusan Bupati on pendelegasian kewenangan). A :class:`Delegation` records
one such decree: who is the delegate (by certificate fingerprint and/or subject), which
permit types it covers, and when. An acting official (Plt./Plh.) holds a delegation too.

:func:`check_delegation` is for the signing side (raises :class:`DelegationError` saying
exactly why nothing matches); :func:`find_delegation` is for verifiers (never raises).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .errors import DelegationError, SettingsError

__all__ = ["ACTING_KINDS", "Delegation", "check_delegation", "find_delegation"]

ACTING_KINDS = ("Plt.", "Plh.")
"""Pelaksana Tugas (Plt.) and Pelaksana Harian (Plh.)."""


def _norm_fp(fp: str) -> str:
    return fp.replace(":", "").replace(" ", "").lower()


@dataclass(frozen=True)
class Delegation:
    """One delegation decree. Dates are calendar days in the office's time zone, inclusive."""

    decree_number: str
    decree_date: date
    delegate_fingerprint: str | None
    """SHA-256 (hex) of the delegate's certificate; None = match by subject only."""
    delegate_subject: str | None
    """Subject of the delegate's certificate as ``UnlockedKey.subject`` renders it, or a
    part of it that identifies the person (e.g. the NIP); None = match by fingerprint only."""
    scope: frozenset[str] | None
    """Permit codes covered; None = all permit types."""
    valid_from: date
    valid_until: date | None
    acting: str | None = None
    """"Plt." / "Plh." for an acting official, else None."""

    def __post_init__(self) -> None:
        if not self.decree_number.strip():
            raise SettingsError("decree_number must not be empty")
        if self.delegate_fingerprint is None and not self.delegate_subject:
            raise SettingsError("a delegation needs delegate_fingerprint or delegate_subject")
        if self.delegate_fingerprint is not None:
            fp = _norm_fp(self.delegate_fingerprint)
            if len(fp) != 64 or any(c not in "0123456789abcdef" for c in fp):
                raise SettingsError("delegate_fingerprint must be a SHA-256 hex digest")
            object.__setattr__(self, "delegate_fingerprint", fp)
        if self.scope is not None and not isinstance(self.scope, frozenset):
            object.__setattr__(self, "scope", frozenset(self.scope))
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise SettingsError("valid_until is before valid_from")
        if self.acting is not None and self.acting not in ACTING_KINDS:
            raise SettingsError(f"acting must be one of {ACTING_KINDS} or None")

    def _mismatches(
        self, fingerprint: str, subject: str, permit_code: str, day: date
    ) -> list[str]:
        why = []
        if self.delegate_fingerprint is not None:
            if _norm_fp(fingerprint) != self.delegate_fingerprint:
                why.append(
                    f"the certificate (SHA-256 {_norm_fp(fingerprint)[:16]}...) is not the "
                    f"delegate's (SHA-256 {self.delegate_fingerprint[:16]}...)"
                )
        if self.delegate_subject and self.delegate_subject not in subject:
            why.append(f"the certificate subject does not name the delegate "
                       f"{self.delegate_subject!r}")
        if self.scope is not None and permit_code not in self.scope:
            why.append(f"permit type {permit_code} is outside the scope "
                       f"({', '.join(sorted(self.scope))})")
        if day < self.valid_from:
            why.append(f"{day.isoformat()} is before the delegation starts "
                       f"({self.valid_from.isoformat()})")
        if self.valid_until is not None and day > self.valid_until:
            why.append(f"{day.isoformat()} is after the delegation ended "
                       f"({self.valid_until.isoformat()})")
        return why


def _day(when: datetime | date) -> date:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when.date()
    return when


def find_delegation(
    delegations: Iterable[Delegation],
    *,
    fingerprint: str,
    subject: str,
    permit_code: str,
    when: datetime | date,
) -> tuple[Delegation | None, tuple[str, ...]]:
    """The first delegation that covers this signer, permit type and day, with no reasons;
    or ``(None, reasons)`` saying, per delegation, why it does not."""
    day = _day(when)
    reasons: list[str] = []
    delegations = list(delegations)
    if not delegations:
        return None, ("no delegation decree is registered",)
    for d in delegations:
        why = d._mismatches(fingerprint, subject, permit_code, day)
        if not why:
            return d, ()
        reasons.append(f"decree {d.decree_number}: " + "; ".join(why))
    return None, tuple(reasons)


def check_delegation(
    delegations: Iterable[Delegation],
    *,
    fingerprint: str,
    subject: str,
    permit_code: str,
    when: datetime | date,
) -> Delegation:
    """The delegation under which this certificate may sign this permit type on this day.

    Raises :class:`DelegationError` whose message says exactly why none applies.
    """
    found, reasons = find_delegation(
        delegations, fingerprint=fingerprint, subject=subject, permit_code=permit_code,
        when=when,
    )
    if found is None:
        raise DelegationError(
            f"no delegation lets this certificate sign permit type {permit_code} on "
            f"{_day(when).isoformat()}: " + " | ".join(reasons),
            reasons,
        )
    return found
