"""Where things landed on the converted PDF's pages.

The signature field must sit over the printed signature block. The block's one image is the
verification QR code, the only square image of the decree, so its box is where we put the field.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ContentStream

from .errors import ConversionError


@dataclass(frozen=True)
class ImageBox:
    page: int  # 0-based
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points


def _mul(a: list[float], b: list[float]) -> list[float]:
    return [
        a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5],
    ]


_STRINGS = re.compile(rb"<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)")
_OPS = re.compile(rb"(?<![\w/])(q|Q)(?!\w)"
                  rb"|((?:-?[\d.]+\s+){6})cm(?!\w)"
                  rb"|/([^\s/\[\]()<>{}]+)\s+Do(?!\w)")


def _images_fast(reader: PdfReader, index: int) -> list[tuple[float, float, float, float]]:
    """Image boxes from the q/Q/cm/Do operators alone, strings removed first. Exact for the
    operators that place images; text operators (most of a decree's content) are skipped
    instead of being tokenised one by one."""
    page = reader.pages[index]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    xobjects = xobjects.get_object() if xobjects is not None else {}
    contents = page.get_contents()
    if contents is None or not xobjects:
        return []
    data = _STRINGS.sub(b"()", contents.get_data())
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    found = []
    for m in _OPS.finditer(data):
        if m.group(1) == b"q":
            stack.append(ctm)
        elif m.group(1) == b"Q":
            ctm = stack.pop() if stack else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif m.group(2) is not None:
            ctm = _mul([float(x) for x in m.group(2).split()], ctm)
        else:
            xo = xobjects.get("/" + m.group(3).decode("latin-1"))
            xo = xo.get_object() if xo is not None else None
            if xo is None or xo.get("/Subtype") != "/Image":
                continue
            found.append(_unit_square(ctm))
    return found


def _images_on(reader: PdfReader, index: int) -> list[tuple[float, float, float, float]]:
    page = reader.pages[index]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    xobjects = xobjects.get_object() if xobjects is not None else {}
    contents = page.get_contents()
    if contents is None:
        return []
    ops = ContentStream(contents, reader).operations
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    found = []
    for operands, op in ops:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif op == b"cm":
            ctm = _mul([float(x) for x in operands], ctm)
        elif op == b"Do":
            xo = xobjects.get(operands[0]) if xobjects else None
            xo = xo.get_object() if xo is not None else None
            if xo is None or xo.get("/Subtype") != "/Image":
                continue
            found.append(_unit_square(ctm))
    return found


def _unit_square(ctm: list[float]) -> tuple[float, float, float, float]:
    """Where the CTM puts an image (drawn in the unit square): its bounding box."""
    xs = [ctm[4], ctm[4] + ctm[0], ctm[4] + ctm[2], ctm[4] + ctm[0] + ctm[2]]
    ys = [ctm[5], ctm[5] + ctm[1], ctm[5] + ctm[3], ctm[5] + ctm[1] + ctm[3]]
    return min(xs), min(ys), max(xs), max(ys)


def _squares(boxes: list[tuple[float, float, float, float]]) -> list[tuple[float, ...]]:
    return [b for b in boxes if b[2] - b[0] > 20 and abs((b[2] - b[0]) - (b[3] - b[1])) < 1.0]


def find_qr_box(pdf: bytes, *, exact: bool = False) -> ImageBox:
    """The box of the lowest square image on the last page that has one (the QR code in the
    signature block). ``exact`` interprets the content streams with pypdf's full parser (the
    default reads only the operators that place images; both agree, a test checks it)."""
    images = _images_on if exact else _images_fast
    # Strict first: LibreOffice writes a clean file, and pypdf's lenient mode seeks to every
    # object to double-check the cross-reference table (two thirds of the time taken here).
    for strict in (True, False):
        try:
            reader = PdfReader(io.BytesIO(pdf), strict=strict)
            for index in range(len(reader.pages) - 1, -1, -1):
                squares = _squares(images(reader, index))
                if squares:
                    lowest = min(squares, key=lambda b: b[1])
                    return ImageBox(index, tuple(lowest))  # type: ignore[arg-type]
            break
        except Exception as e:  # pypdf raises many types on odd input
            if not strict:
                raise ConversionError(f"cannot read the converted PDF: {e}") from e
    raise ConversionError("the converted PDF has no QR code in its signature block")
