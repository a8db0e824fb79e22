"""Account recovery on the office pages: the admin resets a password (and lifts the delays
after failed logins), every user changes their own password. The users page shows only
messages the server chose: ``?galat=`` and ``?pesan=`` carry codes, never text."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .app import PREFIX, Office, OfficeRefusal
from .auth import ADMIN, AccountError, authenticate, set_password
from .store import User, utcnow

#: ``/kantor/pengguna?galat=CODE``: problems the server may name after a redirect.
USER_ERRORS = {
    "tidak-ditemukan": "Pengguna tidak ditemukan.",
    "kata-sandi": "Kata sandi baru tidak diterima.",
}
#: ``/kantor/pengguna?pesan=CODE``: what was done.
USER_DONE = {
    "kata-sandi": "Kata sandi telah diatur ulang. Sampaikan kata sandi baru kepada pemiliknya "
                  "secara langsung; sesinya yang lama telah diakhiri.",
    "buka-kunci": "Penundaan masuk untuk pengguna ini telah dicabut.",
}


def users_context(office: Office, *, error: str = "", error_code: str | None = None,
                  done_code: str | None = None) -> dict[str, Any]:
    now = utcnow()
    return {"users": office.store.list_users(), "blocks": office.store.login_blocks(now),
            "error": error or USER_ERRORS.get(error_code or "", ""),
            "done": USER_DONE.get(done_code or "", "")}


def router(office: Office) -> APIRouter:
    r = APIRouter()
    Admin = Annotated[User, Depends(office.guard(ADMIN))]
    AnyUser = Annotated[User, Depends(office.guard())]

    @r.post("/pengguna/{username}/kata-sandi")
    async def reset_password(request: Request, username: str, user: Admin) -> Response:
        form = await request.form()
        password = str(form.get("password") or "")
        try:
            await run_in_threadpool(set_password, office.store, username, password)
        except AccountError as e:
            if await run_in_threadpool(office.store.user, username) is None:
                raise OfficeRefusal(404, "Pengguna tidak ditemukan.") from e
            return office.render(request, "users.html", await run_in_threadpool(
                users_context, office, error=f"{username}: {e.pesan}"), 400)
        await run_in_threadpool(office.audit, "user_password_reset", user.username, None,
                                username=username)
        return RedirectResponse(f"{PREFIX}/pengguna?pesan=kata-sandi", 303)

    def own_page(request: Request, *, error: str = "", done: bool = False,
                 status: int = 200) -> Response:
        return office.render(request, "password.html", {"error": error, "done": done}, status)

    @r.get("/kata-sandi")
    async def password_form(request: Request, user: AnyUser) -> Response:
        return own_page(request, done=request.query_params.get("pesan") == "ok")

    @r.post("/kata-sandi")
    async def change_password(request: Request, user: AnyUser) -> Response:
        from .routes import THROTTLED, client_address

        form = await request.form()
        current = str(form.get("current") or "")[:1024]
        new = str(form.get("password") or "")
        again = str(form.get("password2") or "")
        if not current or not new:
            return own_page(request, error="Isi kata sandi lama dan kata sandi baru.",
                            status=400)
        if new != again:
            return own_page(request, error="Kedua isian kata sandi baru tidak sama.",
                            status=400)
        # the current password is checked as a login (and counted, throttled, as one)
        result = await run_in_threadpool(lambda: authenticate(
            office.store, user.username, current, client=client_address(request)))
        if result.reason == "throttled":
            return own_page(request, error=THROTTLED.format(n=result.retry_after),
                            status=429)
        if not result.ok:
            return own_page(request, error="Kata sandi lama salah.", status=400)
        try:
            await run_in_threadpool(lambda: set_password(
                office.store, user.username, new,
                keep_session=request.state.kantor_session.id))
        except AccountError as e:
            return own_page(request, error=e.pesan, status=400)
        await run_in_threadpool(office.audit, "password_change", user.username)
        return RedirectResponse(f"{PREFIX}/kata-sandi?pesan=ok", 303)

    return r
