"""The office's legal grounds and statements in every decree, and the guard rail for real use.

- :func:`office_citations`: the regency's own Mengingat items (profile ``[legal].grounds``, the
  formation law, the delegation decree), structured by :mod:`generator.citations`; the renderer
  merges them with the permit's grounds and orders them by hierarchy.
- :func:`legal_context`: what the templates print besides (authority provision for Menimbang,
  the electronic-signature statement naming the issuing CA, the wet-stamp statement).
- :func:`real_use_problems`: with ``demo = false``, what still makes the profile a demo.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator.catalog import TEMPLATES_DIR
from generator.citations import Citation, LegalData, load_legal, parse_citation

from .errors import ProfileError

if TYPE_CHECKING:
    from .profile import DelegationRecord, Profile

DEFAULT_ESIGN = (
    "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik yang "
    "diterbitkan oleh {ca}. Sesuai dengan Pasal 5 ayat (1) Undang-Undang Nomor 11 Tahun 2008 "
    "tentang Informasi dan Transaksi Elektronik sebagaimana telah beberapa kali diubah, terakhir "
    "dengan Undang-Undang Nomor 1 Tahun 2024, informasi elektronik dan/atau dokumen elektronik "
    "dan/atau hasil cetaknya merupakan alat bukti hukum yang sah."
)
DEFAULT_STAMP = (
    "Tanda tangan dan cap stempel basah sebagaimana dimaksud dalam Pasal 8 ayat (2) Peraturan "
    "Bupati Balangan Nomor 16 Tahun 2021 digantikan oleh tanda tangan elektronik tersertifikasi "
    "dan penanda waktu elektronik yang melekat pada dokumen ini (Peraturan Pemerintah Nomor 71 "
    "Tahun 2019), yang dapat diperiksa melalui kode QR."
)
UNKNOWN_CA = "Penyelenggara Sertifikasi Elektronik"


def legal_data() -> LegalData:
    return load_legal(TEMPLATES_DIR / "legal.toml")


def _resolve(text_or_id: str, data: LegalData, where: str) -> Citation:
    if text_or_id in data.citations:
        return data.citations[text_or_id]
    try:
        return data.resolve_text(text_or_id, source=where)
    except Exception as e:  # CatalogError: a citation that cannot be read
        raise ProfileError(f"{where}: {e}") from e


def delegation_citation(d: DelegationRecord) -> Citation | None:
    """The delegation decree as a citation (None when its title names no known kind)."""
    number, title = d.decree_number, d.decree_subject or "Pendelegasian Kewenangan"
    contoh = re.search(r"\s*\((CONTOH)\)", number)
    if contoh:
        number = number.replace(contoh.group(0), "")
        title += " (CONTOH)"
    text = f"{d.decree_title} Nomor {number.strip()} tentang {title}"
    if d.decree_publication:
        text += f" ({d.decree_publication})"
    try:
        c = parse_citation(text, source="profil kantor [[authority.delegations]]")
    except Exception:
        return None
    if not c.publication:
        from dataclasses import replace

        c = replace(c, publication_defect="decree_publication tidak diisi di profil kantor")
    return c


def office_citations(profile: Profile, on: date | None = None) -> list[Citation]:
    """The regency's own grounds: formation law, ``[legal].grounds``, the delegation."""
    data = legal_data()
    where = f"{profile.path.name} [legal].grounds"
    items = [profile.office.formation_law, *profile.office.grounds, *profile.legal.grounds]
    out = [_resolve(t, data, where) for t in items if t]
    d = profile.current_delegation(on)
    if d is not None:
        c = delegation_citation(d)
        if c is not None:
            out.append(c)
    return out


def authority_basis(profile: Profile, on: date | None = None) -> str:
    """The provision that gives the authority, and the delegation decree (Menimbang)."""
    if profile.legal.authority:
        base = profile.legal.authority
    else:
        perbup = legal_data().citations.get("perbup-blg-16-2021")
        base = f"{perbup.pasal} {perbup.name} tentang {perbup.title}" if perbup else ""
    d = profile.current_delegation(on)
    if d is not None and profile.authority.model == "delegasi":
        c = delegation_citation(d)
        if c is not None:
            return f"{base} dan {c.name} tentang {c.title}" if base else \
                f"{c.name} tentang {c.title}"
    return base


def legal_context(profile: Profile, on: date | None = None,
                  signing_ca: str = "") -> dict[str, Any]:
    statement = profile.legal.esign_statement or DEFAULT_ESIGN
    return {
        "legal_grounds": office_citations(profile, on),
        "authority_basis": authority_basis(profile, on),
        "esign_statement": statement.replace("{ca}", signing_ca or UNKNOWN_CA),
        "stamp_statement": profile.legal.stamp_statement or DEFAULT_STAMP,
    }


def certificate_issuer_name(cert: Any) -> str:
    """The issuing CA's name of an asn1crypto certificate: its organisation, else its CN."""
    native = cert.issuer.native
    return str(native.get("organization_name") or native.get("common_name") or "")


def configured_ca_name(profile: Profile, on: date | None = None) -> str:
    """The CA name from the delegate's certificate named in the profile (drafts: no key yet)."""
    d = profile.current_delegation(on)
    path: Path | None = d.delegate_certificate if d is not None else None
    if path is None or not path.exists():
        return ""
    try:
        from signer.keys import load_certificate

        return certificate_issuer_name(load_certificate(path))
    except Exception:  # an unreadable certificate is reported by `ptsp keys check`
        return ""


# -- guard rail ----------------------------------------------------------------------------------

def _contoh(value: Any, where: str, out: list[str]) -> None:
    if isinstance(value, str):
        if "CONTOH" in value.upper():
            out.append(f"{where} = {value!r} is a CONTOH (demo) value")
    elif isinstance(value, dict):
        for k, v in value.items():
            _contoh(v, f"{where}.{k}", out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _contoh(v, f"{where}[{i}]", out)


def real_use_problems(profile: Profile) -> list[str]:
    """Everything that makes this profile unfit for real decrees (empty when ``demo = true``:
    the demo may use demo values), and empty unless the profile says ``demo = false`` in so
    many words: that line is the office's declaration of real use. Each problem names the
    setting."""
    import tomllib

    if profile.demo:
        return []
    try:
        raw = tomllib.loads(profile.path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    if raw.get("demo") is not False:
        return []
    problems: list[str] = []
    _contoh(raw, profile.path.name, problems)
    host = (urlsplit(profile.verification.base_url).hostname or "").lower()
    if host in ("localhost", "::1") or host.startswith("127.") or host == "0.0.0.0":
        problems.append(f"[verification].base_url = {profile.verification.base_url!r} is a "
                        "loopback address: the QR code would not open for the public")
    if profile.keys.demo_pki is not None:
        problems.append(f"[keys].demo_pki = {str(profile.keys.demo_pki)!r}: the demo PKI is "
                        "configured")
    if profile.keys.demo_passphrase:
        problems.append("[keys].demo_passphrase is set (demo PKI)")
    if profile.signature.demo_services:
        problems.append("[signature].demo_services = true (demo timestamp and revocation "
                        "services)")
    ts = (urlsplit(profile.signature.timestamp_url).hostname or "").lower()
    if ts and (ts in ("localhost", "::1") or ts.startswith("127.")):
        problems.append(f"[signature].timestamp_url = {profile.signature.timestamp_url!r} is a "
                        "loopback address")
    for key in ("pkcs12",):
        path = getattr(profile.keys, key)
        if path is not None and "keys/generated" in str(path).replace("\\", "/"):
            problems.append(f"[keys].{key} = {str(path)!r} is the demo PKI's key")
    return problems


def check_real_use(profile: Profile) -> None:
    """Refuse to issue with ``demo = false`` while demo settings remain (names each)."""
    problems = real_use_problems(profile)
    if problems:
        raise ProfileError(
            f"{profile.path.name}: demo = false, but the profile is not ready for real decrees:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nreplace these settings (or set demo = true for a demonstration)")
