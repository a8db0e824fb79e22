"""Putting a key and its certificate on a PKCS#11 token (SoftHSM2 for tests and demos).

An office whose certificate came as a PKCS#12 file can move it onto a token with
:func:`import_p12_to_token`; afterwards it signs with
:class:`signer.keys.Pkcs11KeySource` and the file can be locked away. Uses the Debian
tools ``softhsm2-util`` (key import, SoftHSM2) and ``pkcs11-tool`` from OpenSC
(certificates, any module).

PINs are passed to these tools as command-line arguments, which other local users can see
in the process list for the instant they run: run this on a machine you control.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .errors import KeyUnlockError, PkiError

__all__ = [
    "SOFTHSM_MODULE",
    "import_p12_to_token",
    "init_softhsm_token",
    "softhsm_env",
]

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


def softhsm_env(conf: Path | None) -> dict[str, str]:
    """The environment for a tool that should see the tokens of ``conf``."""
    env = dict(os.environ)
    if conf is not None:
        env["SOFTHSM2_CONF"] = str(conf)
    return env


def _run(args: Sequence[str], env: dict[str, str], what: str, secrets_: Sequence[str]) -> str:
    tool = args[0]
    if shutil.which(tool) is None:
        raise PkiError(f"{tool} is not installed (Debian: softhsm2 / opensc)")
    try:
        proc = subprocess.run(
            list(args), env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PkiError(f"{what}: {tool} failed to run: {e}") from e
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        for s in secrets_:  # never echo a PIN back
            if s:
                detail = detail.replace(s, "***")
        raise PkiError(f"{what}: {tool} exited with {proc.returncode}: {detail}")
    return proc.stdout


def init_softhsm_token(conf_dir: Path, label: str, so_pin: str, pin: str) -> Path:
    """Create a SoftHSM2 configuration of its own in ``conf_dir`` and a token in it.

    Returns the configuration file: set ``SOFTHSM2_CONF`` to it *before* the process first
    loads the SoftHSM2 module (SoftHSM reads it once, when the library is initialised).
    """
    conf_dir = Path(conf_dir).resolve()
    tokens = conf_dir / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    os.chmod(tokens, 0o700)
    conf = conf_dir / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n",
        "utf-8",
    )
    _run(
        ["softhsm2-util", "--init-token", "--free", "--label", label,
         "--so-pin", so_pin, "--pin", pin],
        softhsm_env(conf), f"creating token {label!r}", (so_pin, pin),
    )
    return conf


def import_p12_to_token(
    p12: Path,
    passphrase: bytes | str,
    module: str,
    token_label: str,
    pin: str,
    key_label: str,
    *,
    conf: Path | None = None,
    include_chain: bool = True,
) -> None:
    """Copy the key, certificate and (by default) CA chain of a PKCS#12 file onto a token.

    The key goes through ``softhsm2-util --import`` (SoftHSM2 only) as a PKCS#8 file
    encrypted with a one-time passphrase in a private temporary directory, removed
    afterwards; the certificates through ``pkcs11-tool --write-object``. The key and its
    certificate get label ``key_label`` and the same object ID; chain certificates get
    ``{key_label}-ca-N``.

    :param conf: the SoftHSM2 configuration (default: ``$SOFTHSM2_CONF``).
    """
    pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        key, cert, cas = pkcs12.load_key_and_certificates(Path(p12).read_bytes(), pw)
    except OSError as e:
        raise KeyUnlockError(f"cannot read {p12}: {e.strerror}") from e
    except ValueError as e:
        raise KeyUnlockError(f"cannot open {p12}: wrong passphrase, or not PKCS#12") from e
    if key is None or cert is None:
        raise KeyUnlockError(f"{p12} holds no private key with its certificate")

    env = softhsm_env(conf)
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    obj_id = hashlib.sha256(cert_der).hexdigest()[:16]
    file_pin = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="ptsp-p11-") as tmp:
        os.chmod(tmp, 0o700)
        key_path = Path(tmp) / "key.p8.pem"
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(file_pin.encode()),
                )
            )
        _run(
            ["softhsm2-util", "--import", str(key_path), "--file-pin", file_pin,
             "--token", token_label, "--label", key_label, "--id", obj_id, "--pin", pin],
            env, f"importing the key into token {token_label!r}", (pin, file_pin),
        )
        certs = [(key_label, obj_id, cert_der)]
        if include_chain:
            for n, ca in enumerate(cas):
                der = ca.public_bytes(serialization.Encoding.DER)
                certs.append((f"{key_label}-ca-{n}", hashlib.sha256(der).hexdigest()[:16], der))
        for label, cid, der in certs:
            path = Path(tmp) / f"{cid}.der"
            path.write_bytes(der)
            _run(
                ["pkcs11-tool", "--module", module, "--token-label", token_label,
                 "--login", "--pin", pin, "--write-object", str(path), "--type", "cert",
                 "--label", label, "--id", cid],
                env, f"writing certificate {label!r} to token {token_label!r}", (pin,),
            )
