"""The office's intake hook: every stored application of an upload gets its receipt number."""

from __future__ import annotations

from typing import Any

from .track import ReceiptStore


def assign_upload_receipts(store: Any, upload_id: int) -> dict[str, str]:
    """Receipts for the applications stored by upload ``upload_id`` (an ``OfficeStore``);
    an application that already had one keeps it. Returns application id -> receipt."""
    apps = store.applications(upload_id=upload_id)
    return ReceiptStore(store.engine).assign((a.application_id, a.raw) for a in apps)


def receipts_of(store: Any, app_ids: list[str]) -> dict[str, str]:
    return ReceiptStore(store.engine).for_applications(app_ids)
