"""The structural checks (signer.structure) and the verdict rules, without signing anything."""

from __future__ import annotations

from ptsp.registry import Status
from ptsp.verify import MESSAGES, UNCERTAIN, status_reasons
from ptsp.verify.verdict import _CODE_CHECK
from signer.structure import _der_length, _revision_end, check_structure
from tests.signer_support import make_pdf


def test_der_length():
    assert _der_length(b"\x30\x03abc") == 5
    assert _der_length(b"\x30\x82\x01\x00" + b"x" * 256) == 260
    for bad in (b"", b"\x31\x01a", b"\x30\x80"):
        try:
            _der_length(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_revision_end_takes_one_end_of_line():
    data = b"xref\ntrailer\n%%EOF\r\nrest"
    assert data[_revision_end(data, 0):] == b"rest"
    assert _revision_end(b"no marker", 0) == -1


def test_unsigned_pdf_has_no_approval():
    report = check_structure(make_pdf())
    assert report.approval_count == 0 and report.codes == ()


def test_bytes_after_eof_are_found():
    report = check_structure(make_pdf() + b"\nBT (PALSU) Tj ET\n")
    assert "data_after_eof" in report.codes
    assert check_structure(make_pdf() + b"\r\n  \n").codes == ()


def test_garbage_cannot_be_checked():
    assert check_structure(b"%PDF-1.7\ngarbage").codes == ("structure_unchecked",)


def test_every_code_has_a_message_and_a_check():
    for code in MESSAGES:
        assert code in _CODE_CHECK, code
    assert "structure_unchecked" in UNCERTAIN and "revocation_unknown" in UNCERTAIN
    assert "data_after_eof" not in UNCERTAIN


def test_status_reasons(monkeypatch):
    from dataclasses import dataclass

    @dataclass
    class Rec:
        status: Status
        status_reason: str | None = None
        status_decree: str | None = None
        replaced_by: str | None = None

    assert status_reasons(Rec(Status.ISSUED)) == []  # type: ignore[arg-type]
    [r] = status_reasons(Rec(Status.REVOKED, "melanggar", "SK 1"))  # type: ignore[arg-type]
    assert r.code == "permit_revoked" and "dicabut berdasarkan SK 1" in r.message
    assert "melanggar" in r.message
    [r] = status_reasons(Rec(Status.REPLACED, replaced_by="503/2"))  # type: ignore[arg-type]
    assert r.code == "permit_replaced" and "503/2" in r.message


def test_a_reader_crash_is_could_not_check(monkeypatch):
    """Whatever breaks underneath, verify_pdf answers, and never SAH."""
    import ptsp.verify.verdict as v
    from signer.validate import TrustSettings

    def boom(*a, **k):
        raise ValueError("damaged DSS dictionary")

    monkeypatch.setattr(v, "validate_pdf", boom)
    res = v.verify_pdf(make_pdf(), trust=TrustSettings(roots=()), delegations=[], registry=None)
    assert res.verdict == v.TIDAK_DAPAT_DIPASTIKAN and not res.valid
    assert [r.code for r in res.reasons] == ["verification_error"]
    # issue 13.2: nothing could run, so nothing passed: every check "not_checked"
    assert {c["status"] for c in res.as_dict()["checks"]} == {"not_checked"}
