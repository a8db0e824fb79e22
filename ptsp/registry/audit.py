"""The audit trail's hash chain: canonical serialization, entry hashes and the chain check.

Entry ``n`` stores ``hash_n = SHA-256(canonical(prev_hash = hash_{n-1}, id, at, actor, action,
number, detail))`` with ``hash_0 = GENESIS``. Ids run 1, 2, 3 ... without gaps, and a one-row head
table holds the last id and hash, so editing, deleting, inserting or cutting off entries all break
the chain. ``detail`` is stored as the exact canonical JSON text that was hashed, so a database that
reorders JSON keys cannot make a sound chain look broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from .model import AuditCheck, AuditEntry

GENESIS = "0" * 64
HASH_VERSION = 1


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, dates as ISO 8601."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def utc_iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    prev_hash: str,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    number: str | None,
    detail_json: str,
) -> str:
    payload = canonical_json(
        {
            "v": HASH_VERSION,
            "prev": prev_hash,
            "id": id,
            "at": utc_iso(at),
            "actor": actor,
            "action": action,
            "number": number,
            "detail": detail_json,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def check_chain(
    rows: Iterable[tuple[int, datetime, str, str, str | None, str, str, str]],
    *,
    head: tuple[int, str] | None,
) -> AuditCheck:
    """Recompute a chain given as ``(id, at, actor, action, number, detail_json, prev, hash)`` rows
    in id order; ``head`` is ``(last_id, last_hash)`` from the head table."""
    prev = GENESIS
    expected_id = 1
    count = 0
    for id_, at, actor, action, number, detail_json, prev_hash, stored in rows:
        if id_ != expected_id:
            return AuditCheck(
                False, count, expected_id,
                f"audit entry {expected_id} is missing (next stored entry is {id_})",
            )
        if prev_hash != prev:
            return AuditCheck(
                False, count, id_,
                f"audit entry {id_} does not link to entry {id_ - 1} (prev_hash differs)",
            )
        computed = entry_hash(
            prev_hash=prev_hash, id=id_, at=at, actor=actor, action=action, number=number,
            detail_json=detail_json,
        )
        if computed != stored:
            return AuditCheck(
                False, count, id_,
                f"audit entry {id_} ({action} {number or '-'}) was altered: "
                "its hash does not match",
            )
        prev = stored
        expected_id += 1
        count += 1
    if head is not None:
        last_id, last_hash = head
        if last_id != count or last_hash != prev:
            if last_id > count:
                first_bad = count + 1
            elif last_id < count:
                first_bad = last_id + 1
            else:
                first_bad = max(count, 1)
            return AuditCheck(
                False, count, first_bad,
                f"audit chain ends at entry {count} but the head records entry {last_id}: "
                "entries were removed or the head was altered",
            )
    return AuditCheck(True, count, None, f"audit chain intact: {count} entries")


def parse_detail(detail_json: str) -> dict[str, Any]:
    try:
        value = json.loads(detail_json)
    except ValueError:
        return {"_unparseable": detail_json}
    return value if isinstance(value, dict) else {"value": value}


def to_entry(
    row: tuple[int, datetime, str, str, str | None, str, str, str],
) -> AuditEntry:
    id_, at, actor, action, number, detail_json, prev_hash, hash_ = row
    return AuditEntry(id_, at, actor, action, number, parse_detail(detail_json), prev_hash, hash_)
