"""The validation speed-ups give exactly what the originals give, and the cache stays bounded."""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signer import _speedups
from signer.cache import ValidationCache

_speedups.install()


def _both(raw: bytes):
    from pyhanko.pdf_utils import generic

    fast = generic.read_hex_string_from_stream
    slow = fast.__wrapped__
    out = []
    for f in (fast, slow):
        s = BytesIO(raw)
        try:
            value = f(s)
            out.append((type(value), bytes(value) if isinstance(value, bytes) else str(value),
                        s.tell()))
        except Exception as e:  # noqa: BLE001 - the same error, from the same place
            out.append((type(e), str(e), None))
    return out


@given(st.text(alphabet="0123456789abcdefABCDEF \n\r\t\x0c\x00", max_size=300),
       st.sampled_from([b">", b"> trailing", b"", b"%c\n>", b"zz>", b"<>"]))
@settings(max_examples=300, deadline=None)
def test_hex_strings_read_as_pyhanko_does(body, tail):
    fast, slow = _both(b"<" + body.encode("latin-1") + tail)
    assert fast == slow


@pytest.mark.parametrize("raw", [b"<>", b"<0>", b"<41 42 4>", b"<4142", b"<41%comment\n42>",
                                 b"<" + b"ab" * 70_000 + b">rest", b"<g1>"])
def test_hex_string_cases(raw):
    fast, slow = _both(raw)
    assert fast == slow


def test_string_prep_memo_equals_original():
    from asn1crypto import x509

    name = x509.Name.build({"common_name": "  DEMO  Budi Santoso ", "country_name": "ID"})
    other = x509.Name.build({"common_name": "demo budi santoso", "country_name": "ID"})
    prep = x509.NameTypeAndValue._ldap_string_prep
    for s in ("  DEMO  Budi Santoso ", "Ä\u0301x", "a\u00adb"):
        assert prep(None, s) == prep.__wrapped__(None, s)
    assert (name == other) == (x509.Name.load(name.dump()) == x509.Name.load(other.dump()))


def test_cache_keys_by_bytes_and_stays_bounded():
    cache = ValidationCache(max_bytes=10_000)
    for i in range(100):
        cache.put("x", bytes([i]) * 32, i, 1000)
        assert cache.size <= 10_000
    assert len(cache) == 10
    assert cache.get("x", bytes([99]) * 32) == 99
    assert cache.get("x", bytes([0]) * 32) is None  # evicted, oldest first
    cache.put("x", b"big", "too big", 20_000)
    assert cache.get("x", b"big") is None


def _self_signed(tmp_path, cn: str):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp_path / f"{cn}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_cache_parses_certificates_once_per_content(tmp_path):
    from asn1crypto import x509

    cache = ValidationCache()
    root = _self_signed(tmp_path, "Akar")
    a = cache.root(root)
    b = cache.root(root)
    assert a is b and isinstance(a, x509.Certificate)
    other = _self_signed(tmp_path, "Lain")
    assert cache.root(other) is not a
    root.write_bytes(other.read_bytes())  # same path, other bytes: never the old entry
    assert cache.root(root) is not a


def test_rdn_equality_and_hashable_memo_equal_the_originals():
    from asn1crypto import x509

    rdn = x509.RelativeDistinguishedName
    names = [x509.Name.build({"common_name": cn, "organization_name": "DEMO"})
             for cn in ("Budi  Santoso", "budi santoso", "Budi Santosa", "BUDI SANTOSO ")]
    rdns = [x509.Name.load(n.dump()).chosen[i] for n in names for i in range(2)]
    for a in rdns:
        assert a.hashable == rdn.hashable.fget.__wrapped__(a)
        for b in rdns:
            assert (a == b) == rdn.__eq__.__wrapped__(a, b)
            assert (a == b) == (a.hashable == b.hashable)
    assert names[0] == names[1] and names[0] != names[2]


def test_signature_check_memo_remembers_only_successes():
    """A good signature is remembered; a bad one (other bytes, same key) still fails, every
    time."""
    from asn1crypto import algos, keys
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko_certvalidator.errors import InvalidSignature
    from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator

    key = ec.generate_private_key(ec.SECP256R1())
    spki = keys.PublicKeyInfo.load(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    algo = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    msg = b"keputusan 503/0001"
    sig = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    v = DefaultSignatureValidator()
    for _ in range(2):
        v.validate_signature(sig, msg, spki, algo)
        for bad_msg, bad_sig in ((msg + b"!", sig), (msg, sig[:-2] + bytes([sig[-2] ^ 1,
                                                                          sig[-1]]))):
            with pytest.raises(InvalidSignature):
                v.validate_signature(bad_sig, bad_msg, spki, algo)
