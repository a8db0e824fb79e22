"""The office profile: everything that differs between licensing offices, in one TOML file.

Unknown keys are errors that name them, so a typo never silently falls back to a default.
Relative paths are relative to the profile file's folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import ProfileError, PtspError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = ROOT / "templates" / "office" / "balangan.toml"


@dataclass(frozen=True)
class Office:
    regency: str
    province: str
    name: str
    short_name: str
    address: str
    city_of_issue: str
    emblem: Path | None = None
    phone: str = ""
    email: str = ""
    website: str = ""
    formation_law: str = ""
    grounds: tuple[str, ...] = ()
    tembusan: tuple[str, ...] = ()
    timezone: str = "Asia/Makassar"  # WITA: decree dates and number months are local

    def now(self) -> datetime:
        """The office's local time (aware)."""
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo(self.timezone))

    def today(self) -> date:
        """The office's calendar day now (a decree signed at 07:00 WITA is dated that day)."""
        return self.now().date()

    @property
    def contact_line(self) -> str:
        parts = []
        if self.phone:
            parts.append(f"Telepon {self.phone}")
        if self.email:
            parts.append(f"Pos-el {self.email}")
        if self.website:
            parts.append(f"Laman {self.website}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Signer:
    name: str
    nip: str
    rank: str
    title: str
    acting: str = ""  # "", "Plt." or "Plh."


@dataclass(frozen=True)
class DelegationRecord:
    decree_number: str
    decree_date: date
    decree_title: str
    valid_from: date
    decree_subject: str = ""
    valid_until: date | None = None
    delegate_fingerprint: str = ""
    delegate_certificate: Path | None = None
    delegate_subject: str = ""
    scope: tuple[str, ...] = ("*",)
    acting: str = ""
    # "Berita Daerah Kabupaten Balangan Tahun 2021 Nomor 5": printed in Mengingat
    decree_publication: str = ""

    @property
    def citation(self) -> str:
        about = f" tentang {self.decree_subject}" if self.decree_subject else ""
        return f"{self.decree_title} Nomor {self.decree_number}{about}"


@dataclass(frozen=True)
class Authority:
    model: str  # "delegasi": decree in the Kepala Dinas's name; "mandat": a.n. the Bupati
    delegator: str
    delegations: tuple[DelegationRecord, ...]


@dataclass(frozen=True)
class Numbering:
    pattern: str = "503/{seq}/{permit}/DPMPTSP-BLG/{month_roman}/{year}"
    scope: str = "office_year"
    pad: int = 4


@dataclass(frozen=True)
class Verification:
    base_url: str


@dataclass(frozen=True)
class SignatureConfig:
    level: str = "B-LTA"
    location: str = ""
    contact: str = ""
    footer: str = ""
    timestamp_url: str = ""
    demo_services: bool = False


@dataclass(frozen=True)
class Keys:
    source: str = "pkcs12"
    pkcs12: Path | None = None
    passphrase_env: str = "PTSP_KEY_PASSPHRASE"
    pkcs11_module: str = ""
    token_label: str = ""
    key_label: str = ""
    pin_env: str = "PTSP_PIN"
    demo_pki: Path | None = None
    demo_passphrase: str = ""
    # source = "csc": a Cloud Signature Consortium API v1 service (only hashes leave)
    csc_url: str = ""
    csc_credential: str = ""
    csc_pin_env: str = "PTSP_CSC_PIN"
    csc_otp_env: str = ""
    csc_token_env: str = ""
    csc_batch_size: int = 10
    csc_timeout: int = 60
    # source = "bsre": BSrE's eSign API (the whole PDF goes to the service)
    bsre_url: str = ""
    bsre_api: str = "v2"
    bsre_client_id_env: str = "PTSP_BSRE_CLIENT_ID"
    bsre_client_secret_env: str = "PTSP_BSRE_CLIENT_SECRET"
    bsre_nik: str = ""
    bsre_email: str = ""
    bsre_passphrase_env: str = "PTSP_BSRE_PASSPHRASE"
    bsre_totp_env: str = ""
    bsre_certificate: Path | None = None
    bsre_chain: tuple[Path, ...] = ()
    bsre_files_per_request: int = 5
    bsre_concurrency: int = 2
    bsre_timeout: int = 120


@dataclass(frozen=True)
class Trust:
    roots: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Legal:
    """The office's own legal grounds and statements (see ``ptsp.legal``).

    ``grounds``: IDs of ``templates/legal.toml`` or citations written out in full; printed in
    Mengingat with the permit's grounds, ordered by hierarchy (UU 12/2011 Pasal 7-8).
    ``authority``: the provision that gives the Kepala Dinas the authority (Menimbang).
    ``esign_statement``: the electronic-signature statement; ``{ca}`` is the issuing CA's name.
    ``stamp_statement``: where the electronic seal replaces the wet stamp of Pasal 8(2).
    """

    grounds: tuple[str, ...] = ()
    authority: str = ""
    esign_statement: str = ""
    stamp_statement: str = ""


@dataclass(frozen=True)
class Layout:
    """Page layout of the decrees (tata naskah dinas; read by ``make templates``)."""

    font: str = "Arial"
    body_size_pt: float = 12.0
    margin_top_mm: float = 20.0
    margin_bottom_mm: float = 25.0
    margin_left_mm: float = 30.0
    margin_right_mm: float = 20.0


@dataclass(frozen=True)
class Storage:
    data_dir: Path
    registry: str
    output_dir: Path


@dataclass(frozen=True)
class Mail:
    """SMTP for the hand-over e-mail; no ``host``: no mail is sent (the outbox still fills)."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password_env: str = "PTSP_SMTP_PASSWORD"
    sender: str = ""
    timeout: int = 30
    cafile: Path | None = None  # a private CA for the mail server's certificate


@dataclass(frozen=True)
class Profile:
    path: Path
    office: Office
    signer: Signer
    authority: Authority
    numbering: Numbering
    verification: Verification
    signature: SignatureConfig
    keys: Keys
    trust: Trust
    storage: Storage
    demo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    legal: Legal = field(default_factory=Legal)
    layout: Layout = field(default_factory=Layout)
    mail: Mail = field(default_factory=Mail)

    def verify_url(self, token: str) -> str:
        return f"{self.verification.base_url.rstrip('/')}/v/{token}"

    @property
    def decision_maker(self) -> str:
        """Who decides, as the heading names them ("KEPALA DINAS ... KABUPATEN BALANGAN")."""
        return f"{self.signer.title} {self.office.regency}"

    @property
    def signer_title_full(self) -> str:
        acting = f"{self.signer.acting} " if self.signer.acting else ""
        return f"{acting}{self.decision_maker}"

    def office_grounds(self, on: date | None = None) -> list[str]:
        """The office's own Mengingat items: formation law, extra grounds, the delegation."""
        items = [g for g in (self.office.formation_law, *self.office.grounds) if g]
        d = self.current_delegation(on)
        if d is not None:
            items.append(d.citation)
        return items

    def current_delegation(self, on: date | None = None) -> DelegationRecord | None:
        on = on or self.office.today()
        for d in self.authority.delegations:
            if d.valid_from <= on and (d.valid_until is None or on <= d.valid_until):
                return d
        return None

    def signature_block(self) -> dict[str, str]:
        title = f"{self.decision_maker},".upper()
        acting = f"{self.signer.acting} " if self.signer.acting else ""
        if self.authority.model == "mandat":
            return {"on_behalf": f"a.n. {self.authority.delegator.upper()}",
                    "title_line": f"{acting}{title}"}
        return {"on_behalf": "", "title_line": f"{acting}{title}"}

    def render_context(self, on: date | None = None, signing_ca: str = "") -> dict[str, Any]:
        """The office-wide part of every decree's render context."""
        o = self.office
        issuer = f"Keputusan {self.signer.title}"
        if self.authority.model == "mandat":
            issuer = f"Keputusan {self.authority.delegator}"
            maker = self.authority.delegator
        else:
            maker = self.decision_maker
        return {
            "office": {
                "regency": o.regency, "province": o.province, "name": o.name,
                "short_name": o.short_name, "address": o.address,
                "contact_line": o.contact_line, "city_of_issue": o.city_of_issue,
                "tembusan": list(o.tembusan),
            },
            "office_grounds": self.office_grounds(on),
            "decree_issuer": issuer,
            "decision_maker": maker,
            "decision_maker_title": maker if self.authority.model == "mandat"
            else self.decision_maker,
            "signer": {"name": self.signer.name, "nip": self.signer.nip,
                       "rank": self.signer.rank, "title": self.signer.title,
                       "acting": self.signer.acting},
            "signature": self.signature_block(),
            "footer_text": self.signature.footer,
            **_legal_context(self, on, signing_ca),
        }


def _take(table: dict[str, Any], cls: type, where: str, base: Path,
          required: tuple[str, ...] = ()) -> Any:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: expected a table")
    names = {f.name: f for f in fields(cls)}
    unknown = sorted(set(table) - set(names))
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(names))}")
    missing = [k for k in required if not table.get(k)]
    if missing:
        raise ProfileError(f"{where}: missing {', '.join(missing)}")
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        ftype = str(names[key].type)
        try:
            if "Path" in ftype and "tuple" not in ftype:
                kwargs[key] = (base / value).resolve() if value else None
            elif "tuple[Path" in ftype:
                kwargs[key] = tuple((base / v).resolve() for v in value)
            elif "tuple" in ftype:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ProfileError(f"{where}.{key}: expected a list of strings")
                kwargs[key] = tuple(value)
            elif ftype.startswith("date"):
                kwargs[key] = value if isinstance(value, date) else date.fromisoformat(value)
            elif ftype == "int":
                if not isinstance(value, int):
                    raise ProfileError(f"{where}.{key}: expected a whole number")
                kwargs[key] = value
            elif ftype == "bool":
                if not isinstance(value, bool):
                    raise ProfileError(f"{where}.{key}: expected true or false")
                kwargs[key] = value
            else:
                if not isinstance(value, str):
                    raise ProfileError(f"{where}.{key}: expected text")
                kwargs[key] = value
        except (TypeError, ValueError) as e:
            raise ProfileError(f"{where}.{key}: {e}") from e
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ProfileError(f"{where}: {e}") from e


_TABLES = {"office", "signer", "authority", "numbering", "verification", "signature", "keys",
           "trust", "storage", "demo", "legal", "layout"}
_TABLES.add("mail")
_TABLES |= {"cluster"}  # read by ptsp.cluster.settings


def _legal_context(profile: Profile, on: date | None, signing_ca: str) -> dict[str, Any]:
    from .legal import legal_context

    return legal_context(profile, on, signing_ca)


def load_profile(path: Path | None = None) -> Profile:
    """Read and check an office profile (default: ``$PTSP_PROFILE`` or Balangan's)."""
    path = Path(path or os.environ.get("PTSP_PROFILE") or DEFAULT_PROFILE).resolve()
    try:
        return _read_profile(path)
    except (ProfileError, PtspError):
        raise
    except OSError as e:
        raise ProfileError(f"cannot read the office profile {path}: {e}") from e
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        from generator.errors import GeneratorError
        from signer.errors import SignerError

        if isinstance(e, (GeneratorError, SignerError)):  # their own, already clear
            raise
        raise ProfileError(f"{path.name}: malformed office profile: {type(e).__name__}: "
                           f"{e}") from e


def _read_profile(path: Path) -> Profile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ProfileError(f"office profile not found: {path}") from e
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{path}: {e}") from e
    where = path.name
    unknown = sorted(set(raw) - _TABLES)
    if unknown:
        raise ProfileError(f"{where}: unknown table(s) {', '.join(unknown)}")
    base = path.parent
    for t in ("office", "signer", "authority", "verification"):
        if t not in raw:
            raise ProfileError(f"{where}: missing table [{t}]")
    office = _take(raw["office"], Office, f"{where} [office]", base,
                   ("regency", "province", "name", "short_name", "address", "city_of_issue"))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(office.timezone)
    except Exception as e:
        raise ProfileError(f"{where} [office].timezone: unknown time zone "
                           f"{office.timezone!r}") from e
    signer = _take(raw["signer"], Signer, f"{where} [signer]", base,
                   ("name", "nip", "rank", "title"))
    if signer.acting not in ("", "Plt.", "Plh."):
        raise ProfileError(f"{where} [signer].acting: use \"\", \"Plt.\" or \"Plh.\"")
    auth_raw = dict(raw["authority"])
    dels_raw = auth_raw.pop("delegations", [])
    unknown = sorted(set(auth_raw) - {"model", "delegator"})
    if unknown:
        raise ProfileError(f"{where} [authority]: unknown key(s) {', '.join(unknown)}")
    model = auth_raw.get("model", "delegasi")
    if model not in ("delegasi", "mandat"):
        raise ProfileError(f"{where} [authority].model: use \"delegasi\" or \"mandat\"")
    delegations = tuple(
        _take(d, DelegationRecord, f"{where} [[authority.delegations]] #{i}", base,
              ("decree_number", "decree_date", "decree_title", "valid_from"))
        for i, d in enumerate(dels_raw, start=1)
    )
    for i, d in enumerate(delegations, start=1):
        if not (d.delegate_fingerprint or d.delegate_certificate or d.delegate_subject):
            raise ProfileError(f"{where} [[authority.delegations]] #{i}: name the delegate "
                               "(delegate_fingerprint, delegate_certificate or delegate_subject)")
    authority = Authority(model, auth_raw.get("delegator", ""), delegations)
    if model == "mandat" and not authority.delegator:
        raise ProfileError(f"{where} [authority]: model \"mandat\" needs delegator")
    numbering = _take(raw.get("numbering", {}), Numbering, f"{where} [numbering]", base)
    if numbering.scope not in ("office_year", "permit_year"):
        raise ProfileError(f"{where} [numbering].scope: use office_year or permit_year")
    if "{seq}" not in numbering.pattern:
        raise ProfileError(f"{where} [numbering].pattern must contain {{seq}}")
    verification = _take(raw["verification"], Verification, f"{where} [verification]", base,
                         ("base_url",))
    signature = _take(raw.get("signature", {}), SignatureConfig, f"{where} [signature]", base)
    if signature.level not in ("B-B", "B-T", "B-LT", "B-LTA"):
        raise ProfileError(f"{where} [signature].level: use B-B, B-T, B-LT or B-LTA")
    keys = _take(raw.get("keys", {}), Keys, f"{where} [keys]", base)
    if keys.source not in ("pkcs12", "pkcs11", "csc", "bsre"):
        raise ProfileError(f"{where} [keys].source: use pkcs12, pkcs11, csc or bsre")
    if keys.source == "csc" and not (keys.csc_url and keys.csc_credential):
        raise ProfileError(f"{where} [keys]: source \"csc\" needs csc_url and csc_credential")
    if keys.source == "bsre" and not (keys.bsre_url and (keys.bsre_nik or keys.bsre_email)
                                      and keys.bsre_certificate):
        raise ProfileError(f"{where} [keys]: source \"bsre\" needs bsre_url, bsre_nik (or "
                           "bsre_email) and bsre_certificate")
    if keys.bsre_api not in ("v1", "v2"):
        raise ProfileError(f"{where} [keys].bsre_api: use v1 or v2")
    trust = _take(raw.get("trust", {}), Trust, f"{where} [trust]", base)
    st_raw = dict(raw.get("storage", {}))
    unknown = sorted(set(st_raw) - {"data_dir", "registry", "output_dir"})
    if unknown:
        raise ProfileError(f"{where} [storage]: unknown key(s) {', '.join(unknown)}")
    env_home = os.environ.get("PTSP_HOME")
    if env_home:
        data_dir = Path(env_home).resolve()
    elif st_raw.get("data_dir"):
        data_dir = (base / st_raw["data_dir"]).resolve()
    else:
        data_dir = (Path.cwd() / "var").resolve()
    registry = os.environ.get("PTSP_DB") or st_raw.get("registry") or \
        f"sqlite:///{data_dir / 'registry.sqlite'}"
    output_dir = (base / st_raw["output_dir"]).resolve() if st_raw.get("output_dir") \
        else data_dir / "decrees"
    demo = raw.get("demo", False)
    if not isinstance(demo, bool):
        raise ProfileError(f"{where}: demo must be true or false")
    legal = _take(raw.get("legal", {}), Legal, f"{where} [legal]", base)
    layout = _take_layout(raw.get("layout", {}), f"{where} [layout]")
    mail = _take(raw.get("mail", {}), Mail, f"{where} [mail]", base)
    if mail.host and not mail.sender:
        raise ProfileError(f"{where} [mail]: set sender (the From address) with host")
    return Profile(
        path=path, office=office, signer=signer, authority=authority, numbering=numbering,
        verification=verification, signature=signature, keys=keys, trust=trust,
        storage=Storage(data_dir=data_dir, registry=registry, output_dir=output_dir), demo=demo,
        legal=legal, layout=layout,
        mail=mail,
    )


def _take_layout(table: dict[str, Any], where: str) -> Layout:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: expected a table")
    names = {f.name for f in fields(Layout)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(unknown)}; "
                           f"known: {', '.join(sorted(names))}")
    for key, value in table.items():
        if key == "font":
            if not isinstance(value, str) or not value:
                raise ProfileError(f"{where}.font: expected a font name")
        elif not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value < 80:
            raise ProfileError(f"{where}.{key}: expected a number (points or millimetres)")
    return Layout(**table)
