"""Our own structural reading of a signed PDF, independent of pyHanko's difference analysis
(the PDF-only checks, beside :mod:`signer.validate`).

Written against the published PDF signature attacks (universal signature forgery, incremental
saving, signature wrapping, shadow attacks, evil annotations, sneaky signatures): bytes after
the last revision, byte ranges that do not cover exactly one signature's /Contents, more than
one approval signature, later revisions that change anything but validation data.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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


def _count_eof_markers(data: bytes) -> int:
    """How many ``%%EOF`` start the file or a line (what ``_EOF_RE`` finds, without a slow
    regular expression scan of the whole file)."""
    n = 0
    i = data.find(b"%%EOF")
    while i >= 0:
        if i == 0 or data[i - 1] in b"\r\n":
            n += 1
        i = data.find(b"%%EOF", i + 5)
    return n


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


def check_structure(data: bytes, reader: Any = None) -> StructureReport:
    """Our own structural reading of a signed decree, independent of pyHanko's difference
    analysis (it uses pyHanko's parser only to read objects). ``reader``: pyHanko's reader of
    ``data`` when the caller has one already. Never raises."""
    try:
        return _check_structure(data, reader)
    except Exception:  # noqa: BLE001 - a file we cannot read is not a file we may call SAH
        return StructureReport(("structure_unchecked",), 0, None, "other")


def _check_structure(data: bytes, reader: Any = None) -> StructureReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    codes: list[str] = []

    def add(code: str) -> None:
        if code not in codes:
            codes.append(code)

    if reader is None:
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
    if _count_eof_markers(data) != total:
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


