"""Long-term archive upkeep: a new document timestamp before the last one's TSA certificate
expires (PAdES B-LTA renewal), with the validation data of the previous one added first."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import SigningError
from .keys import load_certificate


@dataclass(frozen=True)
class ArchiveState:
    """The document timestamps of a file and when the last one's TSA certificate expires."""

    doc_timestamps: int
    last_timestamp_at: datetime | None
    tsa_not_after: datetime | None


def archive_state(data: bytes) -> ArchiveState:
    """Read the document timestamps (or, without one, the signature timestamp) of ``data``."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        doc_ts = list(reader.embedded_timestamp_signatures)
        sigs = list(reader.embedded_regular_signatures)
    except Exception as e:  # malformed input: the caller reports it
        raise SigningError(f"cannot read the PDF: {e}") from e
    if doc_ts:
        last = doc_ts[-1]
        tst = last.signed_data
        cert = last.signer_cert
    elif sigs:
        tst_data = sigs[-1].attached_timestamp_data
        if tst_data is None:
            return ArchiveState(0, None, None)
        tst = tst_data
        cert = _tst_signer(tst)
    else:
        return ArchiveState(0, None, None)
    gen_time = tst["encap_content_info"]["content"].parsed["gen_time"].native
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native if cert else None
    return ArchiveState(len(doc_ts), gen_time, not_after)


def _tst_signer(signed_data: Any) -> Any:
    sid = signed_data["signer_infos"][0]["sid"]
    for c in signed_data["certificates"]:
        cert = c.chosen
        if sid.name == "issuer_and_serial_number" and \
                cert.issuer == sid.chosen["issuer"] and \
                cert.serial_number == sid.chosen["serial_number"].native:
            return cert
    return None


def renew_archive(data: bytes, *, trust_roots: list[Path], timestamp_url: str | None = None,
                  timestamper: Any = None) -> bytes:
    """Append validation data for the last timestamp and a new document timestamp."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko_certvalidator import ValidationContext

    if timestamper is None:
        if not timestamp_url:
            raise SigningError("renewing the archive timestamp needs a timestamp server")
        timestamper = HTTPTimeStamper(timestamp_url, timeout=10)
    roots = [load_certificate(p) for p in trust_roots]

    async def go() -> bytes:
        vc = ValidationContext(trust_roots=roots, allow_fetching=True)
        try:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            out = await PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
                reader, vc, in_place=False)
            return out.getvalue()
        finally:
            await vc.aclose() if hasattr(vc, "aclose") else None

    try:
        return asyncio.run(go())
    except SigningError:
        raise
    except Exception as e:
        raise SigningError(f"could not add an archive timestamp: {e}") from e
