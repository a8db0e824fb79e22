"""Connecting the office profile to the signer library: key source, delegation, settings.

The only place that knows both the profile and :mod:`signer`; the pipeline receives a
:class:`~ptsp.pipeline.SignStage` and stays independent of how the key is held.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from signer.delegation import Delegation, check_delegation
from signer.errors import KeyUnlockError
from signer.keys import KeySource, Pkcs11KeySource, Pkcs12KeySource, UnlockedKey
from signer.pki import DemoPki, build_demo_pki
from signer.pki_services import demo_services_lease
from signer.sign import BatchSigner, FieldPlacement, PadesLevel, SignatureSettings
from signer.signed import SignedPdf

from .errors import ProfileError
from .pipeline import Locate, SignStage
from .profile import Profile

Prompt = Callable[[str], str]


def cert_fingerprint(path: Path) -> str:
    """SHA-256 (hex) of a PEM or DER certificate's DER encoding."""
    from signer.errors import CertificateError
    from signer.keys import load_certificate

    try:
        return hashlib.sha256(load_certificate(path).dump()).hexdigest()
    except CertificateError as e:
        if not isinstance(e.__cause__, OSError):
            raise
        raise ProfileError(f"cannot read the delegate's certificate {path}: "
                           f"{e.__cause__.strerror} (for the demo: run `ptsp keys init`)") from e


def delegations(profile: Profile) -> list[Delegation]:
    """The profile's delegation records as the signer library checks them."""
    out = []
    for d in profile.authority.delegations:
        fp = d.delegate_fingerprint or (
            cert_fingerprint(d.delegate_certificate) if d.delegate_certificate else None)
        scope = None if "*" in d.scope else frozenset(d.scope)
        out.append(Delegation(
            decree_number=d.decree_number, decree_date=d.decree_date, delegate_fingerprint=fp,
            delegate_subject=d.delegate_subject or None, scope=scope, valid_from=d.valid_from,
            valid_until=d.valid_until, acting=d.acting or None))
    return out


def demo_pki(profile: Profile) -> DemoPki | None:
    """Build (first time) or reuse the demo PKI the profile points at; None if not a demo."""
    k = profile.keys
    if k.demo_pki is None or k.pkcs12 is None:
        return None
    return build_demo_pki(k.demo_pki, k.pkcs12.parent, k.demo_passphrase)


@contextmanager
def local_services(profile: Profile) -> Iterator[DemoPki | None]:
    """Serve the demo TSA/OCSP/CRL on 127.0.0.1 while signing, when the profile asks for it.

    The services run in a child process, as a real TSA would run elsewhere: their CPU and
    their Python lock are not the batch's. Batches (and the office's signing) running at the
    same time share one such child, which ends when the last of them is done or dead (see
    :mod:`signer.pki_services`).
    """
    if not profile.signature.demo_services:
        yield None
        return
    pki = demo_pki(profile)
    if pki is None:
        yield None
        return
    with demo_services_lease(pki):
        yield pki


def key_source(profile: Profile, *, secret_env: str | None = None,
               prompt: Prompt | None = None) -> KeySource:
    """The configured key source; the passphrase or PIN comes from the environment variable
    named by ``secret_env`` (or the profile), else from ``prompt``, never from an option."""
    k = profile.keys
    if k.source in ("csc", "bsre"):
        env = secret_env or _remote_secret_env(profile)
        secret = os.environ.get(env) if env else None
        if secret is None:
            if prompt is None:
                raise KeyUnlockError(f"no {_remote_secret_label(profile)}: set the environment "
                                     f"variable {env} or run interactively")
            secret = prompt(_remote_secret_label(profile))
        return remote_key_source(profile, secret)
    env = secret_env or (k.passphrase_env if k.source == "pkcs12" else k.pin_env)
    secret = os.environ.get(env) if env else None
    if secret is None and profile.demo and k.source == "pkcs12" and k.demo_passphrase:
        secret = k.demo_passphrase
    if secret is None:
        if prompt is None:
            raise KeyUnlockError(f"no passphrase/PIN: set the environment variable {env} "
                                 "or run interactively")
        secret = prompt("PIN" if k.source == "pkcs11" else "Key passphrase")
    if k.source == "pkcs12":
        if k.pkcs12 is None:
            raise ProfileError("[keys].pkcs12 is not set in the office profile")
        if not k.pkcs12.exists():
            raise ProfileError(f"key file {k.pkcs12} not found (for the demo: `ptsp keys init`)")
        return Pkcs12KeySource(k.pkcs12, secret)
    return Pkcs11KeySource(k.pkcs11_module, k.token_label, k.key_label, secret)


def signature_reason(profile: Profile) -> str:
    d = profile.current_delegation()
    by = profile.signer_title_full
    if d is None:
        return f"Ditetapkan oleh {by}"
    return f"Ditetapkan oleh {by} berdasarkan pendelegasian kewenangan: {d.citation}"


def batch_signer(profile: Profile, key: UnlockedKey, *, level: str | None = None,
                 timestamper: object = None) -> BatchSigner:
    s = profile.signature
    settings = SignatureSettings(
        level=PadesLevel(level or s.level),
        reason=signature_reason(profile),
        location=s.location or profile.office.city_of_issue,
        signer_name=profile.signer.name,
        contact_info=s.contact or None,
        signer_title=profile.signer_title_full,
        timestamp_url=s.timestamp_url or None,
    )
    return BatchSigner(key, settings, trust_roots=list(profile.trust.roots) or None,
                       timestamper=timestamper)


def sign_stage(profile: Profile, key: UnlockedKey, signer: BatchSigner) -> SignStage:
    dels = delegations(profile)

    def check(permit: str, when: datetime) -> None:
        check_delegation(dels, fingerprint=key.fingerprint_sha256, subject=key.subject,
                         permit_code=permit, when=when)

    def sign(pdf: bytes, locate: Locate, permit: str) -> SignedPdf:
        return signer.sign(pdf, placement=lambda pages: FieldPlacement(*locate(pages)))

    from .legal import certificate_issuer_name

    return SignStage(sign=sign, check=check, subject=key.subject,
                     fingerprint=key.fingerprint_sha256, now=profile.office.now,
                     issuer_name=certificate_issuer_name(key.signing_cert),
                     concurrency=key.concurrency)


def _remote_secret_env(profile: Profile) -> str:
    k = profile.keys
    if k.source == "csc":
        return k.csc_otp_env or k.csc_pin_env
    return k.bsre_totp_env or k.bsre_passphrase_env


def _remote_secret_label(profile: Profile) -> str:
    k = profile.keys
    if k.source == "csc":
        return "CSC OTP" if k.csc_otp_env else "CSC PIN"
    return "BSrE TOTP" if k.bsre_totp_env else "BSrE passphrase"


def _env_required(name: str, what: str) -> str:
    value = os.environ.get(name) if name else None
    if not value:
        raise ProfileError(f"{what}: set the environment variable {name or '(none named)'}")
    return value


def remote_key_source(profile: Profile, secret: str) -> KeySource:
    """The CSC or BSrE key source of the profile, with the PIN/OTP or passphrase/TOTP the
    signer gave once for the batch (kept in memory only)."""
    k = profile.keys
    if k.source == "csc":
        from signer.csc import CscKeySource

        token = os.environ.get(k.csc_token_env) if k.csc_token_env else None
        return CscKeySource(
            k.csc_url, k.csc_credential, pin=None if k.csc_otp_env else secret,
            otp=secret if k.csc_otp_env else None, oauth_token=token,
            batch_size=k.csc_batch_size, timeout=float(k.csc_timeout))
    if k.source == "bsre":
        from signer.bsre import BsreIdentity, BsreKeySource, BsreV1Transport, BsreV2Transport

        assert k.bsre_certificate is not None
        client_id = _env_required(k.bsre_client_id_env, "BSrE client id")
        client_secret = _env_required(k.bsre_client_secret_env, "BSrE client secret")
        transport = (
            BsreV2Transport(k.bsre_url, client_id, client_secret, timeout=k.bsre_timeout,
                            max_files=k.bsre_files_per_request)
            if k.bsre_api == "v2" else
            BsreV1Transport(k.bsre_url, client_id, client_secret, timeout=k.bsre_timeout))
        identity = BsreIdentity(
            nik=k.bsre_nik, email="" if k.bsre_nik else k.bsre_email,
            passphrase="" if k.bsre_totp_env else secret,
            totp=secret if k.bsre_totp_env else "")
        if not k.bsre_certificate.exists():
            raise ProfileError(f"the BSrE signer's certificate {k.bsre_certificate} is not "
                               "there (for the demo: `ptsp keys init`)")
        return BsreKeySource(transport, identity, k.bsre_certificate, k.bsre_chain,
                             max_concurrency=k.bsre_concurrency)
    raise ProfileError(f"[keys].source {k.source!r} is not a remote signing service")
