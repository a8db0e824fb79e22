"""The public verification portal: upload a decree, or open the QR link printed on it.

Pages (Bahasa Indonesia): ``/`` upload form, ``POST /periksa`` verdict page, ``/v/{token}`` the
QR landing page of one decree (its registered status, and a form to compare the holder's copy).
JSON API: ``POST /api/v1/verify`` (the same document as ``ptsp verify --json``) and
``GET /api/v1/decrees/{token}``; schema at ``/openapi.json``.

Uploads stay in memory (see :mod:`.uploads`); nothing but a count (time, channel, number,
verdict, in ``registry_verifications``, not in the office's audit trail) is stored. Every
response carries security headers; errors are Indonesian messages (JSON
``{"error": {"code", "message"}}`` under ``/api``), never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from signer.errors import SignerError

from ..errors import PtspError
from ..profile import Profile
from ..registry import Record, Registry, Status
from ..verify import (
    SCHEMA_VERSION,
    VerifyResult,
    against_decree,
    common_name,
    registry_check,
    verify_bytes,
)
from .applicant import add_applicant_routes
from .limits import Busy, VerifyGate, default_gate
from .present import decree_view, fmt_date, result_view
from .uploads import MAX_UPLOAD, UploadError, read_body, read_pdf_upload

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_DUMMY_TOKEN = "-" * 32  # looked up for malformed tokens, so both cost the same

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
NOT_FOUND = "Keputusan tidak ditemukan. Periksa kembali tautan atau kode QR pada dokumen."

_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary",
                                        "description": "Berkas PDF keputusan (maks. 10 MB)"}},
            }
        },
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    },
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"],
                             "properties": {"code": {"type": "string"},
                                            "message": {"type": "string"}}}},
}


def _error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"description": "Kesalahan", "content": {"application/json": {
        "schema": _ERROR_SCHEMA}}} for c in codes}


class _Registries:
    """One registry connection for the app, opened on first use (and again after a failure)."""

    def __init__(self, factory: Callable[[], Registry]) -> None:
        self._factory = factory
        self._registry: Registry | None = None
        self._lock = threading.Lock()

    def get(self) -> Registry | None:
        with self._lock:
            if self._registry is None:
                try:
                    self._registry = self._factory()
                except Exception:  # noqa: BLE001 - reported as "registry unavailable"
                    log.warning("the registry could not be opened", exc_info=True)
                    return None
            return self._registry

    def close(self) -> None:
        with self._lock:
            if self._registry is not None:
                try:
                    self._registry.close()
                finally:
                    self._registry = None


def _lifespan(registries: _Registries) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        registries.close()

    return lifespan


def decree_dict(rec: Record, profile: Profile) -> dict[str, Any]:
    """``GET /api/v1/decrees/{token}``: what the registry says of one decree, with the key names
    of the verification JSON (``number``, ``permit``, ``holder``, ``registry`` ...)."""
    reg = registry_check(rec)
    return {
        "schema_version": SCHEMA_VERSION,
        "in_force": rec.status is Status.ISSUED,
        "number": rec.number,
        "permit": rec.permit,
        "permit_name": reg.permit_name,
        "holder": {"name": rec.holder_name, "nik_masked": rec.holder_nik_masked},
        "signer": common_name(rec.signer_subject),
        "issued_at": reg.issued_at,
        "status": reg.status,
        "status_label": reg.status_label,
        "registry": reg.as_dict(),
        "office": profile.office.name,
    }


def favicon(profile: Profile) -> bytes:
    """An ICO (16, 32, 48 px) of the office's emblem, or of the portal's default mark."""
    from io import BytesIO

    from PIL import Image

    source = profile.office.emblem
    if source is None or not source.is_file():
        source = HERE / "static" / "mark.png"
    try:
        with Image.open(source) as opened:
            img = opened.convert("RGBA")
            side = max(img.size)
            square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
            square.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
            out = BytesIO()
            square.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
            return out.getvalue()
    except OSError:
        log.warning("could not make a favicon from %s", source, exc_info=True)
        return (HERE / "static" / "favicon.ico").read_bytes()


BUSY = ("Layanan verifikasi sedang melayani banyak pemeriksaan. Silakan coba lagi dalam "
        "{seconds} detik.")


VERIFY_THREADS = 1
"""Verifications running at once in one process (more wait their turn); ``ptsp serve
--workers N`` gives N processes."""

REPORT_KEY_ENV = "PTSP_PORTAL_REPORT_KEY"
"""Hex key that signs the result carried by the "download report" form; ``ptsp serve`` sets
one for all its workers. Without it each process makes its own."""


class _ReportTokens:
    """The result page's report button carries the result itself, signed (HMAC-SHA256) so the
    report PDF can only say what this portal found; nothing is stored between the requests."""

    def __init__(self) -> None:
        import os
        import secrets

        key = os.environ.get(REPORT_KEY_ENV)
        self._key = bytes.fromhex(key) if key else secrets.token_bytes(32)

    def make(self, doc: dict[str, Any]) -> str:
        import base64
        import hmac
        import json
        import zlib

        body = base64.urlsafe_b64encode(zlib.compress(
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), 6)).decode()
        mac = hmac.new(self._key, body.encode(), "sha256").hexdigest()
        return f"{body}.{mac}"

    def read(self, token: str) -> dict[str, Any] | None:
        import base64
        import hmac
        import json
        import zlib

        body, _, mac = token.rpartition(".")
        want = hmac.new(self._key, body.encode(), "sha256").hexdigest()
        if not body or not hmac.compare_digest(want, mac):
            return None
        try:
            raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(body), 2_000_000)
            doc = json.loads(raw)
        except (ValueError, zlib.error):
            return None
        return doc if isinstance(doc, dict) else None


def create_app(profile: Profile, registry_factory: Callable[[], Registry], *,
               gate: VerifyGate | None = None) -> FastAPI:
    """The portal for ``profile``; ``registry_factory()`` opens the registry (once, lazily).
    ``gate`` bounds the verifications running and waiting at once (default:
    :func:`~.limits.default_gate`)."""
    registries = _Registries(registry_factory)
    admission = gate or default_gate()
    reports = _ReportTokens()
    verify_slots = asyncio.Semaphore(VERIFY_THREADS)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(
        office=profile.office, max_mb=MAX_UPLOAD // (1024 * 1024), fmt_date=fmt_date)
    app = FastAPI(
        title="Portal Verifikasi Keputusan Perizinan",
        description=f"Verifikasi keaslian surat keputusan perizinan {profile.office.short_name} "
                    f"{profile.office.regency}.",
        version=SCHEMA_VERSION, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
        lifespan=_lifespan(registries))
    app.state.registries = registries
    app.state.verify_gate = admission
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path.endswith(".json")

    def error(request: Request, status: int, code: str, message: str,
              **context: Any) -> Response:
        if is_api(request):
            return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "message": message, **context}, status_code=status)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        try:
            response: Response = await call_next(request)
        except Exception:  # noqa: BLE001 - never a traceback to the user
            log.exception("unhandled error on %s", request.url.path)
            response = error(request, 500, "internal_error",
                             "Terjadi kesalahan pada layanan. Silakan coba lagi.")
        response.headers.update(SECURITY_HEADERS)
        if not request.url.path.startswith("/static/") and request.url.path != "/favicon.ico":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(UploadError)
    async def upload_error(request: Request, exc: UploadError) -> Response:
        if is_api(request):
            return error(request, exc.status, exc.code, exc.message)
        return await _form_error(request, exc)

    async def _form_error(request: Request, exc: UploadError) -> Response:
        token = request.path_params.get("token") if request.url.path.startswith("/v/") else None
        if token:
            rec = await _by_token(token)
            if rec is not None:
                return templates.TemplateResponse(request, "decree.html", {
                    "d": decree_view(rec), "token": token, "upload_error": exc.message},
                    status_code=exc.status)
        return templates.TemplateResponse(request, "home.html", {"upload_error": exc.message},
                                          status_code=exc.status)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> Response:
        response = error(request, 503, "busy", BUSY.format(seconds=exc.retry_after))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: ("not_found", "Halaman tidak ditemukan."),
                    405: ("method_not_allowed", "Metode permintaan tidak diizinkan."),
                    503: ("service_unavailable", "Layanan verifikasi sedang tidak dapat "
                          "menghubungi register izin. Silakan coba lagi nanti.")}
        code, message = messages.get(exc.status_code, ("bad_request", "Permintaan tidak sah."))
        unknown_token = exc.status_code == 404 and request.url.path.startswith("/v/")
        if exc.status_code == 404 and request.url.path.startswith(("/v/", "/api/v1/decrees/")):
            message = NOT_FOUND  # every miss under a token path looks the same
        return error(request, exc.status_code, code, message, unknown_token=unknown_token)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error(request, 400, "bad_request", "Permintaan tidak sah.")

    async def _by_token(token: str) -> Record | None:
        registry = registries.get()
        if registry is None:
            raise StarletteHTTPException(503, "registry unavailable")
        key = token if TOKEN_RE.fullmatch(token) else _DUMMY_TOKEN
        try:
            rec = await run_in_threadpool(registry.by_token, key)
        except Exception as e:  # noqa: BLE001
            raise StarletteHTTPException(503, "registry unavailable") from e
        if rec is None or key is _DUMMY_TOKEN or rec.status in (Status.RESERVED, Status.VOIDED):
            return None
        return rec

    async def _verify(data: bytes, expected: Record | None = None,
                      channel: str = "upload") -> VerifyResult:
        registry = registries.get()
        try:
            # one verification thread at a time per process: CPU-bound work under the GIL,
            # so more threads add no throughput and starve the QR pages of the event loop
            async with verify_slots:
                result = await run_in_threadpool(verify_bytes, profile, registry, data)
        except (PtspError, SignerError) as e:  # our set-up, not the file: cannot check now
            log.error("verification could not run: %s", e)
            raise StarletteHTTPException(503, "verification unavailable") from e
        if expected is not None:
            # the holder's copy may be some other document than the decree of this QR code
            result = against_decree(result, expected.number)
        if registry is not None:
            # counted apart from the office's audit trail: anonymous checks are not office actions
            number = result.registry.number if result.registry.found else None
            try:
                await run_in_threadpool(lambda: registry.record_verification(
                    channel=channel, verdict=result.verdict, number=number))
            except Exception:  # noqa: BLE001 - counting must not block an answer
                log.warning("could not count the verification", exc_info=True)
        return result

    icon = favicon(profile)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon_ico() -> Response:
        return Response(icon, media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})

    # -- pages -------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> Response:
        return templates.TemplateResponse(request, "home.html", {})

    @app.post("/periksa", response_class=HTMLResponse, include_in_schema=False)
    async def check_page(request: Request) -> Response:
        async with admission.admit(request):
            upload = await read_pdf_upload(request)
            result = await _verify(upload.data)
        return templates.TemplateResponse(request, "result.html", {
            **result_view(result), "filename": upload.filename,
            "report_token": reports.make(result.as_dict())})

    @app.get("/v/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def decree_page(request: Request, token: str) -> Response:
        rec = await _by_token(token)
        if rec is None:
            raise StarletteHTTPException(404, NOT_FOUND)
        return templates.TemplateResponse(request, "decree.html", {
            "d": decree_view(rec), "token": token})

    @app.post("/v/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def decree_compare(request: Request, token: str) -> Response:
        rec = await _by_token(token)
        if rec is None:
            raise StarletteHTTPException(404, NOT_FOUND)
        async with admission.admit(request):
            upload = await read_pdf_upload(request)
            result = await _verify(upload.data, expected=rec, channel="qr")
        return templates.TemplateResponse(request, "result.html", {
            **result_view(result), "filename": upload.filename, "token": token,
            "d": decree_view(rec), "report_token": reports.make(result.as_dict())})

    @app.post("/laporan", include_in_schema=False)
    async def report_download(request: Request) -> Response:
        from urllib.parse import parse_qs

        from ..verify.report import report_pdf

        body = await read_body(request, 512 * 1024)
        token = (parse_qs(body.decode("ascii", "replace")).get("hasil") or [""])[0]
        doc = reports.read(token)
        if doc is None:
            return error(request, 400, "bad_request", "Laporan tidak dapat dibuat: hasil "
                         "verifikasi tidak dikenali. Periksa ulang berkas Anda.")
        pdf = await run_in_threadpool(report_pdf, doc, office=profile.office.name)
        name = f"laporan-verifikasi-{str(doc.get('file_sha256', ''))[:12]}.pdf"
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})

    # -- JSON API ----------------------------------------------------------------------------

    @app.post("/api/v1/verify", tags=["verifikasi"], summary="Periksa berkas keputusan (PDF)",
              openapi_extra={"requestBody": _UPLOAD_BODY},
              responses={200: {"description": "Hasil verifikasi (lihat "
                                              "docs/verification.schema.json)"},
                         **_error_responses(400, 413, 415, 503)})  # 503 busy: Retry-After
    async def api_verify(request: Request) -> JSONResponse:
        async with admission.admit(request):
            upload = await read_pdf_upload(request)
            result = await _verify(upload.data, channel="api")
        return JSONResponse(result.as_dict())

    @app.get("/api/v1/decrees/{token}", tags=["verifikasi"],
             summary="Status keputusan menurut register (token dari kode QR)",
             responses={200: {"description": "Status keputusan"},
                        **_error_responses(404, 503)})
    async def api_decree(token: str) -> JSONResponse:
        rec = await _by_token(token)
        if rec is None:
            raise StarletteHTTPException(404, NOT_FOUND)
        return JSONResponse(decree_dict(rec, profile))

    add_applicant_routes(app, profile=profile, registries=registries, templates=templates)
    return app
