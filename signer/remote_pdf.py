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
    _check_changes(after, revs_before - 1, new_refs)
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
    from pyhanko.sign.general import SignatureCoverageLevel

    if sig.coverage is not SignatureCoverageLevel.ENTIRE_FILE:
        raise ServiceResultError("the new signature does not cover the whole returned file "
                                 "(bytes were appended after it)")


def _check_changes(reader: Any, base_revision: int, new_refs: list[Any]) -> None:
    """Only what a signature needs: pyHanko's difference analysis between the document sent
    and the returned revision must find nothing beyond filling in a signature field."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
    from pyhanko.sign.diff_analysis.policy_api import SuspiciousModification

    refs = ", ".join(f"{r.idnum} {r.generation} R" for r in new_refs)
    try:
        result = DEFAULT_DIFF_POLICY.review_file(reader, base_revision)
    except Exception as e:
        raise ServiceResultError(f"the service's update cannot be analysed ({e}); objects "
                                 f"written: {refs}") from e
    if isinstance(result, SuspiciousModification):
        raise ServiceResultError(f"the service changed more than the signature: {result}; "
                                 f"objects written in its update: {refs}")
    if result.modification_level > ModificationLevel.FORM_FILLING:
        raise ServiceResultError(
            "the service changed more than the signature (change level "
            f"{result.modification_level.name}); objects written in its update: {refs}")
