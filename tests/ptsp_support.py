"""Helpers for the application-level tests: an office profile over a test PKI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ptsp.profile import DEFAULT_PROFILE

PASS_ENV = "PTSP_TEST_KEY_PASSPHRASE"
FORMATION_LAW = ("Undang-Undang Nomor 2 Tahun 2003 tentang Pembentukan Kabupaten Tanah Bumbu dan "
                 "Kabupaten Balangan di Provinsi Kalimantan Selatan")


def write_profile(
    directory: Path, pki: Any = None, *, model: str = "delegasi", scope: list[str] | None = None,
    valid_from: str = "2021-01-04", valid_until: str | None = None, acting: str = "",
    level: str = "B-LTA", base_url: str = "http://127.0.0.1:8000", extra: str = "",
    delegate_fingerprint: str | None = None, keys_section: str | None = None,
) -> Path:
    """A complete office profile in ``directory`` that signs with ``pki``'s Kepala Dinas key."""
    from tests.signer_support import TEST_PASSPHRASE

    os.environ[PASS_ENV] = TEST_PASSPHRASE
    emblem = DEFAULT_PROFILE.parent.parent / "assets" / "emblem.png"
    scope_s = json.dumps(scope or ["*"])
    delegate = (f'delegate_fingerprint = "{delegate_fingerprint}"' if delegate_fingerprint
                else f'delegate_certificate = "{pki.signer_cert}"' if pki else
                'delegate_subject = "NIP 197001012000031001"')
    until = f'valid_until = {valid_until}' if valid_until else ""
    keys = ""
    if pki is not None:
        keys = f"""
[keys]
source = "pkcs12"
pkcs12 = "{pki.signer_p12}"
passphrase_env = "{PASS_ENV}"

[trust]
roots = ["{pki.root_cert}"]
"""
    if keys_section is not None and pki is not None:
        keys = keys_section + f"""
[trust]
roots = ["{pki.root_cert}"]
"""
    tsa = f'timestamp_url = "{pki.tsa_url}"' if pki is not None else ""
    text = f"""
[office]
regency = "Kabupaten Balangan"
province = "Provinsi Kalimantan Selatan"
name = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
short_name = "DPMPTSP"
address = "Jalan Jend. A. Yani Km. 4,5 Paringin"
city_of_issue = "Paringin"
emblem = "{emblem}"
formation_law = "{FORMATION_LAW}"
tembusan = ["Bupati Balangan (sebagai laporan)"]

[signer]
name = "BUDI SANTOSO, S.E., M.M."
nip = "197001012000031001"
rank = "Pembina Utama Muda (IV/c)"
title = "Kepala Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
acting = "{acting}"

[authority]
model = "{model}"
delegator = "Bupati Balangan"

[[authority.delegations]]
decree_title = "Peraturan Bupati Balangan"
decree_number = "7 Tahun 2021"
decree_subject = "Pendelegasian Kewenangan Penandatanganan Perizinan"
decree_date = 2021-01-04
valid_from = {valid_from}
{until}
{delegate}
scope = {scope_s}

[verification]
base_url = "{base_url}"

[signature]
level = "{level}"
location = "Paringin"
footer = "Dokumen ini ditandatangani secara elektronik (UJI)."
{tsa}
{keys}
[storage]
data_dir = "{directory / 'var'}"
{extra}
"""
    path = directory / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def issued_count(db: Path) -> int:
    """Decrees issued so far in a SQLite registry that another process is writing."""
    import sqlite3

    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("select count(*) from registry_records "
                               "where status = 'issued'").fetchone()[0]
    except sqlite3.Error:
        return 0


def write_batch(directory: Path, count: int, seed: int, name: str = "apps.jsonl") -> Path:
    """``count`` sample applications across the permits, as JSON Lines."""
    import json

    from generator.catalog import load_catalog
    from ptsp.samples import sample_batch

    path = directory / name
    path.write_text("".join(json.dumps(a) + "\n"
                            for a in sample_batch(load_catalog(), count=count, seed=seed)))
    return path


def run_cli(*args: str) -> tuple[int, str, str]:
    """``ptsp ARGS`` in this process: (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from ptsp.cli import cli

    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr
