"""The one verification core behind ``ptsp verify`` and the web portal.

A decree is ``SAH`` only when every check passed: every signature intact, valid and covering
what a reader sees; the chain trusted; the signer the delegated Kepala Dinas for this permit type
at the signing time; a trusted signing time; revocation status known and good; and the registry
knows the decree, its signed content matches and it is still in force. A check that failed makes
it ``TIDAK SAH``; a check that could not be made makes it ``TIDAK DAPAT DIPASTIKAN``, never
``SAH``.

Besides pyHanko's difference analysis (in :func:`signer.validate.validate_pdf`) the file goes
through our own structural checks (:func:`check_structure`), written against the published PDF
signature attacks (universal signature forgery, incremental saving, signature wrapping, shadow
attacks, evil annotations, sneaky signatures): a verifier that trusts one analysis alone has been
fooled before. The JSON shape of :meth:`VerifyResult.as_dict` is documented in
``docs/verification-json.md`` and ``docs/verification.schema.json``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signer.delegation import Delegation, find_delegation
from signer.validate import SignatureReport, TrustSettings, ValidationReport, validate_pdf

from .registry import Record, Registry, Status

SAH = "SAH"
TIDAK_SAH = "TIDAK SAH"
TIDAK_DAPAT_DIPASTIKAN = "TIDAK DAPAT DIPASTIKAN"
SCHEMA_VERSION = "1"

# Codes that mean "could not be checked" rather than "checked and wrong".
UNCERTAIN = frozenset({
    "revocation_unknown", "ades_indeterminate", "registry_unavailable", "no_trusted_time",
    "delegation_unknown", "structure_unchecked",
})

STATUS_ID = {
    Status.ISSUED: "berlaku",
    Status.RESERVED: "belum diterbitkan",
    Status.VOIDED: "dibatalkan sebelum terbit",
    Status.WITHDRAWN: "ditarik",
    Status.CANCELLED: "dibatalkan",
    Status.REVOKED: "dicabut",
    Status.REPLACED: "diganti",
}

MESSAGES = {
    "data_after_eof": "Terdapat data tambahan di akhir berkas yang tidak tercakup tanda tangan.",
    "hidden_revision": "Berkas memuat bagian pembaruan yang tersembunyi dari struktur PDF.",
    "hybrid_xref": "Berkas memakai struktur referensi silang ganda yang dapat dibaca berbeda "
                   "oleh aplikasi lain.",
    "byte_range_invalid": "Rentang data yang ditandatangani (/ByteRange) tidak sah atau telah "
                          "dimanipulasi.",
    "signature_padding": "Kolom tanda tangan memuat data tambahan tersembunyi di luar "
                         "tanda tangan.",
    "revision_not_covered": "Tanda tangan tidak berakhir pada batas revisi dokumen.",
    "multiple_signatures": "Dokumen memuat lebih dari satu tanda tangan persetujuan, padahal "
                           "keputusan hanya ditandatangani sekali oleh pejabat berwenang.",
    "object_overwritten": "Bagian dokumen yang telah ditandatangani diganti dalam pembaruan "
                          "berikutnya.",
    "pages_changed": "Halaman dokumen ditambah, dihapus, atau diubah setelah ditandatangani.",
    "page_content_changed": "Isi halaman diubah setelah ditandatangani.",
    "annotation_added": "Anotasi (coretan, kotak, teks tambahan) ditambahkan setelah "
                        "ditandatangani.",
    "form_field_added": "Kolom isian atau kolom tanda tangan ditambahkan setelah "
                        "ditandatangani.",
    "catalog_changed": "Pengaturan dokumen (katalog PDF) diubah setelah ditandatangani.",
    "structure_unchecked": "Struktur berkas tidak dapat diperiksa sepenuhnya.",
    "not_yet_valid_certificate": "Sertifikat penanda tangan belum berlaku pada waktu "
                                 "penandatanganan.",
    "self_signed_certificate": "Sertifikat penanda tangan dibuat sendiri (self-signed), bukan "
                               "diterbitkan oleh otoritas sertifikat yang dipercaya.",
    "revocation_unknown": "Status pencabutan sertifikat penanda tangan tidak dapat dipastikan.",
}

# Which check each reason code belongs to (for the check list of the report).
CHECKS: tuple[tuple[str, str], ...] = (
    ("file", "Berkas PDF dapat dibaca"),
    ("integrity", "Keutuhan tanda tangan"),
    ("modification", "Tidak ada perubahan setelah ditandatangani"),
    ("certificate", "Sertifikat penanda tangan tepercaya dan berlaku"),
    ("revocation", "Status pencabutan sertifikat"),
    ("timestamp", "Stempel waktu tepercaya"),
    ("delegation", "Kewenangan penanda tangan (pendelegasian dari Bupati)"),
    ("registry", "Tercatat dalam register izin dan masih berlaku"),
)
_CODE_CHECK = {
    **dict.fromkeys(("empty_file", "not_a_pdf", "truncated", "malformed_pdf", "no_signature",
                     "unreadable_signature"), "file"),
    **dict.fromkeys(("digest_mismatch", "invalid_signature", "byte_range_invalid",
                     "revision_not_covered", "signature_padding"), "integrity"),
    **dict.fromkeys(("modified_after_signing", "partial_coverage", "data_after_eof",
                     "hidden_revision", "hybrid_xref", "multiple_signatures",
                     "object_overwritten", "pages_changed", "page_content_changed",
                     "annotation_added", "form_field_added", "catalog_changed",
                     "structure_unchecked"), "modification"),
    **dict.fromkeys(("untrusted_chain", "expired_certificate", "not_yet_valid_certificate",
                     "certificate_usage", "certificate_problem", "self_signed_certificate"),
                    "certificate"),
    **dict.fromkeys(("revoked_certificate", "revocation_unknown"), "revocation"),
    **dict.fromkeys(("untrusted_timestamp", "no_trusted_time"), "timestamp"),
    **dict.fromkeys(("not_delegate", "delegation_unknown"), "delegation"),
}


@dataclass(frozen=True)
class VerifyReason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _r(code: str) -> VerifyReason:
    return VerifyReason(code, MESSAGES[code])


@dataclass(frozen=True)
class RegistryCheck:
    found: bool
    status: str | None = None
    status_label: str | None = None
    hash_match: bool | None = None
    matched_on: str | None = None
    """"file" (the file as issued) | "signed_revision" (later validation data only) | None."""
    number: str | None = None
    permit: str | None = None
    permit_name: str | None = None
    holder_name: str | None = None
    holder_nik_masked: str | None = None
    issued_at: str | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    status_reason: str | None = None
    status_decree: str | None = None
    status_changed_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    verdict: str
    reasons: tuple[VerifyReason, ...]
    number: str | None
    permit: str | None
    permit_name: str | None
    holder_name: str | None
    holder_nik_masked: str | None
    signer: str | None
    signer_title: str | None
    signed_at: str | None
    pades_level: str | None
    delegation: str | None
    registry: RegistryCheck
    file_sha256: str
    signatures: tuple[dict[str, Any], ...] = field(default=())
    checks: tuple[dict[str, str], ...] = field(default=())
    delegation_detail: dict[str, Any] | None = None
    signed_revision_sha256: str | None = None
    later_revisions: str | None = None
    """"none" | "validation_data" (DSS / document timestamps only) | "other" | None."""

    @property
    def valid(self) -> bool:
        return self.verdict == SAH

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (``docs/verification-json.md``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "valid": self.valid,
            "verdict": self.verdict,
            "reasons": [r.as_dict() for r in self.reasons],
            "checks": list(self.checks),
            "number": self.number,
            "permit": self.permit,
            "permit_name": self.permit_name,
            "holder": {"name": self.holder_name, "nik_masked": self.holder_nik_masked},
            "signer": self.signer,
            "signer_title": self.signer_title,
            "signed_at": self.signed_at,
            "pades_level": self.pades_level,
            "delegation": self.delegation,
            "delegation_detail": self.delegation_detail,
            "registry": self.registry.as_dict(),
            "file_sha256": self.file_sha256,
            "signed_revision_sha256": self.signed_revision_sha256,
            "later_revisions": self.later_revisions,
            "signatures": list(self.signatures),
        }


# -- structural checks -----------------------------------------------------------------------


@dataclass(frozen=True)
class StructureReport:
    """What our own reading of the file found; ``codes`` empty means nothing wrong."""

    codes: tuple[str, ...]
    approval_count: int
    signed_revision_end: int | None
    """Offset just past the revision covered by the (only) approval signature."""
    later_revisions: str
    """"none" | "validation_data" | "other"."""
    certificates: dict[str, tuple[datetime, datetime, bool]] = field(default_factory=dict)
    """Per signature field: the signer certificate's (not before, not after, self-signed)."""


_WS = b" \t\r\n\x00\x0c"
_EOF_RE = re.compile(rb"(?:^|[\r\n])%%EOF")
_HEX_RE = re.compile(rb"<[0-9A-Fa-f]*>")
_MAX_DEPTH = 40


def _revision_end(data: bytes, after: int) -> int:
    """Offset just past the ``%%EOF`` (and one end-of-line) that ends the section at ``after``."""
    i = data.find(b"%%EOF", after)
    if i < 0:
        return -1
    end = i + 5
    if data[end:end + 2] == b"\r\n":
        return end + 2
    if data[end:end + 1] in (b"\r", b"\n"):
        return end + 1
    return end


def _canon(obj: Any, depth: int = 0) -> Any:
    """A comparable form of a PDF object that does not follow indirect references."""
    from pyhanko.pdf_utils import generic

    if depth > _MAX_DEPTH:
        raise ValueError("object nesting too deep")
    if isinstance(obj, generic.IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    if isinstance(obj, generic.StreamObject):
        items = tuple(sorted((str(k), _canon(v, depth + 1)) for k, v in obj.items()))
        return ("stream", items, hashlib.sha256(obj.encoded_data).hexdigest())
    if isinstance(obj, dict):
        return ("dict", tuple(sorted((str(k), _canon(v, depth + 1)) for k, v in obj.items())))
    if isinstance(obj, list):
        return ("array", tuple(_canon(v, depth + 1) for v in obj))
    if isinstance(obj, bytes):
        return ("bytes", bytes(obj))
    if obj is None or isinstance(obj, generic.NullObject):
        return ("null",)
    return (type(obj).__name__, str(obj))


def _deref(obj: Any) -> Any:
    from pyhanko.pdf_utils import generic

    return obj.get_object() if isinstance(obj, generic.IndirectObject) else obj


def _ref_of(obj: Any) -> Any:
    from pyhanko.pdf_utils import generic

    return obj.reference if isinstance(obj, generic.IndirectObject) else None


def _pages(root: Any) -> list[tuple[Any, Any]]:
    """(reference, page dictionary) of every page, walking the page tree (with limits)."""
    out: list[tuple[Any, Any]] = []
    seen: set[Any] = set()

    def walk(node_ref: Any, depth: int) -> None:
        if depth > _MAX_DEPTH or len(out) > 5000:
            raise ValueError("page tree too deep or too large")
        ref = _ref_of(node_ref)
        if ref is not None:
            if ref in seen:
                raise ValueError("page tree loops")
            seen.add(ref)
        node = _deref(node_ref)
        if str(node.get("/Type", "")) == "/Pages" or "/Kids" in node:
            for kid in _deref(node["/Kids"]):
                walk(kid, depth + 1)
        else:
            out.append((ref, node))

    walk(root.raw_get("/Pages"), 0)
    return out


def _annots(page: Any) -> list[Any]:
    if "/Annots" not in page:
        return []
    return list(_deref(page.raw_get("/Annots")))


def _is_invisible_doc_ts_widget(annot: Any) -> bool:
    """A document timestamp's field: signature value of type /DocTimeStamp, nothing painted."""
    a = _deref(annot)
    if str(a.get("/Subtype", "")) != "/Widget" or str(a.get("/FT", "")) != "/Sig":
        return False
    if "/Kids" in a or "/V" not in a:
        return False
    v = _deref(a.raw_get("/V"))
    if str(v.get("/Type", "")) != "/DocTimeStamp":
        return False
    rect = [float(x) for x in _deref(a.get("/Rect", [0, 0, 0, 0]))]
    zero_area = len(rect) == 4 and (rect[2] - rect[0]) * (rect[3] - rect[1]) == 0
    hidden = bool(int(a.get("/F", 0)) & (2 | 32))
    return zero_area or hidden or "/AP" not in a


def _byte_range_ok(data: bytes, emb: Any, revision_ends: set[int]) -> list[str]:
    """/ByteRange: [0, a, b, c], the gap exactly this signature's /Contents hex string, the end
    a revision boundary (signature wrapping and universal signature forgery)."""
    try:
        br = [int(x) for x in emb.sig_object.raw_get("/ByteRange")]
    except Exception:
        return ["byte_range_invalid"]
    if len(br) != 4 or br[0] != 0 or min(br) < 0 or not (0 < br[1] < br[2]) \
            or br[2] + br[3] > len(data):
        return ["byte_range_invalid"]
    gap = data[br[1]:br[2]]
    if not _HEX_RE.fullmatch(gap) or not re.search(rb"/Contents\s*$", data[max(0, br[1] - 16):
                                                                        br[1]]):
        return ["byte_range_invalid"]
    try:
        contents = bytes.fromhex(gap[1:-1].decode("ascii"))
        if contents != bytes(emb.sig_object["/Contents"]):
            return ["byte_range_invalid"]
    except (ValueError, KeyError):
        return ["byte_range_invalid"]
    out = []
    try:
        if contents[_der_length(contents):].strip(b"\x00"):
            out.append("signature_padding")
    except ValueError:
        out.append("byte_range_invalid")
    if br[2] + br[3] not in revision_ends:
        out.append("revision_not_covered")
    return out


def _der_length(blob: bytes) -> int:
    """Length of the DER element at the start of ``blob`` (the CMS container)."""
    if len(blob) < 2 or blob[0] != 0x30:
        raise ValueError("not a DER sequence")
    first = blob[1]
    if first < 0x80:
        return 2 + first
    n = first & 0x7F
    if n == 0 or n > 4:
        raise ValueError("unsupported DER length")
    return 2 + n + int.from_bytes(blob[2:2 + n], "big")


def check_structure(data: bytes) -> StructureReport:
    """Our own structural reading of a signed decree, independent of pyHanko's difference
    analysis (it uses pyHanko's parser only to read objects). Never raises."""
    try:
        return _check_structure(data)
    except Exception:  # noqa: BLE001 - a file we cannot read is not a file we may call SAH
        return StructureReport(("structure_unchecked",), 0, None, "other")


def _check_structure(data: bytes) -> StructureReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    codes: list[str] = []

    def add(code: str) -> None:
        if code not in codes:
            codes.append(code)

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    xrefs = reader.xrefs
    total = xrefs.total_revisions
    ends = []
    for rev in range(total):
        info = xrefs.get_xref_container_info(rev)
        ends.append(_revision_end(data, info.end_location))
    # everything after the last revision must be whitespace
    if ends[-1] < 0 or data[ends[-1]:].strip(_WS):
        add("data_after_eof")
    if len(_EOF_RE.findall(data)) != total:
        add("hidden_revision")
    if xrefs.hybrid_xrefs_present or b"/XRefStm" in data:
        add("hybrid_xref")
    revision_ends = set(ends) | {e - 1 for e in ends} | {e - 2 for e in ends}

    sigs = list(reader.embedded_signatures)
    approvals = [s for s in sigs if s.sig_object_type != "/DocTimeStamp"]
    certificates = {}
    for emb in sigs:
        for code in _byte_range_ok(data, emb, revision_ends):
            add(code)
        try:
            cert = emb.signer_cert
            validity = cert["tbs_certificate"]["validity"]
            certificates[str(emb.field_name)] = (
                validity["not_before"].native, validity["not_after"].native,
                cert.self_signed in ("yes", "maybe") or cert.subject == cert.issuer)
        except Exception:  # noqa: BLE001 - pyHanko reports an unreadable signature
            continue
    if len(approvals) != 1:
        if len(approvals) > 1:
            add("multiple_signatures")
        return StructureReport(tuple(codes), len(approvals), None, "other", certificates)
    approval = approvals[0]
    base_rev = approval.signed_revision
    br = [int(x) for x in approval.sig_object.raw_get("/ByteRange")]
    signed_end = br[2] + br[3]
    later = "none"
    if base_rev < total - 1:
        found = _later_revision_findings(reader, base_rev)
        for code in found:
            add(code)
        later = "other" if found else "validation_data"
    return StructureReport(tuple(codes), 1, signed_end, later, certificates)


def _later_revision_findings(reader: Any, base_rev: int) -> list[str]:
    """What the revisions after ``base_rev`` changed beyond validation data (DSS) and
    invisible document timestamps (incremental saving, shadow attacks, evil annotations,
    sneaky signatures)."""
    from pyhanko.pdf_utils import generic

    found: list[str] = []

    def add(code: str) -> None:
        if code not in found:
            found.append(code)

    xrefs = reader.xrefs
    base = reader.get_historical_resolver(base_rev)
    base_root = base.root
    final_root = reader.root
    root_ref = base.root_ref
    # objects of the signed revision that a pure validation-data update may rewrite
    allowed: set[Any] = {root_ref}
    info = base.trailer_view.raw_get("/Info") if "/Info" in base.trailer_view else None
    for candidate in (info, base_root.raw_get("/Metadata") if "/Metadata" in base_root else None,
                      base_root.raw_get("/AcroForm") if "/AcroForm" in base_root else None,
                      base_root.raw_get("/DSS") if "/DSS" in base_root else None):
        if _ref_of(candidate) is not None:
            allowed.add(_ref_of(candidate))
    if "/AcroForm" in base_root:
        acro = _deref(base_root.raw_get("/AcroForm"))
        if _ref_of(acro.raw_get("/Fields") if "/Fields" in acro else None) is not None:
            allowed.add(_ref_of(acro.raw_get("/Fields")))
    if "/DSS" in base_root:
        dss = _deref(base_root.raw_get("/DSS"))
        for key in ("/Certs", "/OCSPs", "/CRLs", "/VRI"):
            if key in dss and _ref_of(dss.raw_get(key)) is not None:
                allowed.add(_ref_of(dss.raw_get(key)))
        if "/VRI" in dss:
            for v in _deref(dss.raw_get("/VRI")).values():
                if _ref_of(v) is not None:
                    allowed.add(_ref_of(v))
    base_pages = _pages(base_root)
    for ref, page in base_pages:
        allowed.add(ref)
        if "/Annots" in page and _ref_of(page.raw_get("/Annots")) is not None:
            allowed.add(_ref_of(page.raw_get("/Annots")))

    # 1. no object of the signed revision is rewritten or freed, except those above
    for rev in range(base_rev + 1, xrefs.total_revisions):
        changed = set(xrefs.explicit_refs_in_revision(rev)) | set(
            xrefs.refs_freed_in_revision(rev))
        for ref in changed:
            try:
                introduced = xrefs.get_introducing_revision(ref)
            except KeyError:
                introduced = rev
            if introduced <= base_rev and ref not in allowed:
                add("object_overwritten")

    # 2. the catalog: only /DSS, /AcroForm (checked below) and /Extensions may differ
    skip = {"/DSS", "/AcroForm", "/Extensions"}
    if {k for k in base_root if k not in skip} != {k for k in final_root if k not in skip} or \
            any(_canon(base_root.raw_get(k)) != _canon(final_root.raw_get(k))
                for k in base_root if k not in skip):
        add("catalog_changed")
    if "/DSS" in final_root:
        dss = _deref(final_root.raw_get("/DSS"))
        if set(dss) - {"/Type", "/Certs", "/OCSPs", "/CRLs", "/VRI"}:
            add("catalog_changed")

    # 3. pages: the same pages, the same content; new annotations only invisible doc timestamps
    final_pages = _pages(final_root)
    if [r for r, _ in base_pages] != [r for r, _ in final_pages]:
        add("pages_changed")
    for (_, old), (_, new) in zip(base_pages, final_pages, strict=False):
        old_keys = {k for k in old if k != "/Annots"}
        new_keys = {k for k in new if k != "/Annots"}
        if old_keys != new_keys or any(_canon(old.raw_get(k)) != _canon(new.raw_get(k))
                                       for k in old_keys):
            add("page_content_changed")
        old_annots = [_canon(a) for a in _annots(old)]
        new_annots = _annots(new)
        if [_canon(a) for a in new_annots[:len(old_annots)]] != old_annots:
            add("annotation_added")
        for a in new_annots[len(old_annots):]:
            if not _is_invisible_doc_ts_widget(a):
                add("annotation_added")

    # 4. form fields: the old ones untouched, new ones only document timestamps
    old_acro = _deref(base_root.raw_get("/AcroForm")) if "/AcroForm" in base_root else None
    new_acro = _deref(final_root.raw_get("/AcroForm")) if "/AcroForm" in final_root else None
    if old_acro is not None and new_acro is None:
        add("form_field_added")
    elif new_acro is not None:
        old_d = old_acro or generic.DictionaryObject()
        keys = (set(old_d) | set(new_acro)) - {"/Fields", "/SigFlags"}
        if any(_canon(old_d.get(k)) != _canon(new_acro.get(k)) for k in keys):
            add("form_field_added")
        old_fields = [_canon(f) for f in _deref(old_d.get("/Fields", []))]
        new_fields = list(_deref(new_acro.raw_get("/Fields"))) if "/Fields" in new_acro else []
        if [_canon(f) for f in new_fields[:len(old_fields)]] != old_fields:
            add("form_field_added")
        for f in new_fields[len(old_fields):]:
            if not _is_invisible_doc_ts_widget(f):
                add("form_field_added")
    return found


# -- registry --------------------------------------------------------------------------------


def _claimed_number(data: bytes) -> str | None:
    """The registration number the signed revision says it carries (/Keywords ``nomor=...``)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        meta = PdfReader(io.BytesIO(data)).metadata
        text = str(meta.get("/Keywords") or "") if meta else ""
    except Exception:  # noqa: BLE001 - any malformed file: no claim
        return None
    m = re.search(r"nomor=(\S{3,80})", text)
    return m.group(1) if m else None


def _lookup(registry: Registry | None, digests: list[tuple[str, str | None]],
            claimed: str | None) -> tuple[Record | None, str | None, str | None]:
    """(record, matched_on, error): matched_on "file" / "signed_revision" / None (no match)."""
    if registry is None:
        return None, None, "registry_unavailable"
    try:
        for kind, digest in digests:
            if digest:
                rec = registry.by_sha256(digest)
                if rec is not None:
                    return rec, kind, None
        if claimed:
            rec = registry.get(claimed)
            if rec is not None:
                return rec, None, None
    except Exception:  # noqa: BLE001 - the verdict says the registry could not be reached
        return None, None, "registry_unavailable"
    return None, None, None


def registry_check(rec: Record | None, *, hash_match: bool | None = None,
                   matched_on: str | None = None) -> RegistryCheck:
    """What the report shows of a registry record (masked NIK only)."""
    if rec is None:
        return RegistryCheck(found=False)
    return RegistryCheck(
        found=True, status=rec.status.value, status_label=STATUS_ID.get(rec.status),
        hash_match=hash_match, matched_on=matched_on, number=rec.number, permit=rec.permit,
        permit_name=(rec.data or {}).get("permit_name"), holder_name=rec.holder_name,
        holder_nik_masked=rec.holder_nik_masked,
        issued_at=rec.issued_at.isoformat() if rec.issued_at else None,
        replaced_by=rec.replaced_by, replaces=rec.replaces, status_reason=rec.status_reason,
        status_decree=rec.status_decree,
        status_changed_at=rec.status_changed_at.isoformat() if rec.status_changed_at else None)


def status_reasons(rec: Record) -> list[VerifyReason]:
    """Why a registered decree is not (or no longer) in force; empty when it is."""
    if rec.status in (Status.WITHDRAWN, Status.CANCELLED, Status.REVOKED):
        why = f" Alasan: {rec.status_reason}." if rec.status_reason else ""
        by = f" berdasarkan {rec.status_decree}" if rec.status_decree else ""
        return [VerifyReason(f"permit_{rec.status.value}",
                             f"Izin ini telah {STATUS_ID[rec.status]}{by}.{why}")]
    if rec.status == Status.REPLACED:
        return [VerifyReason("permit_replaced", "Keputusan ini telah diganti dengan keputusan "
                             f"Nomor {rec.replaced_by}.")]
    if rec.status != Status.ISSUED:
        return [VerifyReason("permit_not_issued", "Nomor ini tidak tercatat sebagai izin yang "
                             "telah diterbitkan.")]
    return []


def common_name(subject: str | None) -> str | None:
    """``"Common Name: X, Title: ..."`` (asn1crypto's human-friendly form) -> ``"X"``."""
    if not subject:
        return subject
    for part in subject.split(", "):
        if part.startswith("Common Name: "):
            return part[len("Common Name: "):]
    return subject


# -- the verdict -----------------------------------------------------------------------------


def verify_pdf(data: bytes, *, trust: TrustSettings, delegations: list[Delegation],
               registry: Registry | None, at: datetime | None = None) -> VerifyResult:
    """Check a decree file end to end. Never raises for bad input."""
    report = validate_pdf(data, trust, at=at)
    reasons: list[VerifyReason] = [VerifyReason(r.code, r.message) for r in report.all_reasons]
    structure = check_structure(data) if report.readable and report.signatures else None
    if structure is not None:
        reasons.extend(_r(c) for c in structure.codes)
    approvals = report.approval_signatures
    main = approvals[0] if len(approvals) == 1 else report.last_approval
    if main is not None and main.intact and main.valid and not main.revoked \
            and not main.revocation_checked:
        reasons.append(_r("revocation_unknown"))
    signer = common_name(main.signer_subject) if main else None
    signed_at = main.signing_time if main is not None and main.timestamp_trusted else None
    if main is not None and structure is not None and not main.trusted:
        reasons.extend(_certificate_reasons(main, structure, signed_at))

    # Registry first: the permit type decides which delegation applies.
    signed_sha = None
    if structure is not None and structure.signed_revision_end:
        signed_sha = hashlib.sha256(data[:structure.signed_revision_end]).hexdigest()
    lta_only = structure is not None and structure.later_revisions in ("none", "validation_data")
    rec: Record | None = None
    matched_on = reg_error = None
    if report.readable and main is not None:
        claimed = _claimed_number(data[:structure.signed_revision_end]) \
            if structure is not None and structure.signed_revision_end else None
        digests = [("file", report.file_sha256)]
        if lta_only:
            digests.append(("signed_revision", signed_sha))
        rec, matched_on, reg_error = _lookup(registry, digests, claimed)
    if reg_error:
        reasons.append(VerifyReason(reg_error, "Register izin tidak dapat dihubungi, sehingga "
                                    "status izin tidak dapat dipastikan."))
    elif report.readable and main is not None:
        if rec is None:
            reasons.append(VerifyReason("not_registered", "Dokumen ini tidak tercatat dalam "
                                        "register izin Dinas."))
        elif matched_on is None:
            reasons.append(VerifyReason("hash_mismatch", f"Isi dokumen tidak sama dengan "
                                        f"keputusan Nomor {rec.number} yang tercatat."))
        else:
            reasons.extend(status_reasons(rec))

    delegation_text, delegation_detail = None, None
    if main is not None and main.intact and main.valid:
        if signed_at is None:
            reasons.append(VerifyReason("no_trusted_time", "Waktu penandatanganan tidak "
                                        "dijamin oleh stempel waktu yang tepercaya."))
        when = signed_at or main.claimed_time
        permit = rec.permit if rec else None
        if when is None or permit is None:
            if rec is not None:
                reasons.append(VerifyReason("delegation_unknown", "Kewenangan penanda tangan "
                                            "tidak dapat dipastikan."))
        else:
            found, _why = find_delegation(delegations, fingerprint=main.signer_fingerprint,
                                          subject=main.signer_subject, permit_code=permit,
                                          when=when)
            if found is None:
                reasons.append(VerifyReason(
                    "not_delegate", "Penanda tangan bukan pejabat yang menerima pendelegasian "
                    "kewenangan penandatanganan izin ini dari Bupati pada waktu penandatanganan."))
            else:
                delegation_text = found.decree_number
                delegation_detail = {
                    "decree_number": found.decree_number,
                    "decree_date": found.decree_date.isoformat(),
                    "valid_from": found.valid_from.isoformat(),
                    "valid_until": found.valid_until.isoformat() if found.valid_until else None,
                    "acting": found.acting, "delegator": "Bupati"}

    reasons = _dedupe(reasons)
    codes = {r.code for r in reasons}
    if not reasons and report.ok and structure is not None and not structure.codes \
            and rec is not None and matched_on is not None and rec.status == Status.ISSUED:
        verdict = SAH
    elif codes and codes <= UNCERTAIN:
        verdict = TIDAK_DAPAT_DIPASTIKAN
    else:
        verdict = TIDAK_SAH
    if verdict == SAH and (codes or not report.ok):  # belt and braces
        verdict = TIDAK_SAH
    hash_match = None if rec is None else matched_on is not None
    regcheck = registry_check(rec, hash_match=hash_match, matched_on=matched_on)
    return VerifyResult(
        verdict=verdict, reasons=tuple(reasons),
        number=rec.number if rec else None, permit=rec.permit if rec else None,
        permit_name=regcheck.permit_name, holder_name=rec.holder_name if rec else None,
        holder_nik_masked=rec.holder_nik_masked if rec else None, signer=signer,
        signer_title=main.signer_title if main else None,
        signed_at=signed_at.isoformat() if signed_at else None,
        pades_level=main.pades_level if main else None, delegation=delegation_text,
        registry=regcheck, file_sha256=report.file_sha256,
        signatures=tuple(_signature_dict(s) for s in report.signatures),
        checks=_checks(codes, report, rec), delegation_detail=delegation_detail,
        signed_revision_sha256=signed_sha,
        later_revisions=structure.later_revisions if structure else None)


def _certificate_reasons(main: SignatureReport, structure: StructureReport,
                         signed_at: datetime | None) -> list[VerifyReason]:
    """Say precisely what pyHanko reports only as a generic certificate problem."""
    window = structure.certificates.get(main.field_name)
    if window is None:
        return []
    not_before, _not_after, self_signed = window
    out = []
    when = signed_at or main.claimed_time
    if when is not None and when < not_before:
        out.append(_r("not_yet_valid_certificate"))
    if self_signed:
        out.append(_r("self_signed_certificate"))
    return out


def _signature_dict(s: SignatureReport) -> dict[str, Any]:
    return {
        "field": s.field_name, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
        "doc_timestamp": s.is_doc_timestamp, "coverage": s.coverage,
        "modification_level": s.modification_level.value, "signer": s.signer_subject,
        "signer_fingerprint": s.signer_fingerprint,
        "signing_time": s.signing_time.isoformat() if s.signing_time else None,
        "timestamp_trusted": s.timestamp_trusted, "revocation_checked": s.revocation_checked,
        "pades_level": s.pades_level, "reasons": [r.code for r in s.reasons],
    }


def _checks(codes: set[str], report: ValidationReport,
            rec: Record | None) -> tuple[dict[str, str], ...]:
    """One line per check: "passed" | "failed" | "unknown" | "not_checked"."""
    failed: dict[str, str] = {}
    for code in codes:
        check = _CODE_CHECK.get(code, "registry")
        state = "unknown" if code in UNCERTAIN else "failed"
        if failed.get(check) != "failed":
            failed[check] = state
    blocked = not report.readable or not report.approval_signatures
    out = []
    for name, label in CHECKS:
        if name in failed:
            status = failed[name]
        elif blocked and name != "file":
            status = "not_checked"
        elif name == "registry" and rec is None:
            status = "not_checked"
        else:
            status = "passed"
        out.append({"name": name, "label": label, "status": status})
    return tuple(out)


def _dedupe(reasons: list[VerifyReason]) -> list[VerifyReason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:
            seen.add(r.code)
            out.append(r)
    return out
