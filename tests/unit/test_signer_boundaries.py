"""signer.keys.load_certificate and signer.archive.renew_archive raise signer errors, never
a bare OSError or ValueError (issue 18)."""

import pytest

from signer.archive import renew_archive
from signer.errors import CertificateError, SignerError
from signer.keys import load_certificate


def test_a_missing_certificate_file(tmp_path):
    with pytest.raises(CertificateError, match="cannot read the certificate") as e:
        load_certificate(tmp_path / "none.pem")
    assert isinstance(e.value.__cause__, FileNotFoundError)


def test_a_file_that_is_no_certificate(tmp_path):
    bad = tmp_path / "bad.der"
    bad.write_bytes(b"\x30\x03\x02\x01")
    with pytest.raises(CertificateError, match="not a PEM or DER certificate"):
        load_certificate(bad)
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
    with pytest.raises(SignerError):
        load_certificate(garbage)
    assert issubclass(CertificateError, ValueError)  # callers that caught ValueError still do


def test_renew_archive_with_an_unreadable_trust_root(tmp_path):
    with pytest.raises(SignerError, match="cannot read the certificate"):
        renew_archive(b"%PDF-1.7", trust_roots=[tmp_path / "root.pem"], timestamper=object())
