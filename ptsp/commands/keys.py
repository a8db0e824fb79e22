"""``ptsp keys``: the demo PKI, PKCS#11 tokens, and whether the configured key may sign."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import EXIT_FAIL, app_ctx, prompt_secret, secret


@click.group("keys")
def keys_group() -> None:
    """Signing keys: the demo PKI, PKCS#11 tokens."""


@keys_group.command("init")
@click.pass_context
def keys_init(ctx: click.Context) -> None:
    """Build the demo PKI (DEMO ONLY: root CA, issuing CA, Kepala Dinas, TSA, OCSP, CRL, and
    a "BSrE-like" root and CA with the Kepala Dinas's certificate for the BSrE test service)."""
    from ptsp.signing import demo_pki

    pki = demo_pki(app_ctx(ctx).profile)
    if pki is None:
        raise click.UsageError("this office profile names no demo PKI ([keys].demo_pki)")
    click.echo(f"demo PKI in {pki.out_dir} (DEMO ONLY, not for real permits)", err=True)
    click.echo(json.dumps({"out_dir": str(pki.out_dir), "root": str(pki.root_cert),
                           "signer_p12": str(pki.signer_p12),
                           "signer_cert": str(pki.signer_cert), "tsa_url": pki.tsa_url,
                           "bsre_root": str(pki.bsre_root_cert),
                           "bsre_signer_cert": str(pki.bsre_signer_cert)}))


@keys_group.command("softhsm-init")
@click.option("--dir", "conf_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the SoftHSM2 configuration and token files.")
@click.option("--label", required=True, help="Token label.")
@click.option("--pin-env", metavar="VAR", help="Environment variable with the user PIN.")
@click.option("--so-pin-env", metavar="VAR", help="Environment variable with the SO PIN.")
def keys_softhsm_init(conf_dir: Path, label: str, pin_env: str | None,
                      so_pin_env: str | None) -> None:
    """Create a SoftHSM2 software token (for testing the PKCS#11 set-up without hardware)."""
    from signer.pkcs11_setup import init_softhsm_token

    conf = init_softhsm_token(conf_dir, label, secret(so_pin_env, "SO PIN"),
                              secret(pin_env, "User PIN"))
    click.echo(f"token {label!r} created; use it with: export SOFTHSM2_CONF={conf}", err=True)
    click.echo(json.dumps({"softhsm2_conf": str(conf), "token_label": label}))


@keys_group.command("import")
@click.option("--p12", "p12", required=True,
              type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The certificate and key issued to the Kepala Dinas (PKCS#12).")
@click.option("--module", required=True, help="PKCS#11 module (e.g. the token vendor's .so).")
@click.option("--token-label", required=True)
@click.option("--key-label", required=True, help="Label to give the key and certificate.")
@click.option("--passphrase-env", metavar="VAR", help="Variable with the PKCS#12 passphrase.")
@click.option("--pin-env", metavar="VAR", help="Variable with the token's user PIN.")
def keys_import(p12: Path, module: str, token_label: str, key_label: str,
                passphrase_env: str | None, pin_env: str | None) -> None:
    """Put a PKCS#12 key, its certificate and CA chain on a PKCS#11 token."""
    from signer.pkcs11_setup import import_p12_to_token

    import_p12_to_token(p12, secret(passphrase_env, "PKCS#12 passphrase"), module,
                        token_label, secret(pin_env, "Token PIN"), key_label)
    click.echo(f"imported {p12.name} as {key_label!r} on token {token_label!r}; set "
               f"[keys] source = \"pkcs11\", token_label, key_label in the office profile",
               err=True)


@keys_group.command("check")
@click.option("--secret-env", metavar="VAR",
              help="Environment variable holding the key passphrase or PIN.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def keys_check(ctx: click.Context, secret_env: str | None, as_json: bool) -> None:
    """Unlock the configured key and say whether the delegation lets it sign today."""
    from datetime import UTC, datetime

    from ptsp.signing import delegations, key_source
    from signer.delegation import find_delegation

    c = app_ctx(ctx)
    with key_source(c.profile, secret_env=secret_env, prompt=prompt_secret).unlock() as key:
        found, why = find_delegation(delegations(c.profile), fingerprint=key.fingerprint_sha256,
                                     subject=key.subject, permit_code="*",
                                     when=datetime.now(UTC))
        doc = {"subject": key.subject, "sha256": key.fingerprint_sha256,
               "delegation": found.decree_number if found else None,
               "problems": list(why)}
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=1))
    else:
        click.echo(f"key: {doc['subject']}\nSHA-256: {doc['sha256']}")
        click.echo(f"delegation: {doc['delegation'] or 'NONE'}")
        for p in why:
            click.echo(f"  - {p}")
    if found is None:
        sys.exit(EXIT_FAIL)
