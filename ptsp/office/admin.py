"""Account management (admin) and the audit trail view (admin, Kepala Dinas)."""

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .app import PREFIX, Office, OfficeRefusal
from .audit_view import PAGE_SIZE, AuditQuery, action_label, audit_rows
from .auth import ADMIN, KADIS, AccountError, create_user
from .store import User


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
        tz = ZoneInfo(office.profile.office.timezone)
        q = AuditQuery.parse(request.query_params)
        since, until = q.bounds(tz)

        def read() -> tuple[Any, int, Any, dict[str, int]]:
            reg = office.registry
            entries, total = reg.audit_search(  # type: ignore[attr-defined]
                actor=q.actor or None, action=q.action or None, since=since, until=until,
                offset=(q.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
            return (entries, total, reg.audit_facets(),  # type: ignore[attr-defined]
                    reg.verification_counts())  # type: ignore[attr-defined]

        entries, total, (actors, actions), checks = await run_in_threadpool(read)
        pages = max(1, -(-total // PAGE_SIZE))
        return office.render(request, "audit.html", {
            "rows": audit_rows(entries, tz), "q": q, "total": total, "pages": pages,
            "actors": actors, "actions": sorted(actions, key=action_label),
            "action_label": action_label, "portal_checks": checks,
            "prev_link": q.link(q.page - 1) if q.page > 1 else None,
            "next_link": q.link(q.page + 1) if q.page < pages else None})

    return r
