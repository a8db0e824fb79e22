"""The workflow pages: login, upload, generation, review (Kasi, Kabid), signing (Kepala Dinas),
status board and hand-over. Each endpoint names the roles allowed through ``office.guard``."""

import logging
import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from signer.errors import KeyUnlockError
from signer.keys import UnlockedKey

from ..applicant.intake import assign_upload_receipts, receipts_of
from ..applicant.outbox import OutboxStore
from ..errors import ProfileError
from ..pipeline import safe_filename
from .app import (
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    Office,
    OfficeRefusal,
    check_form_token,
)
from .auth import ADMIN, BACKOFFICE, KABID, KADIS, KASI, STAFF, authenticate, open_session
from .board import board_rows
from .intake import MAX_UPLOAD, IntakeError, read_upload
from .jobs import pin_key_source
from .pages import PageError, page_images
from .stages import SIGNED, Stage
from .store import AppRow, User

log = logging.getLogger(__name__)
ALL = (*STAFF, ADMIN)
VIEWERS = tuple(STAFF)
#: Which stage each reviewing role acts on, and where its initial sends the draft.
REVIEW = {KASI: (Stage.KASI, Stage.KABID), KABID: (Stage.KABID, Stage.KADIS)}
HOME = {BACKOFFICE: "/unggah", KASI: "/periksa", KABID: "/periksa", KADIS: "/tanda-tangan",
        ADMIN: "/pengguna"}
THROTTLED = ("Terlalu banyak percobaan masuk yang gagal. Tunggu {n} detik, lalu coba lagi. "
             "Jika lupa kata sandi, hubungi administrator.")
REVOKE_KINDS = {"withdrawn": "Ditarik kembali", "cancelled": "Dibatalkan",
                "revoked": "Dicabut"}
WRONG_LOGIN = "Nama pengguna atau kata sandi salah."


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(PREFIX + path, 303)


def client_address(request: Request) -> str:
    """The client's address (the proxy's forwarded one when uvicorn trusts the proxy)."""
    return (request.client.host if request.client else "-")[:64]


def _safe_next(value: str | None, user: User) -> str:
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return PREFIX + HOME.get(user.role, "/")


def parse_id(text: str, not_found: str) -> int:
    """A numeric id from the path; anything else (letters, a sign, past 2^63) is not found."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise OfficeRefusal(404, not_found)
    return int(text)


NO_UPLOAD = "Unggahan tidak ditemukan."
NO_JOB = "Pekerjaan tidak ditemukan."
KEY_LOCKED = ("Kunci tidak dapat dibuka: PIN atau kata sandi salah, atau token tidak terpasang. "
              "Tidak ada dokumen yang ditandatangani. Pilihan Anda masih tersimpan: masukkan "
              "PIN atau kata sandi sekali lagi, lalu tekan tombolnya.")
#: what the Kepala Dinas types for a remote signing service ([keys] source)
REMOTE_SECRET_LABEL = {"csc": "PIN/OTP layanan tanda tangan (CSC)",
                       "bsre": "passphrase sertifikat elektronik BSrE"}
NOTHING_SIGNED = (" Tidak ada dokumen yang ditandatangani. Pilihan Anda masih tersimpan: "
                  "masukkan sekali lagi, lalu tekan tombolnya.")


def _form_ids(form: Any, name: str = "app") -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and len(v) <= 120][:20000]


def router(office: Office) -> APIRouter:  # noqa: C901 - one place that lists every page
    r = APIRouter()
    AnyUser = Annotated[User, Depends(office.guard())]
    Backoffice = Annotated[User, Depends(office.guard(BACKOFFICE))]
    JobUser = Annotated[User, Depends(office.guard(BACKOFFICE, KADIS))]
    Reviewer = Annotated[User, Depends(office.guard(KASI, KABID))]
    Viewer = Annotated[User, Depends(office.guard(*VIEWERS))]
    Returner = Annotated[User, Depends(office.guard(KASI, KABID, KADIS))]
    Kadis = Annotated[User, Depends(office.guard(KADIS))]
    Everyone = Annotated[User, Depends(office.guard(*ALL))]
    store = lambda: office.store  # noqa: E731 - opened lazily

    def permit_names(apps: list[AppRow]) -> dict[str, str]:
        names = {}
        for a in apps:
            service = office.catalog.find(a.permit)
            names[a.permit] = service.name if service else a.permit
        return names

    def app_or_404(app_id: str) -> AppRow:
        row = office.store.application(app_id)
        if row is None:
            raise OfficeRefusal(404, "Permohonan tidak ditemukan.")
        return row

    # -- login ------------------------------------------------------------------------------
    def login_page(request: Request, *, error: str = "", status: int = 200,
                   username: str = "") -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
        resp = office.render(request, "login.html", {
            "login_token": token, "error": error, "username": username,
            "next": request.query_params.get("lanjut", "")}, status)
        resp.set_cookie(LOGIN_COOKIE, token, max_age=3600, path=PREFIX, httponly=True,
                        samesite="strict", secure=office.secure(request))
        return resp

    @r.get("/masuk")
    async def login_form(request: Request) -> Response:
        return login_page(request)

    @r.post("/masuk")
    async def login(request: Request) -> Response:
        form = await check_form_token(request, request.cookies.get(LOGIN_COOKIE))
        username = str(form.get("username") or "")[:64]
        password = str(form.get("password") or "")[:1024]
        result = await run_in_threadpool(lambda: authenticate(
            store(), username, password, client=client_address(request)))
        actor = result.user.username if result.user else "anonim"
        if result.reason == "throttled":  # refused unread: not worth an audit entry each
            resp = login_page(request, error=THROTTLED.format(n=result.retry_after),
                              status=429, username=username)
            resp.headers["Retry-After"] = str(result.retry_after)
            return resp
        if not result.ok:
            await run_in_threadpool(office.audit, "login_failed", actor, None,
                                    username=username[:64], reason=result.reason,
                                    client=client_address(request))
            return login_page(request, error=WRONG_LOGIN, status=401, username=username)
        assert result.user is not None
        token = await run_in_threadpool(open_session, store(), result.user)
        await run_in_threadpool(office.audit, "login", result.user.username, None,
                                role=result.user.role)
        resp = RedirectResponse(_safe_next(str(form.get("next") or ""), result.user), 303)
        resp.set_cookie(SESSION_COOKIE, token, path=PREFIX, httponly=True, samesite="lax",
                        secure=office.secure(request))
        resp.delete_cookie(LOGIN_COOKIE, path=PREFIX)
        return resp

    @r.post("/keluar")
    async def logout(request: Request, user: AnyUser) -> Response:
        await run_in_threadpool(store().delete_session, request.state.kantor_session.id)
        await run_in_threadpool(office.audit, "logout", user.username)
        resp = _see_other("/masuk")
        resp.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return resp

    @r.get("/")
    async def home(request: Request, user: AnyUser) -> Response:
        return _see_other(HOME.get(user.role, "/status"))

    # -- back office: upload, generate ------------------------------------------------------
    @r.get("/unggah")
    async def upload_page(request: Request,
                          user: Backoffice) -> Response:
        s = store()
        uploads = await run_in_threadpool(s.list_uploads)
        pending = await run_in_threadpool(
            lambda: s.applications(stages=(Stage.UPLOADED, Stage.FAILED, Stage.RETURNED)))
        return office.render(request, "upload.html", {"uploads": uploads, "pending": pending})

    @r.post("/unggah")
    async def upload(request: Request,
                     user: Backoffice) -> Response:
        form = await request.form()
        f = form.get("berkas")
        if not isinstance(f, UploadFile) or not f.filename:
            raise OfficeRefusal(400, "Pilih berkas yang akan diunggah.")
        data = await f.read(MAX_UPLOAD + 1)
        try:
            intake = await run_in_threadpool(read_upload, f.filename, data, office.catalog)
        except IntakeError as e:
            raise OfficeRefusal(400, str(e)) from None
        upload_id, errors = await run_in_threadpool(
            lambda: store().add_upload(filename=intake.filename, sha256=intake.sha256,
                                       uploaded_by=user.username, total=intake.total,
                                       records=intake.valid, errors=intake.errors))
        await run_in_threadpool(assign_upload_receipts, store(), upload_id)
        await run_in_threadpool(office.audit, "upload", user.username, None,
                                upload=upload_id, filename=intake.filename,
                                sha256=intake.sha256, total=intake.total,
                                valid=intake.total - len(errors), rejected=len(errors))
        return _see_other(f"/unggah/{upload_id}")

    @r.get("/unggah/{upload_id}")
    async def upload_result(request: Request, upload_id: str,
                            user: Backoffice) -> Response:
        up = await run_in_threadpool(store().upload, parse_id(upload_id, NO_UPLOAD))
        if up is None:
            raise OfficeRefusal(404, "Unggahan tidak ditemukan.")
        apps = await run_in_threadpool(lambda: store().applications(upload_id=up.id))
        apps.sort(key=lambda a: a.source_row)
        waiting = [a for a in apps if a.stage == Stage.UPLOADED]
        return office.render(request, "upload_result.html", {
            "up": up, "apps": apps, "waiting": waiting,
            "receipts": await run_in_threadpool(receipts_of, store(),
                                                [a.application_id for a in apps])})

    @r.post("/unggah/{upload_id}/buat")
    async def generate(request: Request, upload_id: str,
                       user: Backoffice) -> Response:
        number = parse_id(upload_id, NO_UPLOAD)
        apps = await run_in_threadpool(lambda: store().applications(
            upload_id=number, stages=(Stage.UPLOADED,)))
        job = await run_in_threadpool(office.jobs.start_generate,
                                      [a.application_id for a in apps], user.username)
        if job is None:
            raise OfficeRefusal(409, "Tidak ada permohonan yang menunggu penyusunan draf.")
        return _see_other(f"/pekerjaan/{job}")

    @r.post("/permohonan/{app_id}/buat")
    async def regenerate(request: Request, app_id: str,
                         user: Backoffice) -> Response:
        s = store()
        await run_in_threadpool(lambda: s.move([app_id], from_stages=(
            Stage.RETURNED, Stage.FAILED), to=Stage.UPLOADED, role=user.role))
        job = await run_in_threadpool(office.jobs.start_generate, [app_id], user.username)
        if job is None:
            raise OfficeRefusal(409, "Permohonan ini tidak menunggu penyusunan draf.")
        return _see_other(f"/pekerjaan/{job}")

    @r.post("/permohonan/{app_id}/batal")
    async def void(request: Request, app_id: str,
                   user: Backoffice) -> Response:
        form = await request.form()
        reason = str(form.get("alasan") or "").strip()[:500]
        if not reason:
            raise OfficeRefusal(400, "Tuliskan alasan pembatalan.")
        row = await run_in_threadpool(app_or_404, app_id)
        moved = await run_in_threadpool(lambda: store().move(
            [app_id], from_stages=(Stage.RETURNED, Stage.FAILED, Stage.UPLOADED),
            to=Stage.VOIDED, role=user.role, note=reason, note_by=user.username))
        if not moved:
            raise OfficeRefusal(409, "Hanya draf yang dikembalikan atau gagal yang dapat "
                                     "dibatalkan.")
        if row.number:
            rec = await run_in_threadpool(office.registry.get, row.number)
            if rec is not None and rec.status.value == "reserved":
                await run_in_threadpool(office.registry.void, row.number, reason=reason,
                                        actor=user.username)
        await run_in_threadpool(office.audit, "void", user.username, row.number,
                                application_id=app_id, reason=reason)
        return _see_other("/unggah")

    # -- jobs -------------------------------------------------------------------------------
    def job_for(job_id: str, user: User) -> Any:
        job = office.store.job(parse_id(job_id, NO_JOB))
        if job is None:
            raise OfficeRefusal(404, "Pekerjaan tidak ditemukan.")
        if (job.kind == "sign") != (user.role == KADIS):
            raise OfficeRefusal(403, "Anda tidak berwenang membuka halaman ini atau melakukan "
                                     "tindakan ini.")
        return job

    @r.get("/pekerjaan/{job_id}")
    async def job_page(request: Request, job_id: str,
                       user: JobUser) -> Response:
        job = await run_in_threadpool(job_for, job_id, user)
        return office.render(request, "job.html", {"job": job})

    @r.get("/pekerjaan/{job_id}/status.json")
    async def job_status(request: Request, job_id: str,
                         user: JobUser) -> Response:
        job = await run_in_threadpool(job_for, job_id, user)
        return JSONResponse(job.as_dict() | {"created_at": office.clock.iso(job.created_at),
                                             "finished_at": office.clock.iso(job.finished_at)})

    # -- review: Kasi, Kabid ----------------------------------------------------------------
    def review_page(request: Request, user: User, *, error: str = "", done: int = 0,
                    chosen: frozenset[str] = frozenset(), status: int = 200) -> Response:
        stage = REVIEW[user.role][0]
        apps = office.store.applications(stages=(stage,))
        return office.render(request, "review.html", {
            "apps": apps, "error": error, "done": done, "chosen": chosen,
            "permit_names": permit_names(apps)}, status)

    @r.get("/periksa")
    async def review_queue(request: Request,
                           user: Reviewer) -> Response:
        done = request.query_params.get("selesai", "")
        count = int(done) if done.isdigit() and len(done) < 6 else 0
        return await run_in_threadpool(lambda: review_page(request, user, done=count))

    def initial(user: User, ids: list[str], *, whole_stage: bool = False) -> list[str] | None:
        """Initial exactly ``ids`` (all, or none when the list changed meanwhile)."""
        here, there = REVIEW[user.role]
        by = {"kasi_by" if user.role == KASI else "kabid_by": user.username}
        moved = office.store.move_exactly(ids, from_stage=here, to=there, role=user.role,
                                          whole_stage=whole_stage, **by)
        for app_id in moved or ():
            row = office.store.application(app_id)
            office.audit("initial", user.username, row.number if row else None,
                         role=user.role, application_id=app_id)
        return moved

    @r.post("/periksa/paraf")
    async def initial_many(request: Request,
                           user: Reviewer) -> Response:
        form = await request.form()
        every = bool(form.get("semua"))
        ids = _form_ids(form, "tampil" if every else "app")
        if not ids:
            raise OfficeRefusal(400, "Pilih draf yang akan diparaf.")
        moved = await run_in_threadpool(lambda: initial(user, ids, whole_stage=every))
        if moved is None:
            message = await run_in_threadpool(changed_message, ids, REVIEW[user.role][0],
                                              every, "diparaf")
            return await run_in_threadpool(lambda: review_page(
                request, user, error=message, chosen=frozenset(_form_ids(form, "app")),
                status=409))
        return _see_other(f"/periksa?selesai={len(moved)}")

    def changed_message(ids: list[str], stage: str, every: bool, verb: str) -> str:
        now = {a.application_id for a in office.store.applications(stages=(stage,))}
        listed = set(ids)
        gone, new = len(listed - now), len(now - listed) if every else 0
        parts = []
        if new:
            parts.append(f"{new} draf baru masuk")
        if gone:
            parts.append(f"{gone} draf sudah tidak menunggu tindakan Anda")
        why = f" ({' dan '.join(parts)})" if parts else ""
        return (f"Daftar draf berubah sejak halaman ini dibuka{why}. "
                f"Tidak ada draf yang {verb}. Periksa daftar terbaru di bawah ini, lalu "
                "tekan tombolnya sekali lagi.")

    @r.get("/draf/{app_id}")
    async def draft_page(request: Request, app_id: str,
                         user: Viewer) -> Response:
        row = await run_in_threadpool(app_or_404, app_id)
        path = row.signed_path if row.stage in SIGNED else row.draft_path
        pages: list[Path] = []
        error = ""
        if path and Path(path).exists():
            try:
                pages = await run_in_threadpool(page_images, Path(path),
                                                office.data_dir / "halaman")
            except PageError as e:
                log.warning("no page images of %s: %s", path, e)
                error = ("Pratinjau halaman tidak dapat dibuat. Buka berkas PDF di bawah ini, "
                         "atau minta administrator memeriksa log layanan.")
        else:
            error = "Berkas draf tidak tersedia."
        return office.render(request, "draft.html", {
            "a": row, "pages": len(pages), "error": error,
            "permit_name": permit_names([row])[row.permit],
            "can_review": REVIEW.get(user.role, ("",))[0] == row.stage,
            "can_revoke": user.role == KADIS and row.stage in (Stage.SIGNED, Stage.HANDED_OVER),
            "revoke_kinds": REVOKE_KINDS,
            "can_return": row.stage in (Stage.KASI, Stage.KABID, Stage.KADIS) and (
                REVIEW.get(user.role, ("",))[0] == row.stage or
                (user.role == KADIS and row.stage == Stage.KADIS))})

    def current_file(row: AppRow) -> Path:
        path = row.signed_path if row.stage in SIGNED else row.draft_path
        if not path or not Path(path).exists():
            raise OfficeRefusal(404, "Berkas tidak tersedia.")
        return Path(path)

    @r.get("/draf/{app_id}/halaman/{n}.png")
    async def draft_page_image(request: Request, app_id: str, n: str,
                               user: Viewer) -> Response:
        page = parse_id(n, "Halaman tidak ditemukan.")
        row = await run_in_threadpool(app_or_404, app_id)
        try:
            pages = await run_in_threadpool(page_images, current_file(row),
                                            office.data_dir / "halaman")
        except PageError as e:
            raise OfficeRefusal(500, "Halaman tidak dapat ditampilkan.") from e
        if not 1 <= page <= len(pages):
            raise OfficeRefusal(404, "Halaman tidak ditemukan.")
        return FileResponse(pages[page - 1], media_type="image/png")

    @r.get("/draf/{app_id}/berkas.pdf")
    async def draft_pdf(request: Request, app_id: str,
                        user: Viewer) -> Response:
        row = await run_in_threadpool(app_or_404, app_id)
        return FileResponse(current_file(row), media_type="application/pdf",
                            content_disposition_type="inline",
                            filename=safe_filename(row.number or app_id))

    @r.post("/draf/{app_id}/paraf")
    async def initial_one(request: Request, app_id: str,
                          user: Reviewer) -> Response:
        if not await run_in_threadpool(initial, user, [app_id]):
            raise OfficeRefusal(409, "Draf ini tidak sedang menunggu paraf Anda.")
        return _see_other("/periksa")

    @r.post("/draf/{app_id}/kembalikan")
    async def send_back(request: Request, app_id: str,
                        user: Returner) -> Response:
        form = await request.form()
        note = str(form.get("catatan") or "").strip()[:2000]
        if not note:
            raise OfficeRefusal(400, "Tuliskan catatan perbaikan untuk back office.")
        here = REVIEW[user.role][0] if user.role in REVIEW else Stage.KADIS
        moved = await run_in_threadpool(lambda: store().move(
            [app_id], from_stages=(here,), to=Stage.RETURNED, role=user.role, note=note,
            note_by=user.username))
        if not moved:
            raise OfficeRefusal(409, "Draf ini tidak sedang menunggu tindakan Anda.")
        row = await run_in_threadpool(app_or_404, app_id)
        await run_in_threadpool(office.audit, "return", user.username, row.number,
                                role=user.role, application_id=app_id, note=note)
        return _see_other("/tanda-tangan" if user.role == KADIS else "/periksa")

    # -- signing: Kepala Dinas --------------------------------------------------------------
    def sign_page(request: Request, *, error: str = "", chosen: frozenset[str] = frozenset(),
                  status: int = 200) -> Response:
        apps = office.store.applications(stages=(Stage.KADIS,))
        running = office.store.running_jobs("sign")
        key_kind = REMOTE_SECRET_LABEL.get(office.profile.keys.source) or (
            "PIN token" if office.profile.keys.source == "pkcs11" else
            "kata sandi kunci (PKCS#12)")
        if office.profile.keys.source == "bsre" and office.profile.keys.bsre_totp_env:
            key_kind = "kode TOTP BSrE"
        return office.render(request, "sign.html", {
            "apps": apps, "running": running, "key_kind": key_kind, "error": error,
            "chosen": chosen, "permit_names": permit_names(apps)}, status)

    @r.get("/tanda-tangan")
    async def sign_queue(request: Request,
                         user: Kadis) -> Response:
        return await run_in_threadpool(lambda: sign_page(request))

    def unlock(secret: str) -> UnlockedKey | str:
        """The unlocked key, or what to tell the Kepala Dinas (a remote signing service's
        refusal says why: wrong PIN, signer not registered, service unreachable)."""
        try:
            source = pin_key_source(office.profile, secret)
        except ProfileError as e:
            log.error("no signing key configured: %s", e)
            raise OfficeRefusal(503, "Kunci penandatanganan belum diatur pada profil kantor; "
                                     "hubungi administrator.") from e
        try:
            return source.unlock()
        except KeyUnlockError as e:
            if office.profile.keys.source in REMOTE_SECRET_LABEL:
                log.warning("the signing service refused to unlock the key: %s", e)
                return f"Layanan tanda tangan menolak: {e}"
            return KEY_LOCKED

    @r.post("/tanda-tangan")
    async def sign(request: Request, user: Kadis) -> Response:
        form = await request.form()
        every = bool(form.get("semua"))
        ids = _form_ids(form, "tampil" if every else "app")
        chosen = frozenset(ids)

        def again(message: str, status: int) -> Any:
            return run_in_threadpool(lambda: sign_page(request, error=message, chosen=chosen,
                                                       status=status))

        if not ids:
            return await again("Pilih keputusan yang akan ditandatangani.", 400)
        secret = form.get("pin")
        if not isinstance(secret, str) or not secret:
            return await again("Masukkan PIN atau kata sandi kunci penandatanganan.", 400)
        key = await run_in_threadpool(unlock, secret)
        del secret
        if isinstance(key, str):
            await run_in_threadpool(office.audit, "sign_failed", user.username, None,
                                    reason="key_unlock", applications=len(ids))
            return await again(key if key == KEY_LOCKED else _sentence(key) + NOTHING_SIGNED,
                               400)
        job = await run_in_threadpool(lambda: office.jobs.start_sign(
            ids, key, user.username, whole_stage=every))
        if job is None:
            message = await run_in_threadpool(changed_message, ids, Stage.KADIS, every,
                                              "ditandatangani")
            return await again(message.replace("draf", "keputusan"), 409)
        # BSrE checks a passphrase only by signing: its first answer says whether it was right
        refused = await run_in_threadpool(office.jobs.first_answer, job, key)
        if refused is not None:
            await run_in_threadpool(office.audit, "sign_failed", user.username, None,
                                    reason="key_unlock", applications=len(ids))
            return await again(_sentence(f"Layanan tanda tangan menolak: {refused}")
                               + NOTHING_SIGNED, 400)
        return _see_other(f"/pekerjaan/{job}")

    @r.post("/keputusan/{app_id}/cabut")
    async def revoke(request: Request, app_id: str, user: Kadis) -> Response:
        """Withdraw, cancel or revoke an issued decree (Pasal 10), citing the decree that
        orders it; the registry records the change with the Kepala Dinas as actor."""
        from ..registry import RegistryError, Status

        form = await request.form()
        kind = str(form.get("jenis") or "")
        reason = str(form.get("alasan") or "").strip()[:1000]
        decree = str(form.get("dasar") or "").strip()[:300]
        if kind not in REVOKE_KINDS or not reason or not decree:
            raise OfficeRefusal(400, "Pilih jenis tindakan dan isi alasan serta nomor keputusan "
                                     "yang menjadi dasarnya.")
        row, rec = await run_in_threadpool(signed_row, app_id)
        try:
            await run_in_threadpool(lambda: office.registry.revoke(
                rec.number, kind=Status(kind), reason=reason, decree=decree,
                actor=user.username))
        except RegistryError as e:
            raise OfficeRefusal(409, f"Tidak dapat diubah: {e}") from e
        await run_in_threadpool(lambda: store().move(
            [app_id], from_stages=(Stage.SIGNED, Stage.HANDED_OVER), to=Stage.REVOKED,
            role=user.role, note=reason, note_by=user.username))
        return _see_other(f"/draf/{app_id}")

    # -- status board -----------------------------------------------------------------------
    @r.get("/status")
    async def board(request: Request, user: Everyone) -> Response:
        q = request.query_params
        permit = q.get("izin") or None

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(q.get(name, "")) if q.get(name) else None
            except ValueError:
                return None

        start, end = day("dari"), day("sampai")
        apps = await run_in_threadpool(lambda: store().applications(
            permit=permit, received_from=start, received_to=end))
        tz = getattr(getattr(office.registry, "numbering", None), "timezone", "Asia/Makassar")
        rows = board_rows(apps, office.catalog, timezone=tz)
        if q.get("terlambat"):
            rows = [x for x in rows if x.overdue]
        permits = sorted({(s.code, s.name) for s in office.catalog.with_templates})
        return office.render(request, "board.html", {
            "rows": rows, "permits": permits, "permit": permit or "",
            "start": start.isoformat() if start else "", "end": end.isoformat() if end else "",
            "late_only": bool(q.get("terlambat")),
            "overdue": sum(1 for x in rows if x.overdue),
            "unsent_mail": await run_in_threadpool(OutboxStore(store().engine).unsent)})

    # -- hand-over --------------------------------------------------------------------------
    @r.get("/serah")
    async def handover_list(request: Request,
                            user: Backoffice) -> Response:
        apps = await run_in_threadpool(lambda: store().applications(
            stages=(Stage.SIGNED, Stage.HANDED_OVER)))
        return office.render(request, "handover_list.html", {"apps": apps})

    def signed_row(app_id: str) -> tuple[AppRow, Any]:
        row = app_or_404(app_id)
        if row.stage not in SIGNED or not row.number:
            raise OfficeRefusal(409, "Keputusan ini belum ditandatangani.")
        rec = office.registry.get(row.number)
        if rec is None:
            raise OfficeRefusal(404, "Keputusan tidak ada di register.")
        return row, rec

    @r.get("/serah/{app_id}")
    async def handover_page(request: Request, app_id: str,
                            user: Backoffice) -> Response:
        row, rec = await run_in_threadpool(signed_row, app_id)
        return office.render(request, "handover.html", {
            "a": row, "rec": rec, "link": office.profile.verify_url(rec.token)})

    @r.get("/serah/{app_id}/unduh")
    async def handover_download(request: Request, app_id: str,
                                user: Backoffice) -> Response:
        row, rec = await run_in_threadpool(signed_row, app_id)
        path = Path(rec.path or "")
        if not path.is_file():
            raise OfficeRefusal(404, "Berkas keputusan tidak ditemukan.")
        await run_in_threadpool(office.audit, "download", user.username, rec.number,
                                application_id=app_id)
        return FileResponse(path, media_type="application/pdf",
                            filename=safe_filename(rec.number))

    @r.post("/serah/{app_id}")
    async def handover_done(request: Request, app_id: str,
                            user: Backoffice) -> Response:
        row, rec = await run_in_threadpool(signed_row, app_id)
        moved = await run_in_threadpool(lambda: store().move(
            [app_id], from_stages=(Stage.SIGNED,), to=Stage.HANDED_OVER, role=user.role))
        if moved:
            await run_in_threadpool(office.audit, "handover", user.username, rec.number,
                                    application_id=app_id)
        return _see_other("/serah")
    return r
