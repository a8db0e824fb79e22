"""Uploads read into memory with a size limit, never written to disk.

Starlette's own form parser spools parts larger than 1 MB to a temporary file; an uploaded decree
must not touch the disk, so the body is read here (with a hard cap) and the multipart form parsed
in memory with python-multipart's low-level parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

MAX_UPLOAD = 10 * 1024 * 1024
"""Largest PDF accepted (10 MB); a decree is about 160 kB."""
_MULTIPART_OVERHEAD = 64 * 1024
_MAX_PARTS = 8


class UploadError(Exception):
    """Bad upload: ``status`` is the HTTP status, ``code`` for programs, ``message`` Indonesian."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def too_large() -> UploadError:
    return UploadError(413, "file_too_large",
                       f"Berkas terlalu besar. Ukuran maksimum {MAX_UPLOAD // (1024 * 1024)} MB.")


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large()
        except ValueError:
            raise UploadError(400, "bad_request", "Permintaan tidak sah.") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[bytes, str | None]]:
    """``{field name: (value, filename)}`` of a multipart/form-data body, in memory."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise UploadError(400, "bad_request", "Formulir unggahan tidak sah (batas multipart "
                                              "tidak ada).")
    parts: dict[str, tuple[bytes, str | None]] = {}
    state: dict[str, object] = {"headers": {}, "field": b"", "value": b"", "data": []}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["data"] = []
        if len(parts) >= _MAX_PARTS:
            raise UploadError(400, "bad_request", "Formulir memuat terlalu banyak bagian.")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] = bytes(state["field"]) + data[start:end]  # type: ignore[arg-type]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] = bytes(state["value"]) + data[start:end]  # type: ignore[arg-type]

    def on_header_end() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        headers[bytes(state["field"]).lower()] = bytes(state["value"])  # type: ignore[arg-type]
        state["field"] = state["value"] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunks = state["data"]
        assert isinstance(chunks, list)
        chunks.append(data[start:end])

    def on_part_end() -> None:
        headers = state["headers"]
        chunks = state["data"]
        assert isinstance(headers, dict) and isinstance(chunks, list)
        disposition = headers.get(b"content-disposition", b"")
        _, opts = parse_options_header(disposition)
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if name and name not in parts:
            parts[name] = (b"".join(chunks),
                           filename.decode("utf-8", "replace") if filename is not None else None)

    parser = MultipartParser(boundary, {  # type: ignore[arg-type]
        "on_part_begin": on_part_begin, "on_part_data": on_part_data,
        "on_part_end": on_part_end, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
    })
    try:
        parser.write(body)
        parser.finalize()
    except UploadError:
        raise
    except Exception as e:  # noqa: BLE001 - any parser complaint is a bad request
        raise UploadError(400, "bad_request", "Formulir unggahan tidak sah atau rusak.") from e
    return parts


async def read_pdf_upload(request: Request, field: str = "file") -> Upload:
    """The uploaded PDF of ``request`` (multipart field ``field``, or a raw application/pdf
    body), checked: present, not empty, at most :data:`MAX_UPLOAD`, starting with ``%PDF-``."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        body = await read_body(request, MAX_UPLOAD + _MULTIPART_OVERHEAD)
        parts = _parse_multipart(body, content_type)
        if field not in parts:
            raise UploadError(400, "missing_file", "Pilih berkas PDF keputusan yang akan "
                                                   "diperiksa (kolom 'file').")
        data, filename = parts[field]
    elif media == "application/pdf":
        data, filename = await read_body(request, MAX_UPLOAD), None
    else:
        raise UploadError(415, "unsupported_media_type", "Kirim berkas PDF sebagai formulir "
                                                         "multipart (kolom 'file').")
    if len(data) > MAX_UPLOAD:
        raise too_large()
    if not data:
        raise UploadError(400, "empty_file", "Berkas yang diunggah kosong.")
    if not data.startswith(b"%PDF-"):
        raise UploadError(415, "not_a_pdf", "Berkas yang diunggah bukan dokumen PDF.")
    return Upload(data=data, filename=filename)
