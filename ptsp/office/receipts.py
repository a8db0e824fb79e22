"""The printable receipt (tanda terima) the front office hands over at intake: the receipt
number and how to track the application on the portal."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from generator.applications import mask_nik

from ..applicant.track import ReceiptStore, _nik_of
from .app import Office, OfficeRefusal
from .auth import BACKOFFICE
from .board import allowed_days
from .store import User


def router(office: Office) -> APIRouter:
    r = APIRouter()
    Backoffice = Annotated[User, Depends(office.guard(BACKOFFICE))]

    @r.get("/tanda-terima/{app_id}")
    async def receipt_page(request: Request, app_id: str, user: Backoffice) -> Response:
        row = await run_in_threadpool(office.store.application, app_id)
        rec = await run_in_threadpool(ReceiptStore(office.store.engine).for_application, app_id)
        if row is None or rec is None:
            raise OfficeRefusal(404, "Tanda terima tidak ditemukan.")
        service = office.catalog.find(row.permit)
        _days, standard = allowed_days(office.catalog, row.permit, row.raw.get("variant"))
        base = office.profile.verification.base_url.rstrip("/")
        return office.render(request, "receipt.html", {
            "a": row, "rec": rec, "nik": mask_nik(_nik_of(row.raw)),
            "permit_name": service.name if service else row.permit, "standard": standard,
            "track_url": f"{base}/lacak"})

    return r
