"""Wiring of the back-office pages into a FastAPI app: state, guards, errors, headers.

Every page lives under ``/kantor``. :func:`Office.guard` is the one gate of every endpoint but
the login form: it finds the session (or sends the browser to the login page), checks the CSRF
token of every POST and then the role. The login form has its own double-submit token.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from generator.catalog import Catalog

from ..profile import Profile
from ..registry import Registry
from ..timefmt import Clock
from .auth import ROLES, current_session, same_token
from .errors import OfficeError
from .jobs import ConverterFactory, JobRunner
from .stages import LABELS, SIGNED, Stage
from .store import OfficeStore, Session, User

HERE = Path(__file__).resolve().parent
PREFIX = "/kantor"
SESSION_COOKIE = "kantor_sesi"
LOGIN_COOKIE = "kantor_pra"
MAX_BODY = 11 * 1024 * 1024

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
FORBIDDEN = "Anda tidak berwenang membuka halaman ini atau melakukan tindakan ini."
BAD_CSRF = ("Formulir tidak sah atau sudah kedaluwarsa. Muat ulang halaman, lalu kirim "
            "formulir sekali lagi.")


class OfficeRefusal(OfficeError):
    """A request the office refuses, with the status and a message in Bahasa Indonesia."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NeedLogin(OfficeError):
    """The request needs a signed-in user (the login page follows)."""


class Office:
    """What the back-office pages share: profile, catalog, store, registry, jobs, templates."""

    def __init__(self, *, profile: Profile, registry_factory: Callable[[], Registry],
                 catalog: Catalog, data_dir: Path, secure_cookies: bool | None = None,
                 converter_factory: ConverterFactory | None = None) -> None:
        self.profile = profile
        self.catalog = catalog
        self.registry_factory = registry_factory
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if secure_cookies is None and os.environ.get("PTSP_OFFICE_SECURE_COOKIES"):
            secure_cookies = os.environ["PTSP_OFFICE_SECURE_COOKIES"] not in ("0", "false", "")
        self.secure_cookies = secure_cookies
        self.converter_factory = converter_factory
        self._registry: Registry | None = None
        self._store: OfficeStore | None = None
        self._jobs: JobRunner | None = None
        self._recovered = False  # interrupted jobs are recovered once, not on every reopen
        self._lock = threading.Lock()
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(office=profile.office, roles=ROLES,
                                          stage_labels=LABELS, prefix=PREFIX,
                                          Stage=Stage, SIGNED_STAGES=SIGNED)
        self.clock = Clock(profile.office.timezone)
        self.templates.env.filters.update(waktu=self.clock.waktu, tanggal=self.clock.tanggal,
                                          jam=self.clock.jam, izin=self.permit_name)

    def permit_name(self, code: str) -> str:
        """The permit's name for people (its catalog code when the catalog lacks it)."""
        service = self.catalog.find(code)
        return service.name if service else code

    # -- lazily opened resources (the database may be down when the app starts) --------------
    @property
    def registry(self) -> Registry:
        with self._lock:
            if self._registry is None:
                self._registry = self.registry_factory()
            return self._registry

    @property
    def store(self) -> OfficeStore:
        registry = self.registry
        with self._lock:
            if self._store is None:
                engine = getattr(registry, "engine", None)
                if engine is None:
                    raise OfficeError("the office pages need an SQL registry (SqlRegistry)")
                self._store = OfficeStore(engine)
                if not self._recovered:  # this process's own jobs may still be running
                    self._store.recover_interrupted()
                    self._recovered = True
            return self._store

    @property
    def jobs(self) -> JobRunner:
        store = self.store
        with self._lock:
            if self._jobs is None:
                self._jobs = JobRunner(profile=self.profile, catalog=self.catalog,
                                       registry_factory=self.registry_factory, store=store,
                                       data_dir=self.data_dir,
                                       converter_factory=self.converter_factory)
            return self._jobs

    def close(self) -> None:
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None
                self._store = None

    def audit(self, action: str, actor: str, number: str | None = None,
              **detail: Any) -> None:
        self.registry.record_event(action=action, actor=actor, number=number, detail=detail)

    # -- requests ---------------------------------------------------------------------------
    def secure(self, request: Request) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return request.url.scheme == "https"

    def render(self, request: Request, name: str, context: dict[str, Any] | None = None,
               status: int = 200) -> HTMLResponse:
        s: Session | None = getattr(request.state, "kantor_session", None)
        ctx = {"user": s.user if s else None, "csrf": s.csrf if s else "",
               **(context or {})}
        return self.templates.TemplateResponse(request, name, ctx, status_code=status)

    def guard(self, *roles: str) -> Callable[[Request], Awaitable[User]]:
        """Dependency: the logged-in user, after the CSRF check (POST) and the role check."""
        allowed = frozenset(roles)

        async def dependency(request: Request) -> User:
            token = request.cookies.get(SESSION_COOKIE)
            session = await run_in_threadpool(current_session, self.store, token)
            if session is None:
                raise NeedLogin()
            request.state.kantor_session = session
            if request.method not in ("GET", "HEAD"):
                await check_form_token(request, session.csrf)
            if allowed and session.user.role not in allowed:
                raise OfficeRefusal(403, FORBIDDEN)
            return session.user

        return dependency


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.url.netloc


TOO_LARGE = "Berkas terlalu besar (maksimal 10 MB)."


class BodyTooLarge(Exception):
    pass


def limit_body(request: Request, limit: int = MAX_BODY) -> None:
    """Count the body while it is read and stop past ``limit`` bytes, whatever the
    Content-Length said (or when there is none: chunked transfer)."""
    receive = request._receive  # Starlette reads the body only through this callable
    seen = 0

    async def limited() -> Any:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    request._receive = limited


async def check_form_token(request: Request, expected: str | None) -> Any:
    """Refuse a POST whose form lacks the expected CSRF token (or comes from another site)."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise OfficeRefusal(413, TOO_LARGE)
    if not _same_origin(request):
        raise OfficeRefusal(403, BAD_CSRF)
    limit_body(request)
    try:
        form = await request.form()
    except BodyTooLarge as e:
        raise OfficeRefusal(413, TOO_LARGE) from e
    except Exception as e:  # noqa: BLE001 - a malformed body is a bad request, not a crash
        raise OfficeRefusal(400, "Permintaan tidak sah.") from e
    given = form.get("csrf_token")
    if not same_token(expected, given if isinstance(given, str) else None):
        raise OfficeRefusal(403, BAD_CSRF)
    return form


def _install_handlers(app: FastAPI, office: Office) -> None:
    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OfficeRefusal)
        if request.url.path.endswith(".json") or "/status.json" in request.url.path:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        return office.render(request, "error.html", {"status": exc.status,
                                                     "message": exc.message}, exc.status)

    async def need_login(request: Request, exc: Exception) -> Response:
        if request.method in ("GET", "HEAD") and not request.url.path.endswith(".json"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PREFIX}/masuk?lanjut={quote(target, safe='')}", 303)
        if request.url.path.endswith(".json"):
            return JSONResponse({"error": "Silakan masuk terlebih dahulu."}, status_code=401)
        return office.render(request, "error.html", {
            "status": 401, "message": "Silakan masuk terlebih dahulu."}, 401)

    app.add_exception_handler(OfficeRefusal, refusal)
    app.add_exception_handler(NeedLogin, need_login)

    @app.middleware("http")
    async def office_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        if request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX:
            # after (outside) any headers the host app sets: the office pages need their
            # own script and same-origin images
            response.headers.update(HEADERS)
            if not request.url.path.startswith(PREFIX + "/static/"):
                response.headers["Cache-Control"] = "no-store"
        return response


def mount_office(app: FastAPI, *, profile: Profile, registry_factory: Callable[[], Registry],
                 catalog: Catalog, data_dir: Path, secure_cookies: bool | None = None,
                 converter_factory: ConverterFactory | None = None) -> Office:
    """Add the back-office pages (``/kantor/...``) and their static files to ``app``.

    Call it while building the app, before it serves. ``data_dir`` holds drafts, page images
    and the LibreOffice profiles; the office's tables go into the registry's database.
    ``secure_cookies``: None marks cookies Secure when the request came over https (or as
    ``PTSP_OFFICE_SECURE_COOKIES`` says); set True behind a TLS-terminating proxy.
    """
    from . import accounts, admin, routes
    from . import complaints as complaint_pages
    from . import receipts as receipt_pages

    office = Office(profile=profile, registry_factory=registry_factory, catalog=catalog,
                    data_dir=data_dir, secure_cookies=secure_cookies,
                    converter_factory=converter_factory)
    app.state.office = office
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(HERE / "static")),
              name="kantor-static")
    _install_handlers(app, office)
    app.include_router(routes.router(office), prefix=PREFIX)
    app.include_router(admin.router(office), prefix=PREFIX)
    app.include_router(accounts.router(office), prefix=PREFIX)
    app.include_router(complaint_pages.router(office), prefix=PREFIX)
    app.include_router(receipt_pages.router(office), prefix=PREFIX)
    return office


def create_office_app(profile: Profile, registry_factory: Callable[[], Registry], *,
                      data_dir: Path, catalog: Catalog | None = None,
                      secure_cookies: bool | None = None,
                      converter_factory: ConverterFactory | None = None) -> FastAPI:
    """A standalone app with only the back-office pages (tests, a closed office network)."""
    from contextlib import asynccontextmanager

    from generator.catalog import load_catalog

    office_ref: list[Office] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        for o in office_ref:
            o.close()

    app = FastAPI(title="Kantor DPMPTSP", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    office_ref.append(mount_office(
        app, profile=profile, registry_factory=registry_factory,
        catalog=catalog or load_catalog(), data_dir=data_dir, secure_cookies=secure_cookies,
        converter_factory=converter_factory))

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse(f"{PREFIX}/", 303)

    return app
