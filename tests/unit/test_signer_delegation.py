"""Delegation checks: who may sign which permit type when."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from signer.delegation import Delegation, check_delegation, find_delegation
from signer.errors import DelegationError, SettingsError, SignerError

KADIS_FP = "ab" * 32
OTHER_FP = "cd" * 32
KADIS_SUBJECT = "Common Name: DEMO Budi Santoso Contoh, Serial Number: NIP 197001012000031001"


def _delegation(**kw) -> Delegation:
    base = dict(
        decree_number="188.45/012/2026",
        decree_date=date(2026, 1, 2),
        delegate_fingerprint=KADIS_FP,
        delegate_subject=None,
        scope=frozenset({"SIUP", "PBG"}),
        valid_from=date(2026, 1, 5),
        valid_until=date(2026, 12, 31),
        acting=None,
    )
    base.update(kw)
    return Delegation(**base)


def _check(delegations, *, fp=KADIS_FP, subject=KADIS_SUBJECT, code="SIUP",
           when=datetime(2026, 6, 1, 10, tzinfo=UTC)):
    return check_delegation(
        delegations, fingerprint=fp, subject=subject, permit_code=code, when=when
    )


def test_matching_delegation_is_returned() -> None:
    d = _delegation()
    assert _check([d]) is d


def test_wrong_certificate_is_rejected_with_reason() -> None:
    with pytest.raises(DelegationError) as exc:
        _check([_delegation()], fp=OTHER_FP)
    assert "is not the delegate's" in str(exc.value)
    assert isinstance(exc.value, SignerError)
    assert exc.value.reasons and "188.45/012/2026" in exc.value.reasons[0]


def test_permit_type_outside_scope() -> None:
    with pytest.raises(DelegationError, match="permit type TDUP is outside the scope"):
        _check([_delegation()], code="TDUP")


def test_scope_none_covers_every_permit_type() -> None:
    assert _check([_delegation(scope=None)], code="ANYTHING").scope is None


@pytest.mark.parametrize(
    ("when", "words"),
    [
        (datetime(2026, 1, 4, 23, 0, tzinfo=UTC), "before the delegation starts"),
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), "after the delegation ended"),
    ],
)
def test_date_outside_window(when: datetime, words: str) -> None:
    with pytest.raises(DelegationError, match=words):
        _check([_delegation()], when=when)


def test_window_is_inclusive_and_open_ended() -> None:
    d = _delegation()
    assert _check([d], when=date(2026, 1, 5)) is d
    assert _check([d], when=date(2026, 12, 31)) is d
    open_ended = _delegation(valid_until=None)
    assert _check([open_ended], when=date(2040, 1, 1)) is open_ended


def test_acting_official_delegation() -> None:
    plt = _delegation(
        decree_number="188.45/099/2026", acting="Plt.", delegate_fingerprint=OTHER_FP,
        valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31),
    )
    kadis = _delegation()
    # the acting official may sign in March, under the Plt. decree
    found = _check([kadis, plt], fp=OTHER_FP, when=date(2026, 3, 10))
    assert found is plt and found.acting == "Plt."
    # ... but not in April
    with pytest.raises(DelegationError, match="after the delegation ended"):
        _check([kadis, plt], fp=OTHER_FP, when=date(2026, 4, 1))


def test_match_by_subject_only() -> None:
    d = _delegation(delegate_fingerprint=None, delegate_subject="NIP 197001012000031001")
    assert _check([d], fp=OTHER_FP) is d
    with pytest.raises(DelegationError, match="does not name the delegate"):
        _check([d], subject="Common Name: Someone Else, Serial Number: NIP 1")


def test_fingerprint_is_normalised() -> None:
    fp_colons = ":".join(KADIS_FP[i:i + 2].upper() for i in range(0, 64, 2))
    d = _delegation(delegate_fingerprint=fp_colons)
    assert d.delegate_fingerprint == KADIS_FP
    assert _check([d], fp=KADIS_FP.upper()) is d


def test_find_delegation_does_not_raise_and_lists_every_reason() -> None:
    found, reasons = find_delegation(
        [_delegation(), _delegation(decree_number="2")],
        fingerprint=OTHER_FP, subject="x", permit_code="TDUP", when=date(2030, 1, 1),
    )
    assert found is None
    assert len(reasons) == 2
    assert all("not the delegate" in r and "outside the scope" in r and "ended" in r
               for r in reasons)


def test_no_delegations_registered() -> None:
    found, reasons = find_delegation(
        [], fingerprint=KADIS_FP, subject="", permit_code="SIUP", when=date(2026, 6, 1)
    )
    assert found is None and reasons == ("no delegation decree is registered",)


@pytest.mark.parametrize(
    "kw",
    [
        dict(delegate_fingerprint=None, delegate_subject=None),
        dict(delegate_fingerprint="1234"),
        dict(valid_until=date(2025, 1, 1)),
        dict(acting="Pj."),
        dict(decree_number="  "),
    ],
)
def test_invalid_delegation_is_rejected(kw: dict) -> None:
    with pytest.raises(SettingsError):
        _delegation(**kw)
