"""Portal pages of the applicant's side (Bahasa Indonesia), added to the portal app by
:func:`add_applicant_routes`:

    GET/POST /lacak                 track an application: receipt number + last 4 NIK digits
    GET/POST /survei/{token}        the SKM questionnaire, once per application
    GET/POST /pengaduan             file a complaint (optional PDF/image, max 5 MB)
    GET      /pengaduan/{number}    the complaint's status and the office's answer

No page needs a script; every text shown back is escaped by Jinja and the portal's CSP allows
no script at all. Lookups and submissions are rate limited per client (and per receipt).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from generator.catalog import Catalog, load_catalog

from ..applicant.complaints import LIMITS, MAX_ATTACHMENT, STANDARD_DAYS, ComplaintStore
from ..applicant.errors import ApplicantError, NotFound
from ..applicant.ratelimit import RateLimiter
from ..applicant.survey import ELEMENTS, SurveyStore, check_answers
from ..applicant.track import ReceiptStore, application_row, normalize_receipt, track
from ..office.stages import IN_FORCE
from ..profile import Profile

log = logging.getLogger(__name__)
TOO_MANY = "Terlalu banyak percobaan. Silakan coba lagi beberapa saat lagi."


class Limits:
    """The portal's rate limits (per process); tests may replace them."""

    def __init__(self) -> None:
        self.lookup_client = RateLimiter(30, 600)    # /lacak lookups per client
        self.lookup_receipt = RateLimiter(5, 3600)   # wrong NIK digits per receipt
        self.complaint_client = RateLimiter(5, 3600)  # complaints per client
        self.survey_client = RateLimiter(30, 3600)   # questionnaires per client


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def add_applicant_routes(app: FastAPI, *, profile: Profile, registries: Any,
                         templates: Jinja2Templates,
                         catalog_factory: Callable[[], Catalog] = load_catalog) -> None:
    """Add the tracking, survey and complaint pages to the portal ``app``."""
    limits = Limits()
    app.state.applicant_limits = limits
    tz = ZoneInfo(profile.office.timezone)
    lock = threading.Lock()
    cache: dict[str, Any] = {}
    templates.env.globals.update(survey_elements=ELEMENTS, complaint_limits=LIMITS,
                                 complaint_days=STANDARD_DAYS)

    def registry() -> Any:
        reg = registries.get()
        if reg is None or getattr(reg, "engine", None) is None:
            raise StarletteHTTPException(503, "registry unavailable")
        return reg

    def catalog() -> Catalog:
        with lock:
            if "catalog" not in cache:
                cache["catalog"] = catalog_factory()
            return cache["catalog"]  # type: ignore[no-any-return]

    def complaints() -> ComplaintStore:
        return ComplaintStore(registry().engine, profile.storage.data_dir / "pengaduan")

    def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Response:
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    # -- tracking ---------------------------------------------------------------------------
    @app.get("/lacak", include_in_schema=False)
    async def track_form(request: Request) -> Response:
        return page(request, "lacak.html", {})

    @app.post("/lacak", include_in_schema=False)
    async def track_lookup(request: Request) -> Response:
        form = await request.form()
        receipt = str(form.get("tanda_terima") or "")[:60].strip()
        digits = str(form.get("nik4") or "")[:8].strip()
        ctx = {"receipt": receipt}
        if not limits.lookup_client.hit(_client(request)):
            return page(request, "lacak.html", ctx | {"error": TOO_MANY}, 429)
        if len(digits) != 4 or not digits.isdigit() or not receipt:
            return page(request, "lacak.html", ctx | {
                "error": "Isi nomor tanda terima dan 4 digit terakhir NIK."}, 400)
        # the normalized receipt: other spellings of one receipt share its allowance
        key = normalize_receipt(receipt) or receipt.upper()
        if limits.lookup_receipt.blocked(key):
            return page(request, "lacak.html", ctx | {"error": TOO_MANY}, 429)
        reg = registry()
        try:
            t = await run_in_threadpool(lambda: track(
                reg.engine, reg, catalog(), profile.verify_url, receipt, nik_last4=digits,
                timezone=profile.office.timezone))
        except NotFound as e:
            limits.lookup_receipt.hit(key)
            return page(request, "lacak.html", ctx | {"error": str(e)}, 404)
        survey = None
        if t.survey_open:
            rec = await run_in_threadpool(ReceiptStore(reg.engine).get, t.receipt)
            if rec is not None and not await run_in_threadpool(
                    SurveyStore(reg.engine).answered, rec.application_id):
                survey = f"/survei/{rec.survey_token}"
        return page(request, "lacak_hasil.html", {"t": t, "survey_link": survey})

    # -- SKM survey -------------------------------------------------------------------------
    async def survey_target(token: str) -> tuple[Any, Any]:
        reg = registry()
        rec = await run_in_threadpool(ReceiptStore(reg.engine).by_survey_token, token[:80]) \
            if 16 <= len(token) <= 80 else None
        if rec is None:
            raise StarletteHTTPException(404, "not found")
        app_row = await run_in_threadpool(application_row, reg.engine, rec.application_id)
        return rec, app_row

    @app.get("/survei/{token}", include_in_schema=False)
    async def survey_form(request: Request, token: str) -> Response:
        rec, row = await survey_target(token)
        reg = registry()
        done = await run_in_threadpool(SurveyStore(reg.engine).answered, rec.application_id)
        ready = row is not None and row.stage in IN_FORCE
        return page(request, "survei.html", {"token": token, "done": done, "ready": ready,
                                             "answers": {}})

    @app.post("/survei/{token}", include_in_schema=False)
    async def survey_submit(request: Request, token: str) -> Response:
        if not limits.survey_client.hit(_client(request)):
            return page(request, "error.html", {"status": 429, "message": TOO_MANY}, 429)
        rec, row = await survey_target(token)
        form = await request.form()
        answers = {k: str(form.get(k) or "") for k, *_ in ELEMENTS}
        ready = row is not None and row.stage in IN_FORCE
        if not ready:
            return page(request, "survei.html", {"token": token, "done": False, "ready": False,
                                                 "answers": {}}, 409)
        try:
            values = check_answers(answers)
        except ApplicantError as e:
            return page(request, "survei.html", {"token": token, "done": False, "ready": True,
                                                 "answers": answers, "error": str(e)}, 400)
        reg = registry()
        today = datetime.now(tz).date()
        stored = await run_in_threadpool(lambda: SurveyStore(reg.engine).add(
            values, application_id=rec.application_id, permit=row.permit, answered_on=today))
        if stored:
            await run_in_threadpool(lambda: reg.record_event(
                action="survey", actor="portal", number=row.number,
                detail={"receipt": rec.receipt}))
        return page(request, "survei_selesai.html", {"stored": stored}, 200 if stored else 409)

    # -- complaints -------------------------------------------------------------------------
    @app.get("/pengaduan", include_in_schema=False)
    async def complaint_form(request: Request) -> Response:
        return page(request, "pengaduan.html", {"values": {}})

    @app.post("/pengaduan", include_in_schema=False)
    async def complaint_submit(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_ATTACHMENT + 64 * 1024:
            return page(request, "pengaduan.html", {
                "values": {}, "error": "Lampiran terlalu besar (maksimal 5 MB)."}, 413)
        if not limits.complaint_client.hit(_client(request)):
            return page(request, "pengaduan.html", {"values": {}, "error": TOO_MANY}, 429)
        try:
            form = await request.form(max_files=1, max_fields=20)
        except Exception:  # noqa: BLE001 - a malformed body is a bad request
            return page(request, "pengaduan.html", {
                "values": {}, "error": "Permintaan tidak sah."}, 400)
        values = {k: str(form.get(k) or "")[:LIMITS.get(k, 200) + 100]
                  for k in ("name", "contact", "about", "text")}
        f = form.get("lampiran")
        attachment = None
        if isinstance(f, UploadFile) and f.filename:
            data = await f.read(MAX_ATTACHMENT + 1)
            attachment = (f.filename, data)
        store = complaints()
        today = datetime.now(tz).date()
        try:
            c = await run_in_threadpool(lambda: store.file(
                name=values["name"], contact=values["contact"], about=values["about"],
                text=values["text"], attachment=attachment, today=today))
        except ApplicantError as e:
            return page(request, "pengaduan.html", {"values": values, "error": str(e)},
                        e.status if e.status != 404 else 400)
        reg = registry()
        await run_in_threadpool(lambda: reg.record_event(
            action="complaint_filed", actor="portal", number=None,
            detail={"complaint": c.number, "about": c.about,
                    "attachment": c.attachment_type}))
        return RedirectResponse(f"/pengaduan/{c.number}?baru=1", 303)

    @app.get("/pengaduan/{number}", include_in_schema=False)
    async def complaint_status(request: Request, number: str) -> Response:
        if not limits.lookup_client.hit(_client(request)):
            return page(request, "error.html", {"status": 429, "message": TOO_MANY}, 429)
        c = await run_in_threadpool(complaints().get, number[:40])
        if c is None:
            return page(request, "error.html", {
                "status": 404, "message": "Pengaduan tidak ditemukan. Periksa kembali nomor "
                                          "pengaduan Anda."}, 404)
        return page(request, "pengaduan_status.html", {
            "c": c, "new": request.query_params.get("baru") == "1"})
