"""An in-process RFC 3161 time-stamping authority, for tests, demos and benchmarks.

Production signing uses the certificate authority's TSA over HTTP
(``SignatureSettings.timestamp_url``). :class:`LocalTimeStamper` answers in-process with a
key loaded once (pyHanko's ``DummyTimeStamper`` re-parses its key for every token, about
40 ms for RSA, and signs with RSA only); pass it as ``BatchSigner(..., timestamper=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import algos, cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .errors import SettingsError
from .keys import load_certificate

__all__ = ["LocalTimeStamper"]


class LocalTimeStamper(DummyTimeStamper):
    """A TSA in this process: RSA or ECDSA key, loaded once."""

    def __init__(
        self,
        tsa_cert: asn1_x509.Certificate,
        tsa_key: RSAPrivateKey | EllipticCurvePrivateKey,
        certs_to_embed: Iterable[asn1_x509.Certificate] = (),
        fixed_dt: datetime | None = None,
    ) -> None:
        der = tsa_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(
            tsa_cert=tsa_cert,
            tsa_key=asn1_keys.PrivateKeyInfo.load(der),
            certs_to_embed=list(certs_to_embed),  # type: ignore[arg-type]
            fixed_dt=fixed_dt,
        )
        self._key = tsa_key

    @classmethod
    def from_files(
        cls, cert: Path, key: Path, chain: Iterable[Path] = (), *, password: bytes | None = None
    ) -> LocalTimeStamper:
        """Certificate and PEM/DER private key files (e.g. the demo PKI's ``tsa.*``)."""
        try:
            data = Path(key).read_bytes()
            loader = (
                serialization.load_pem_private_key
                if data.lstrip().startswith(b"-----")
                else serialization.load_der_private_key
            )
            private = loader(data, password=password)
            certs = [load_certificate(p) for p in chain]
            tsa_cert = load_certificate(cert)
        except (OSError, ValueError, TypeError) as e:
            raise SettingsError(f"cannot load the TSA certificate or key: {e}") from e
        if not isinstance(private, RSAPrivateKey | EllipticCurvePrivateKey):
            raise SettingsError("the TSA key must be RSA or ECDSA")
        return cls(tsa_cert, private, certs)

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        key = self._key
        signed_attrs = self._signed_attrs(tst_info_data, md_algorithm, dt)
        hash_algo = get_pyca_cryptography_hash(md_algorithm.upper())
        if isinstance(key, RSAPrivateKey):
            sig = key.sign(signed_attrs.dump(), PKCS1v15(), hash_algo)
        else:
            sig = key.sign(signed_attrs.dump(), ECDSA(hash_algo))
        return sig, signed_attrs

    def _signed_attrs(self, tst_info_data: bytes, md_algorithm: str, dt: datetime) -> Any:
        from cryptography.hazmat.primitives import hashes
        from pyhanko.sign import general
        from pyhanko.sign.general import simple_cms_attribute

        md = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        md.update(tst_info_data)
        return cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": dt})),
                simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", md.finalize()),
            ]
        )

    def _build_signed_data(
        self,
        tst_info_data: bytes,
        md_algorithm: str,
        signature: bytes,
        signed_attrs: cms.CMSAttributes,
    ) -> dict:
        result = super()._build_signed_data(tst_info_data, md_algorithm, signature, signed_attrs)
        if isinstance(self._key, EllipticCurvePrivateKey):
            result["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
                {"algorithm": f"{md_algorithm.lower()}_ecdsa"}
            )
        return result
