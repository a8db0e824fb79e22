"""Account management (admin) and the audit trail view (admin, Kepala Dinas)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .app import PREFIX, Office, OfficeRefusal
from .auth import ADMIN, KADIS, AccountError, create_user
from .store import User

AUDIT_LIMIT = 300


def router(office: Office) -> APIRouter:
    r = APIRouter()
    Admin = Annotated[User, Depends(office.guard(ADMIN))]
    Auditor = Annotated[User, Depends(office.guard(ADMIN, KADIS))]

    @r.get("/pengguna")
    async def users_page(request: Request, user: Admin,
                         ) -> Response:
        # only messages the server chose: a code from the query string, never its text
        from .accounts import users_context

        q = request.query_params
        return office.render(request, "users.html", await run_in_threadpool(
            users_context, office, error_code=q.get("galat"), done_code=q.get("pesan")))

    @r.post("/pengguna")
    async def add_user(request: Request, user: Admin) -> Response:
        form = await request.form()
        try:
            new = await run_in_threadpool(
                create_user, office.store, str(form.get("username") or ""),
                str(form.get("role") or ""), str(form.get("password") or ""),
                str(form.get("full_name") or ""))
        except AccountError as e:
            from .accounts import users_context

            return office.render(request, "users.html", await run_in_threadpool(
                users_context, office, error=e.pesan), 400)
        await run_in_threadpool(office.audit, "user_add", user.username, None,
                                username=new.username, role=new.role)
        return RedirectResponse(f"{PREFIX}/pengguna", 303)

    async def change(username: str, actor: str, action: str, **values: object) -> Response:
        found = await run_in_threadpool(lambda: office.store.update_user(username, **values))
        if found is None:
            raise OfficeRefusal(404, "Pengguna tidak ditemukan.")
        await run_in_threadpool(office.audit, action, actor, None, username=username)
        return RedirectResponse(f"{PREFIX}/pengguna", 303)

    @r.post("/pengguna/{username}/nonaktif")
    async def disable(request: Request, username: str,
                      user: Admin) -> Response:
        if username == user.username:
            raise OfficeRefusal(400, "Anda tidak dapat menonaktifkan akun Anda sendiri.")
        return await change(username, user.username, "user_disable", active=False)

    @r.post("/pengguna/{username}/aktif")
    async def enable(request: Request, username: str,
                     user: Admin) -> Response:
        return await change(username, user.username, "user_enable", active=True)

    @r.post("/pengguna/{username}/buka-kunci")
    async def unlock(request: Request, username: str,
                     user: Admin) -> Response:
        await run_in_threadpool(office.store.clear_login_failures, username)
        return await change(username, user.username, "user_unlock", locked_until=None,
                            failed_count=0)

    @r.get("/audit")
    async def audit_page(request: Request,
                         user: Auditor) -> Response:
        entries = await run_in_threadpool(office.registry.audit_entries)
        return office.render(request, "audit.html", {
            "entries": list(reversed(entries))[:AUDIT_LIMIT]})

    return r
