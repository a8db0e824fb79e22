"""Settings validation, error wrapping, and signing with an in-process timestamper."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from signer import errors
from signer.keys import KeySource, Pkcs12KeySource, load_certificate
from signer.sign import BatchSigner, FieldPlacement, PadesLevel, SignatureSettings
from signer.validate import TrustSettings, validate_pdf
from tests.signer_support import (
    TEST_PASSPHRASE,
    in_process_timestamper,
    make_pdf,
    shared_test_pki,
)


def _settings(**kw) -> SignatureSettings:
    base = dict(level=PadesLevel.B_B, reason="Penerbitan izin", location="Paringin",
                signer_name="DEMO Budi Santoso Contoh")
    base.update(kw)
    return SignatureSettings(**base)


# -- settings ----------------------------------------------------------------------------------


def test_pades_level_values() -> None:
    assert [lvl.value for lvl in PadesLevel] == ["B-B", "B-T", "B-LT", "B-LTA"]
    assert PadesLevel("B-LTA") is PadesLevel.B_LTA
    assert not PadesLevel.B_B.needs_timestamp and PadesLevel.B_T.needs_timestamp
    assert PadesLevel.B_LT.needs_revocation_data and not PadesLevel.B_T.needs_revocation_data


def test_settings_defaults() -> None:
    s = _settings()
    assert s.field_name == "Signature1" and s.certify is True
    assert s.timestamp_url is None and s.signer_title is None


@pytest.mark.parametrize(
    "kw",
    [
        dict(reason=""),
        dict(location="   "),
        dict(signer_name=""),
        dict(field_name="a.b"),
        dict(timestamp_url="ftp://tsa.example/"),
        dict(timestamp_url="not a url"),
        dict(level="B-T"),
    ],
)
def test_bad_settings_are_rejected(kw: dict) -> None:
    with pytest.raises(errors.SettingsError):
        _settings(**kw)


@pytest.mark.parametrize(
    ("page", "box"),
    [(-1, (0, 0, 10, 10)), (0, (10, 10, 5, 20)), (0, (0, 10, 10, 10))],
)
def test_bad_field_placement(page: int, box: tuple) -> None:
    with pytest.raises(errors.SettingsError):
        FieldPlacement(page, box)


def test_settings_error_is_both_signer_error_and_value_error() -> None:
    assert issubclass(errors.SettingsError, errors.SignerError)
    assert issubclass(errors.SettingsError, ValueError)
    for name in ("KeyUnlockError", "SigningError", "DelegationError", "PkiError",
                 "ValidationError"):
        assert issubclass(getattr(errors, name), errors.SignerError)


# -- key sources: errors are wrapped, secrets stay out of reprs --------------------------------


def test_wrong_passphrase_raises_key_unlock_error_with_cause() -> None:
    pki = shared_test_pki()
    source = Pkcs12KeySource(pki.signer_p12, b"salah")
    assert isinstance(source, KeySource)
    with pytest.raises(errors.KeyUnlockError, match="wrong passphrase") as exc:
        source.unlock()
    assert isinstance(exc.value.__cause__, ValueError)
    assert "salah" not in repr(source) and "salah" not in str(exc.value)


def test_missing_key_file() -> None:
    with pytest.raises(errors.KeyUnlockError, match="cannot read") as exc:
        Pkcs12KeySource(Path("/nonexistent/kepala-dinas.p12"), b"x").unlock()
    assert isinstance(exc.value.__cause__, OSError)


def test_unlocked_key_exposes_certificate_and_chain() -> None:
    pki = shared_test_pki()
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE).unlock() as key:
        assert key.signing_cert.dump() == load_certificate(pki.signer_cert).dump()
        assert len(key.fingerprint_sha256) == 64
        assert "DEMO Budi Santoso Contoh" in key.subject
        assert "NIP 197001012000031001" in key.subject
        chain_subjects = [c.subject.human_friendly for c in key.chain]
        assert any("Issuing CA" in s for s in chain_subjects)
    assert key.closed
    with pytest.raises(errors.KeyUnlockError):
        _ = key.pyhanko_signer


def test_timestamped_level_without_timestamp_server_is_a_settings_error() -> None:
    pki = shared_test_pki()
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE).unlock() as key:
        with pytest.raises(errors.SettingsError, match="timestamp"):
            BatchSigner(key, _settings(level=PadesLevel.B_T))
        with pytest.raises(errors.SettingsError, match="trust_roots"):
            BatchSigner(key, _settings(level=PadesLevel.B_LT,
                                       timestamp_url="http://127.0.0.1:9/"))


def test_signing_a_non_pdf_raises_signing_error() -> None:
    pki = shared_test_pki()
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE).unlock() as key:
        with BatchSigner(key, _settings()) as signer:
            with pytest.raises(errors.SigningError) as exc:
                signer.sign(b"this is not a PDF")
    # the third-party exception is kept as the cause, not leaked as the type
    assert type(exc.value) is errors.SigningError
    assert exc.value.__cause__ is not None


def test_validate_never_raises_for_bad_input() -> None:
    trust = TrustSettings(roots=(shared_test_pki().root_cert,))
    cases = {
        b"": "empty_file",
        b"GIF89a....": "not_a_pdf",
        make_pdf()[:200]: "truncated",
        b"%PDF-1.7\n1 0 obj garbage\n%%EOF\n": "malformed_pdf",
    }
    for data, code in cases.items():
        report = validate_pdf(data, trust)
        assert not report.readable and [r.code for r in report.reasons] == [code]
        assert report.reasons[0].message  # Indonesian text for people
    report = validate_pdf(make_pdf(), trust)
    assert report.readable and report.reasons[0].code == "no_signature" and not report.ok


def test_validate_with_unreadable_trust_root_cannot_check() -> None:
    with pytest.raises(errors.ValidationError):
        validate_pdf(make_pdf(), TrustSettings(roots=(Path("/nonexistent/root.pem"),)))


# -- in-process timestamper (no network) --------------------------------------------------------


def test_b_t_with_in_process_timestamper_validates() -> None:
    pki = shared_test_pki()
    stamper = in_process_timestamper(pki)
    settings = _settings(level=PadesLevel.B_T, signer_title="Kepala Dinas (CONTOH)")
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE).unlock() as key:
        with BatchSigner(key, settings, timestamper=stamper) as signer:
            signed = [signer.sign(make_pdf(f"SK {i}")) for i in range(3)]
        fingerprint = key.fingerprint_sha256
    trust = TrustSettings(roots=(pki.root_cert,))
    for data in signed:
        report = validate_pdf(data, trust)
        sig = report.last_approval
        assert report.ok, report.all_reasons
        assert sig is not None and sig.pades_level == "B-T" and sig.timestamp_trusted
        assert sig.signer_fingerprint == fingerprint
        assert sig.signer_title == "Kepala Dinas (CONTOH)"
        assert sig.coverage == "entire_file"
        assert report.signed_revision_sha256 == report.file_sha256
        # the signer's own digests (SignedPdf) are those validation finds
        assert data.sha256 == report.file_sha256
        assert data.signed_revision_sha256 == report.signed_revision_sha256
        assert sig.signing_time is not None and sig.claimed_time is not None
        assert abs(sig.signing_time - sig.claimed_time) < timedelta(minutes=1)
