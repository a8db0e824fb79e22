"""Checking a PDF that a signing service (BSrE) signed and sent back.

The service receives the whole document and returns it signed. Before anything is kept, the
answer must be exactly: the bytes we sent, then one incremental update that adds one signature
(by the certificate we expect, intact, covering the whole returned file) and nothing but what a
signature needs (its field, widget and form entries). Anything else is a
:class:`ServiceResultError` that says what differs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from asn1crypto import x509

from .errors import SigningError

__all__ = ["ServiceResultError", "SignedRevision", "check_service_result"]


class ServiceResultError(SigningError):
    """The signing service returned a file that is not our document plus its signature."""


@dataclass(frozen=True)
class SignedRevision:
    """What the check found: the signed revision's length and SHA-256, and its signer."""

    length: int
    sha256: str
    signer_subject: str


def _first_difference(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n
    if a[:n] == b[:n]:
        return n
    while hi - lo > 1:  # binary search on prefixes
        mid = (lo + hi) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid
    return lo


def check_service_result(submitted: bytes, returned: bytes,
                         expected_cert: x509.Certificate) -> SignedRevision:
    """Raise :class:`ServiceResultError` unless ``returned`` is ``submitted`` plus exactly one
    incremental update holding one intact signature by ``expected_cert``, and no other change.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    if len(returned) <= len(submitted) or not returned.startswith(submitted):
        at = _first_difference(submitted, returned)
        if len(returned) <= len(submitted) and submitted.startswith(returned):
            raise ServiceResultError(
                f"the service returned a truncated file ({len(returned)} bytes; the document "
                f"sent was {len(submitted)} bytes)")
        raise ServiceResultError(
            "the service's file does not begin with the document sent: it differs from byte "
            f"{at} on (the document was rewritten, not signed by an incremental update)")
    try:
        before = PdfFileReader(BytesIO(submitted), strict=False)
        after = PdfFileReader(BytesIO(returned), strict=False)
        revs_before = before.xrefs.total_revisions
        revs_after = after.xrefs.total_revisions
        sigs_before = len(before.embedded_signatures)
        sigs = after.embedded_signatures
    except Exception as e:  # pyHanko's reader raises many types on odd input
        raise ServiceResultError(f"the service's file is not a readable PDF: {e}") from e
    if revs_after != revs_before + 1:
        raise ServiceResultError(
            f"the service added {revs_after - revs_before} revisions; expected exactly one "
            "(the signature)")
    if len(sigs) != sigs_before + 1:
        raise ServiceResultError(
            f"the service's file holds {len(sigs) - sigs_before} new signatures; expected one")
    sig = sigs[-1]
    new_refs = sorted(after.xrefs.explicit_refs_in_revision(revs_after - 1),
                      key=lambda r: (r.idnum, r.generation))
    _check_signature(sig, returned, expected_cert)
    _check_changes(before, after, new_refs)
    signed_len = int(sig.byte_range[2]) + int(sig.byte_range[3])
    return SignedRevision(signed_len, hashlib.sha256(returned[:signed_len]).hexdigest(),
                          sig.signer_cert.subject.human_friendly)


def _check_signature(sig: Any, returned: bytes, expected: x509.Certificate) -> None:
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    try:
        cert = sig.signer_cert
    except Exception as e:
        raise ServiceResultError(f"the new signature names no signer certificate: {e}") from e
    if cert.dump() != expected.dump():
        raise ServiceResultError(
            "the new signature is by another certificate than expected: "
            f"{cert.subject.human_friendly} (serial {cert.serial_number}), expected "
            f"{expected.subject.human_friendly} (serial {expected.serial_number})")
    try:
        sig.compute_integrity_info(skip_diff=True)
        digest = sig.compute_digest()
        intact, valid = validate_sig_integrity(
            sig.signer_info, cert, expected_content_type="data", actual_digest=digest)
    except Exception as e:
        raise ServiceResultError(f"the new signature cannot be checked: {e}") from e
    if not (intact and valid):
        raise ServiceResultError("the new signature does not match the document it covers "
                                 f"(intact={intact}, valid={valid})")
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if sig.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        raise ServiceResultError("the new signature does not cover the whole returned file "
                                 "(bytes were appended after it)")


#: keys that signing may change in an existing object, by what the object is
_MAY_CHANGE = {
    "catalog": {"/AcroForm", "/Metadata", "/Perms", "/Extensions", "/Version"},
    "page": {"/Annots"},
    "acroform": {"/Fields", "/SigFlags", "/DR", "/DA", "/NeedAppearances"},
}


def _ser(obj: Any) -> bytes:
    out = BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


def _kind(obj: Any, ref: Any, root_ref: Any, acroform_ref: Any, info_ref: Any) -> str:
    from pyhanko.pdf_utils import generic

    if ref == root_ref:
        return "catalog"
    if ref == info_ref:
        return "info"
    if acroform_ref is not None and ref == acroform_ref:
        return "acroform"
    if isinstance(obj, generic.StreamObject):
        return "metadata" if obj.get("/Type") == "/Metadata" else "stream"
    if isinstance(obj, generic.DictionaryObject) and obj.get("/Type") == "/Page":
        return "page"
    return "object"


def _is_sig_widget(obj: Any) -> bool:
    obj = obj.get_object()
    if obj.get("/FT") == "/Sig":
        return True
    parent = obj.get("/Parent")
    return parent is not None and parent.get_object().get("/FT") == "/Sig"


def _check_changes(before: Any, after: Any, new_refs: list[Any]) -> None:
    """Every object the service's update rewrote must be one that signing touches, changed
    only where signing changes it: the catalog (its form), the page (one new signature
    widget in /Annots), the form (/Fields), the document information and metadata. New
    objects can only be reached through those, so they cannot alter what the pages show."""
    from pyhanko.pdf_utils import generic

    existing = set()
    for rev in range(before.xrefs.total_revisions):
        existing |= {(r.idnum, r.generation) for r in before.xrefs.explicit_refs_in_revision(rev)}
    root_ref = before.trailer.raw_get("/Root")
    root_key = (root_ref.idnum, root_ref.generation)
    if after.trailer.raw_get("/Root").idnum != root_ref.idnum:
        raise ServiceResultError("the service replaced the document catalog (/Root)")
    old_acro = before.root.raw_get("/AcroForm") if "/AcroForm" in before.root else None
    acro_key = ((old_acro.idnum, old_acro.generation)
                if isinstance(old_acro, generic.IndirectObject) else None)
    info = before.trailer.raw_get("/Info") if "/Info" in before.trailer else None
    info_key = (info.idnum, info.generation) if isinstance(info, generic.IndirectObject) \
        else None
    problems: list[str] = []
    new_widgets = 0
    for ref in new_refs:
        key = (ref.idnum, ref.generation)
        if key not in existing:
            continue  # a new object: reachable only through the checked changes below
        old = before.get_object(generic.Reference(*key))
        new = after.get_object(generic.Reference(*key))
        kind = _kind(old, key, root_key, acro_key, info_key)
        name = f"object {key[0]} {key[1]} R ({kind})"
        if kind in ("info", "metadata"):
            continue  # document information / XMP: what the signing software says it did
        if kind in ("stream", "object") or not isinstance(new, generic.DictionaryObject):
            problems.append(f"{name} was rewritten")
            continue
        allowed = _MAY_CHANGE[kind]
        for k in sorted(set(old) | set(new)):
            if k in allowed:
                continue
            if k not in old or k not in new or _ser(old.raw_get(k)) != _ser(new.raw_get(k)):
                problems.append(f"{name}: {k} changed")
        if kind == "page":
            old_annots = {_ser(a) for a in (old.get("/Annots") or [])}
            added = [a for a in (new.get("/Annots") or []) if _ser(a) not in old_annots]
            kept = {_ser(a) for a in (new.get("/Annots") or [])}
            if old_annots - kept:
                problems.append(f"{name}: annotations removed")
            for a in added:
                if _is_sig_widget(a):
                    new_widgets += 1
                else:
                    problems.append(f"{name}: a new annotation that is not a signature field")
    if new_widgets > 1:
        problems.append(f"{new_widgets} new signature widgets on the pages; expected one")
    if problems:
        raise ServiceResultError("the service changed more than the signature: "
                                 + "; ".join(problems))
