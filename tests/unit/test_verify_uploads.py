"""In-memory multipart parsing and the checks on uploads (ptsp.web.uploads)."""

from __future__ import annotations

import pytest

from ptsp.web.uploads import UploadError, _parse_multipart


def body(parts: list[tuple[str, str | None, bytes]], boundary: str = "XyZ") -> bytes:
    out = b""
    for name, filename, data in parts:
        fn = f'; filename="{filename}"' if filename else ""
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{fn}\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def test_parses_file_and_fields():
    parts = _parse_multipart(body([("file", "a.pdf", b"%PDF-1.7\r\n\x00\xff"),
                                   ("note", None, b"x")]),
                             "multipart/form-data; boundary=XyZ")
    assert parts["file"] == (b"%PDF-1.7\r\n\x00\xff", "a.pdf")
    assert parts["note"] == (b"x", None)


def test_missing_boundary_and_garbage():
    with pytest.raises(UploadError) as e:
        _parse_multipart(b"abc", "multipart/form-data")
    assert e.value.status == 400
    with pytest.raises(UploadError) as e:
        _parse_multipart(b"garbage without boundary", "multipart/form-data; boundary=XyZ")
    assert e.value.code == "bad_request"


def test_too_many_parts():
    with pytest.raises(UploadError):
        _parse_multipart(body([(f"f{i}", None, b"x") for i in range(20)]),
                         "multipart/form-data; boundary=XyZ")
