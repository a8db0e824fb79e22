"""The office's complaint queue (SOP Layanan Pengaduan): list with the standard time and the
overdue ones highlighted, a complaint's page, its attachment, and the two actions (take it up:
``diproses``; answer and close: ``selesai``). Every action goes into the audit chain."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..applicant.complaints import STANDARD_DAYS, STATUSES, ComplaintStore
from ..applicant.errors import ApplicantError
from .app import PREFIX, Office, OfficeRefusal
from .auth import STAFF
from .store import User


def router(office: Office) -> APIRouter:
    r = APIRouter()
    Staff = Annotated[User, Depends(office.guard(*STAFF))]

    def store() -> ComplaintStore:
        return ComplaintStore(office.store.engine,
                              office.profile.storage.data_dir / "pengaduan")

    def tz() -> str:
        return office.profile.office.timezone

    def complaint_or_404(number: str):  # type: ignore[no-untyped-def]
        c = store().get(number)
        if c is None:
            raise OfficeRefusal(404, "Pengaduan tidak ditemukan.")
        return c

    @r.get("/pengaduan")
    async def queue(request: Request, user: Staff) -> Response:
        everything = request.query_params.get("semua") == "1"
        rows = await run_in_threadpool(lambda: store().queue(timezone=tz(),
                                                             include_closed=everything))
        return office.render(request, "complaints.html", {
            "rows": rows, "everything": everything, "statuses": STATUSES,
            "standard_days": STANDARD_DAYS, "overdue": sum(1 for x in rows if x.overdue)})

    @r.get("/pengaduan/{number}")
    async def detail(request: Request, number: str, user: Staff) -> Response:
        c = await run_in_threadpool(complaint_or_404, number)
        rows = await run_in_threadpool(lambda: store().queue(timezone=tz(),
                                                             include_closed=True))
        row = next((x for x in rows if x.complaint.number == c.number), None)
        return office.render(request, "complaint.html", {"c": c, "row": row,
                                                         "statuses": STATUSES})

    @r.get("/pengaduan/{number}/lampiran")
    async def attachment(request: Request, number: str, user: Staff) -> Response:
        c = await run_in_threadpool(complaint_or_404, number)
        if not c.attachment_path or not Path(c.attachment_path).is_file():
            raise OfficeRefusal(404, "Lampiran tidak ada.")
        await run_in_threadpool(office.audit, "complaint_attachment", user.username, None,
                                complaint=c.number)
        return FileResponse(c.attachment_path, media_type=c.attachment_type or
                            "application/octet-stream", filename=Path(c.attachment_path).name,
                            content_disposition_type="attachment")

    async def act(request: Request, number: str, user: User, to: str) -> Response:
        form = await request.form()
        answer = str(form.get("jawaban") or "")[:5000]
        c = await run_in_threadpool(complaint_or_404, number)
        try:
            await run_in_threadpool(lambda: store().move(c.number, to, actor=user.username,
                                                         answer=answer))
        except ApplicantError as e:
            raise OfficeRefusal(409 if to != "selesai" or answer.strip() else 400,
                                str(e)) from None
        await run_in_threadpool(office.audit, f"complaint_{to}", user.username, None,
                                complaint=c.number, role=user.role)
        return RedirectResponse(f"{PREFIX}/pengaduan/{c.number}", 303)

    @r.post("/pengaduan/{number}/proses")
    async def take_up(request: Request, number: str, user: Staff) -> Response:
        return await act(request, number, user, "diproses")

    @r.post("/pengaduan/{number}/selesai")
    async def close(request: Request, number: str, user: Staff) -> Response:
        return await act(request, number, user, "selesai")

    return r
