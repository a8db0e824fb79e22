"""Signing with a key on a PKCS#11 token: real SoftHSM2, real pkcs11-tool, one login."""

from __future__ import annotations

from pathlib import Path

import pytest

from signer.errors import KeyUnlockError
from signer.keys import Pkcs11KeySource, Pkcs12KeySource
from signer.pkcs11_setup import SOFTHSM_MODULE, import_p12_to_token, init_softhsm_token
from signer.sign import BatchSigner, PadesLevel, SignatureSettings
from signer.validate import TrustSettings, validate_pdf
from tests.signer_support import (
    TEST_PASSPHRASE,
    have_program,
    make_pdf,
    shared_services,
    shared_test_pki,
    use_softhsm_conf,
)

pytestmark = pytest.mark.integration

TOKEN = "ptsp-test-token"
PIN = "4321"
SO_PIN = "87654321"


@pytest.fixture(scope="session")
def token(tmp_path_factory) -> Path:
    if not (Path(SOFTHSM_MODULE).exists() and have_program("softhsm2-util")
            and have_program("pkcs11-tool")):
        pytest.skip("SoftHSM2 / OpenSC not installed")
    pki = shared_test_pki()
    conf = init_softhsm_token(tmp_path_factory.mktemp("softhsm"), TOKEN, SO_PIN, PIN)
    use_softhsm_conf(conf)
    import_p12_to_token(pki.signer_p12, TEST_PASSPHRASE, SOFTHSM_MODULE, TOKEN, PIN,
                        "kepala-dinas", conf=conf)
    return conf


def test_wrong_pin_fails_at_unlock(token) -> None:
    with pytest.raises(KeyUnlockError, match="wrong PIN") as exc:
        Pkcs11KeySource(SOFTHSM_MODULE, TOKEN, "kepala-dinas", "0000").unlock()
    assert "0000" not in str(exc.value)


def test_unknown_key_label_fails_at_unlock(token) -> None:
    with pytest.raises(KeyUnlockError, match="no usable key"):
        Pkcs11KeySource(SOFTHSM_MODULE, TOKEN, "tidak-ada", PIN).unlock()


def test_unknown_token_fails_at_unlock(token) -> None:
    with pytest.raises(KeyUnlockError, match="cannot open"):
        Pkcs11KeySource(SOFTHSM_MODULE, "no-such-token", "kepala-dinas", PIN).unlock()


def test_sign_five_documents_with_one_login(token) -> None:
    pki = shared_test_pki()
    shared_services()
    with Pkcs12KeySource(pki.signer_p12, TEST_PASSPHRASE).unlock() as file_key:
        expected_fp = file_key.fingerprint_sha256
    settings = SignatureSettings(
        level=PadesLevel.B_LTA, reason="Penerbitan izin (CONTOH)", location="Paringin",
        signer_name="DEMO Budi Santoso Contoh", timestamp_url=pki.tsa_url,
    )
    with Pkcs11KeySource(SOFTHSM_MODULE, TOKEN, "kepala-dinas", PIN).unlock() as key:
        assert key.fingerprint_sha256 == expected_fp
        assert any("Issuing CA" in c.subject.human_friendly for c in key.chain)
        with BatchSigner(key, settings, trust_roots=[pki.root_cert]) as signer:
            docs = [signer.sign(make_pdf(f"SK nomor {i}")) for i in range(5)]
    assert key.closed
    trust = TrustSettings(roots=(pki.root_cert,))
    for data in docs:
        report = validate_pdf(data, trust)
        assert report.ok, report.all_reasons
        sig = report.last_approval
        assert sig is not None and sig.pades_level == "B-LTA"
        assert sig.signer_fingerprint == expected_fp
