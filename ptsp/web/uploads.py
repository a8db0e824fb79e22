"""Uploads read into memory with a size limit, never written to disk.

Starlette's own form parser spools parts larger than 1 MB to a temporary file; an uploaded decree
must not touch the disk, so the body is read here, chunk by chunk with the cap enforced while
reading (a missing or false Content-Length does not help), and the multipart form parsed as it
arrives with python-multipart's low-level parser, so only the file's bytes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ..errors import PtspError

MAX_UPLOAD = 10 * 1024 * 1024
"""Largest PDF accepted (10 MB); a decree is about 160 kB."""
_MULTIPART_OVERHEAD = 64 * 1024
_MAX_PARTS = 8


class UploadError(PtspError):
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


def _check_declared(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large()
        except ValueError:
            raise UploadError(400, "bad_request", "Permintaan tidak sah.") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes."""
    _check_declared(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


class _MultipartReader:
    """``{field name: (value, filename)}`` of a multipart/form-data body fed chunk by chunk, in
    memory: only the parts' contents are kept, never the raw body as well."""

    def __init__(self, content_type: str) -> None:
        from python_multipart.multipart import MultipartParser, parse_options_header

        self._options = parse_options_header
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary or len(boundary) > 200:
            raise UploadError(400, "bad_request", "Formulir unggahan tidak sah (batas multipart "
                                                  "tidak ada).")
        self.parts: dict[str, tuple[bytes, str | None]] = {}
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._data: list[bytes] = []
        self._size = 0
        self._parser = MultipartParser(boundary, {  # type: ignore[arg-type]
            "on_part_begin": self._part_begin, "on_part_data": self._part_data,
            "on_part_end": self._part_end, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
        })

    def _part_begin(self) -> None:
        self._headers, self._data, self._size = {}, [], 0
        if len(self.parts) >= _MAX_PARTS:
            raise UploadError(400, "bad_request", "Formulir memuat terlalu banyak bagian.")

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._size > MAX_UPLOAD:
            raise too_large()
        self._data.append(data[start:end])

    def _part_end(self) -> None:
        _, opts = self._options(self._headers.get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        filename = opts.get(b"filename")
        if name and name not in self.parts:
            self.parts[name] = (b"".join(self._data),
                                filename.decode("utf-8", "replace") if filename is not None
                                else None)
        self._data = []

    def write(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except UploadError:
            raise
        except Exception as e:  # noqa: BLE001 - any parser complaint is a bad request
            raise UploadError(400, "bad_request", "Formulir unggahan tidak sah atau rusak.") from e

    def finish(self) -> dict[str, tuple[bytes, str | None]]:
        try:
            self._parser.finalize()
        except Exception as e:  # noqa: BLE001
            raise UploadError(400, "bad_request", "Formulir unggahan tidak sah atau rusak.") from e
        return self.parts


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[bytes, str | None]]:
    """``{field name: (value, filename)}`` of a whole multipart/form-data body, in memory."""
    reader = _MultipartReader(content_type)
    reader.write(body)
    return reader.finish()


async def read_multipart(request: Request, limit: int) -> dict[str, tuple[bytes, str | None]]:
    """The multipart form of ``request``, parsed while it arrives; 413 as soon as the body
    passes ``limit`` bytes or a part passes :data:`MAX_UPLOAD` (chunked uploads too)."""
    _check_declared(request, limit)
    reader = _MultipartReader(request.headers.get("content-type", ""))
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        if chunk:
            reader.write(chunk)
    return reader.finish()


async def read_pdf_upload(request: Request, field: str = "file") -> Upload:
    """The uploaded PDF of ``request`` (multipart field ``field``, or a raw application/pdf
    body), checked: present, not empty, at most :data:`MAX_UPLOAD`, starting with ``%PDF-``."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        parts = await read_multipart(request, MAX_UPLOAD + _MULTIPART_OVERHEAD)
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
