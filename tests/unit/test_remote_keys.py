"""Remote key sources (issue 15) without a service: configuration, messages, secrets."""

import pytest

from ptsp.errors import ProfileError
from ptsp.profile import load_profile
from signer.bsre import (
    BSRE_MESSAGES,
    BsreError,
    BsreIdentity,
    BsreUnlockError,
    SignatureProperties,
    bsre_error,
)
from signer.csc import CscKeySource
from signer.errors import KeyUnlockError
from tests.ptsp_support import write_profile


def test_bsre_codes_are_said_in_indonesian_and_stop_the_batch_where_they_must():
    wrong = bsre_error(2031, "Passphrase anda salah")
    assert isinstance(wrong, BsreUnlockError) and isinstance(wrong, KeyUnlockError)
    assert wrong.stops_batch and wrong.code == 2031
    assert "Passphrase sertifikat elektronik salah" in str(wrong)
    assert bsre_error(2011).stops_batch and "belum terdaftar" in str(bsre_error(2011))
    transient = bsre_error(5001)
    assert isinstance(transient, BsreError) and not transient.stops_batch
    unknown = bsre_error(9999, "Galat baru")
    assert "kode 9999" in str(unknown) and "BSrE 9999" in str(unknown)
    assert isinstance(unknown, BsreError) and not isinstance(unknown, KeyUnlockError)
    assert all(text.endswith(".") for text in BSRE_MESSAGES.values())


def test_secrets_never_in_repr():
    ident = BsreIdentity(nik="6308000101700001", passphrase="rahasia-sekali")
    assert "rahasia-sekali" not in repr(ident)
    assert ident.as_json() == {"nik": "6308000101700001", "passphrase": "rahasia-sekali"}
    assert BsreIdentity(email="a@b.id", totp="123456").as_json() == {"email": "a@b.id",
                                                                     "totp": "123456"}
    src = CscKeySource("http://127.0.0.1:1", "c", pin="9876-pin", oauth_token="tok-abc")
    assert "9876-pin" not in repr(src) and "tok-abc" not in repr(src)


def test_signature_properties_as_the_v2_api_takes_them():
    p = SignatureProperties(2, (350.0, 60.0, 550.0, 120.0), "Ditetapkan", "Paringin")
    assert p.as_json() == {"tampilan": "INVISIBLE", "page": 2, "reason": "Ditetapkan",
                           "location": "Paringin", "originX": 350.0, "originY": 60.0,
                           "width": 200.0, "height": 60.0}


def test_profile_remote_sources_need_their_settings(tmp_path):
    for section, says in (
        ('[keys]\nsource = "csc"\ncsc_url = "https://csc.example"\n', "csc_credential"),
        ('[keys]\nsource = "bsre"\nbsre_url = "https://esign.example"\n', "bsre_certificate"),
        ('[keys]\nsource = "hsm"\n', "pkcs12, pkcs11, csc or bsre"),
    ):
        path = write_profile(tmp_path, None, extra="")
        text = path.read_text().replace("[storage]", section + "\n[storage]")
        path.write_text(text)
        with pytest.raises(ProfileError, match=says):
            load_profile(path)
    path = write_profile(tmp_path, None)
    path.write_text(path.read_text().replace(
        "[storage]", '[keys]\nsource = "csc"\ncsc_url = "https://csc.example"\n'
        'csc_credential = "kadis"\ncsc_batch_size = 20\n\n[storage]'))
    k = load_profile(path).keys
    assert (k.source, k.csc_batch_size, k.csc_pin_env) == ("csc", 20, "PTSP_CSC_PIN")


def test_status_check_answered_200_with_not_registered_is_an_unlock_error():
    """A public report saw /api/v2/user/check/status answer HTTP 200 for an unknown signer."""
    import httpx

    from signer.bsre import BsreV2Transport

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/user/check/status":
            return httpx.Response(200, json={"status_code": 2011, "status": "NOT_REGISTERED",
                                             "message": "x"})
        return httpx.Response(401, json={"status": 401, "error": "Unauthorized"})

    t = BsreV2Transport("http://bsre.invalid", "id", "secret")
    t._client = httpx.Client(base_url="http://bsre.invalid", transport=httpx.MockTransport(handler))
    with pytest.raises(BsreUnlockError, match="2011.*belum terdaftar"):
        t.check_status(BsreIdentity(nik="1"))
    with pytest.raises(BsreUnlockError, match="HTTP 401"):
        t.sign(BsreIdentity(nik="1", passphrase="p"), [b"%PDF"], [SignatureProperties(
            1, None, "r", "l")])
