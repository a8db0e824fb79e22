"""What a conversion task carries, and the digests that tie it to one template version.

A job is plain JSON: the application as it was read (``raw``, validated again by the worker
against its own catalog), the decree's number, its verification link and date, the office
(its letterhead context and emblem, or once a worker holds them only their SHA-256), and the
SHA-256 of the catalog and of the permit's template the submitting side used. Nothing in it
can sign anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.applications import Application
from generator.citations import Citation, citation_to_json

VERSION = 1


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, recomputed only when it changes."""
    st = path.stat()
    return _file_digest(str(path), st.st_mtime_ns, st.st_size)


def catalog_digest(templates_dir: Path) -> str:
    """One digest for a templates folder's catalog (``catalog.json`` and ``decrees.toml``)."""
    h = hashlib.sha256()
    for name in ("catalog.json", "decrees.toml"):
        p = templates_dir / name
        h.update(name.encode() + b"\0")
        h.update(bytes.fromhex(file_digest(p)) if p.exists() else b"-")
    return h.hexdigest()


def wire_context(context: dict[str, Any]) -> dict[str, Any]:
    """The render context as plain JSON values: the legal grounds (structured citations)
    become dicts, which the worker turns back into citations."""
    out = dict(context)
    out["legal_grounds"] = [citation_to_json(c) if isinstance(c, Citation) else c
                            for c in context.get("legal_grounds", ())]
    return out


@dataclass(frozen=True)
class OfficeBundle:
    """The office's part of every job: who issues (letterhead, signer's printed name,
    grounds) and the emblem. Its digest names it on the workers, which keep one renderer per
    office."""

    name: str
    context: dict[str, Any]
    emblem: bytes | None

    @property
    def digest(self) -> str:
        h = hashlib.sha256(json.dumps(wire_context(self.context), sort_keys=True, default=str,
                                      ensure_ascii=False).encode())
        h.update(b"\0" + (self.emblem or b""))
        return h.hexdigest()

    def as_ref(self) -> dict[str, Any]:
        """The office by digest only (about 100 bytes instead of about 18 kB): for the
        workers that already hold it."""
        return {"name": self.name, "sha256": self.digest}

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "context": wire_context(self.context),
                "emblem": base64.b64encode(self.emblem).decode() if self.emblem else None,
                "sha256": self.digest}


def make_job(*, office: dict[str, Any], catalog_sha256: str, template_sha256: str,
             app: Application, number: str, verify_url: str, issued_on: date,
             replaces: str | None) -> dict[str, Any]:
    return {
        "v": VERSION, "office": office, "catalog_sha256": catalog_sha256,
        "template_sha256": template_sha256, "permit": app.permit,
        "application_id": app.application_id, "record": dict(app.raw), "number": number,
        "verify_url": verify_url, "issued_on": issued_on.isoformat(), "replaces": replaces,
    }


def job_digest(job: dict[str, Any]) -> str:
    """What a result is checked against: a result left by an older job under the same task id
    (the same number) is not taken for this one's."""
    return hashlib.sha256(json.dumps(job, sort_keys=True, default=str).encode()).hexdigest()


def office_key(short_name: str, regency: str) -> str:
    """A stable name for an office in task ids (numbers are unique within an office)."""
    text = f"{short_name} {regency}".lower()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def task_id(office: str, number: str) -> str:
    """The task's id: the decree's number within its office. A redelivered task has the same
    id, so it can only ever fill the same result."""
    return f"ptsp:{office}:{number}"
