"""A local BSrE-shaped eSign service for tests and ``make demo KEYS=bsre`` (DEMO ONLY).

Same paths, fields and error shapes as the public clients of BSrE's API show:

- ``POST /api/v2/sign/pdf``  JSON ``{nik|email, passphrase|totp, signatureProperties:[...],
  file:[base64...]}`` -> ``{file:[base64...]}``
- ``GET|POST /api/v2/user/check/status``  ``{nik|email}`` -> ``{status_code, status, message}``
  (HTTP 200 also for an unknown signer: ``status`` NOT_REGISTERED, code 2011)
- ``POST /api/sign/pdf``  (v1) multipart ``file, nik, passphrase, page, xAxis, ...`` -> PDF
- errors ``{status_code, error}`` with HTTP 400 (2011 signer not registered, 2031 wrong
  passphrase, ...); HTTP 401 without the right client credentials (HTTP Basic).

Which codes are sourced and which are placeholders: see ``signer/bsre.py`` (BSRE_MESSAGES).
It signs with pyHanko (an approval signature with a signature timestamp, B-T, no long-term
data, as BSrE returns) using the key and certificate of a PKCS#12 file of the demo PKI
(the Kepala Dinas's certificate from the DEMO "BSrE-like" CA; signature timestamps from its
TSA), after
``--latency`` seconds per request. ``--hostile`` makes it misbehave: ``extra-object`` also
changes the page content in its update, ``other-signer`` signs with another certificate,
``truncated`` cuts the returned file short. ``GET /_stub/stats`` counts requests.

Usage: python scripts/bsre_stub.py --port P --p12 kepala-dinas.p12 --p12-passphrase-env VAR
       --tsa-url URL --user NIK:PASSPHRASE [--client-id ID --client-secret-env VAR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import os
import sys
import threading
from io import BytesIO
from typing import Any

from aiohttp import web

STATS = {"sign_requests": 0, "files": 0, "status_requests": 0, "v1_requests": 0}
_SIGN_LOCK = threading.Lock()


def _err(code: int, text: str, status: int = 400) -> web.Response:
    return web.json_response({"status_code": code, "error": text}, status=status)


class Stub:
    def __init__(self, args: argparse.Namespace) -> None:
        from pyhanko.sign import signers
        from pyhanko.sign.timestamps import HTTPTimeStamper

        self.args = args
        self.users = dict(u.split(":", 1) for u in args.user)
        p12_pass = os.environ.get(args.p12_passphrase_env, "").encode()
        self.signer = signers.SimpleSigner.load_pkcs12(args.p12, passphrase=p12_pass)
        self.other = (signers.SimpleSigner.load_pkcs12(args.other_p12, passphrase=p12_pass)
                      if args.other_p12 else None)
        if self.signer is None:
            sys.exit(f"cannot open {args.p12}")
        self.timestamper = HTTPTimeStamper(args.tsa_url) if args.tsa_url else None
        self.client = (args.client_id, os.environ.get(args.client_secret_env or "", ""))

    # -- HTTP ------------------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        if not self.client[0]:
            return True
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, pw = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (user, pw) == self.client

    def _who(self, body: dict[str, Any]) -> str:
        return str(body.get("nik") or body.get("email") or "")

    async def status(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401, text="Unauthorized")
        STATS["status_requests"] += 1
        body = await request.json() if request.can_read_body else dict(request.query)
        if self._who(body) not in self.users:  # as a public report saw it: HTTP 200
            return web.json_response({"status_code": 2011, "status": "NOT_REGISTERED",
                                      "message": "Pengguna tidak terdaftar"})
        # 1111: a placeholder code (no public source shows the code of an active account)
        return web.json_response({"status_code": 1111, "status": "ISSUE",
                                  "message": "Sertifikat aktif"})

    async def status_v1(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401, text="Unauthorized")
        if request.match_info["nik"] not in self.users:
            return _err(2011, "Pengguna tidak terdaftar")
        return web.json_response({"status_code": 1111, "status": "ISSUE"})

    def _check_secret(self, who: str, body: dict[str, Any]) -> web.Response | None:
        if who not in self.users:
            return _err(2011, "Pengguna tidak terdaftar")
        if body.get("totp"):
            if body["totp"] != self.users[who]:
                return _err(2032, "TOTP salah")
        elif body.get("passphrase") != self.users[who]:
            return _err(2031, "Passphrase anda salah")
        return None

    async def sign_v2(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401, text="Unauthorized")
        STATS["sign_requests"] += 1
        try:
            body = await request.json()
            files = [base64.b64decode(f, validate=True) for f in body["file"]]
            props = list(body.get("signatureProperties") or [])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return _err(2051, "Parameter tidak lengkap")
        refused = self._check_secret(self._who(body), body)
        if refused is not None:
            return refused
        if len(props) == 1 and len(files) > 1:
            props = props * len(files)
        if len(props) != len(files):
            return _err(2051, "Jumlah signatureProperties tidak sama dengan jumlah file")
        STATS["files"] += len(files)
        await asyncio.sleep(self.args.latency)
        try:
            out = await asyncio.get_running_loop().run_in_executor(
                None, lambda: [self._sign(f, p) for f, p in zip(files, props, strict=True)])
        except Exception as e:  # noqa: BLE001 - a stub: say it
            return _err(2041, f"Dokumen tidak dapat ditandatangani: {e}")
        return web.json_response({"file": [base64.b64encode(f).decode() for f in out]})

    async def sign_v1(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401, text="Unauthorized")
        STATS["v1_requests"] += 1
        form = await request.post()
        refused = self._check_secret(str(form.get("nik", "")), dict(form))
        if refused is not None:
            return refused
        upload: Any = form.get("file")
        if upload is None:
            return _err(2051, "Parameter tidak lengkap")
        data = upload.file.read()
        props = {"page": int(str(form.get("page", "1"))), "reason": form.get("reason"),
                 "location": form.get("location")}
        if form.get("xAxis"):
            props.update({"originX": float(str(form["xAxis"])),
                          "originY": float(str(form["yAxis"])),
                          "width": float(str(form["width"])),
                          "height": float(str(form["height"]))})
        await asyncio.sleep(self.args.latency)
        out = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self._sign(data, props))
        return web.Response(body=out, content_type="application/pdf",
                            headers={"id_dokumen": f"stub-{STATS['v1_requests']}"})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(STATS)

    # -- signing ---------------------------------------------------------------------------

    def _sign(self, pdf: bytes, props: dict[str, Any]) -> bytes:
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko.stamp import NoOpStampStyle

        hostile = self.args.hostile
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        if hostile == "extra-object":  # a "small fix" to the page in the same update
            page_ref, _ = writer.find_page_for_modification(0)
            page = page_ref.get_object()
            content = generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 400 Td (DIUBAH) Tj ET")
            page["/Contents"] = writer.add_object(content)
            writer.update_container(page)
        field_spec = None
        if "originX" in props:
            x, y = float(props["originX"]), float(props["originY"])
            w, h = float(props["width"]), float(props["height"])
            field_spec = fields.SigFieldSpec("BSrE-Signature", on_page=int(props["page"]) - 1,
                                             box=(x, y, x + w, y + h))  # type: ignore[arg-type]
        meta = signers.PdfSignatureMetadata(
            field_name="BSrE-Signature", md_algorithm="sha256",
            reason=props.get("reason") or None, location=props.get("location") or None,
            subfilter=fields.SigSeedSubFilter.PADES)
        signer = self.other if hostile == "other-signer" and self.other else self.signer
        with _SIGN_LOCK:
            out = signers.PdfSigner(meta, signer, timestamper=self.timestamper,
                                    stamp_style=NoOpStampStyle(),
                                    new_field_spec=field_spec).sign_pdf(writer).getvalue()
        if hostile == "truncated":
            out = out[: len(pdf) + (len(out) - len(pdf)) // 2]
        return bytes(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--p12", required=True, help="PKCS#12 of the certificate it signs with")
    ap.add_argument("--other-p12", help="for --hostile other-signer")
    ap.add_argument("--p12-passphrase-env", default="BSRE_STUB_P12_PASSPHRASE")
    ap.add_argument("--tsa-url", help="signature timestamp server (B-T)")
    ap.add_argument("--user", action="append", default=[], metavar="NIK:PASSPHRASE")
    ap.add_argument("--client-id", default="")
    ap.add_argument("--client-secret-env", default="BSRE_STUB_CLIENT_SECRET")
    ap.add_argument("--latency", type=float, default=1.0, help="seconds per sign request")
    ap.add_argument("--hostile", choices=("extra-object", "other-signer", "truncated"))
    args = ap.parse_args()
    stub = Stub(args)
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.add_routes([
        web.post("/api/v2/sign/pdf", stub.sign_v2),
        web.post("/api/v2/user/check/status", stub.status),
        web.get("/api/v2/user/check/status", stub.status),
        web.post("/api/sign/pdf", stub.sign_v1),
        web.get("/api/user/status/{nik}", stub.status_v1),
        web.get("/_stub/stats", stub.stats),
    ])
    print(f"BSrE stub (DEMO) on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
