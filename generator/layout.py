"""Where things landed on the converted PDF's pages.

The signature field must sit over the printed signature block. The block's one image is the
verification QR code, the only square image of the decree, so its box is where we put the field.

:func:`qr_box_in` works on any PDF reader that gives a page's decoded content and the names of
its image XObjects (the signer passes the pages it has parsed anyway, so the PDF is not read
twice); :func:`find_qr_box` reads the PDF itself with pypdf.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Container
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
# The four operators that place images, as whole words (not inside a name such as /Fq1);
# their operands are the words just before them.
_OPS = re.compile(rb"(?<![^\s\]\[)(>}{])(q|Q|cm|Do)(?![^\s\]\[(<{/%])")
_TOKENS = re.compile(rb"/?[^\s/\[\]()<>{}%]+")


def _operands(data: bytes, end: int, n: int) -> list[bytes]:
    """The last ``n`` tokens before ``end`` (an operator's operands)."""
    return _TOKENS.findall(data, max(0, end - 160), end)[-n:]


Box = tuple[float, float, float, float]


def image_boxes(content: bytes, images: Container[str]) -> list[Box]:
    """Boxes of the images a page's decoded content stream draws, from the q/Q/cm/Do
    operators alone (strings removed first). ``images`` holds the names (without the slash)
    of the page's image XObjects. Exact for the operators that place images; text operators
    (most of a decree's content) are skipped instead of being tokenised one by one."""
    data = _STRINGS.sub(b"()", content)
    ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    stack: list[list[float]] = []
    found = []
    for m in _OPS.finditer(data):
        op = m.group(1)
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif op == b"cm":
            operands = _operands(data, m.start(), 6)
            try:
                ctm = _mul([float(x) for x in operands], ctm) if len(operands) == 6 else ctm
            except ValueError:  # not numbers: not a well-formed cm, ignore it
                pass
        else:
            operands = _operands(data, m.start(), 1)
            if operands and operands[0][:1] == b"/" and \
                    operands[0][1:].decode("latin-1") in images:
                found.append(_unit_square(ctm))
    return found


def qr_box_in(page_count: int, page: Callable[[int], tuple[bytes, Container[str]]]) -> ImageBox:
    """The box of the lowest square image on the last page that has one (the QR code in the
    signature block). ``page(i)`` gives page i's decoded content and its image names, as
    for :func:`image_boxes`; pages are asked for from the last one back."""
    for index in range(page_count - 1, -1, -1):
        squares = _squares(image_boxes(*page(index)))
        if squares:
            return ImageBox(index, min(squares, key=lambda b: b[1]))
    raise ConversionError("the converted PDF has no QR code in its signature block")


def _pypdf_page(reader: PdfReader, index: int) -> tuple[bytes, set[str]]:
    page = reader.pages[index]
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    xobjects = xobjects.get_object() if xobjects is not None else {}
    contents = page.get_contents()
    if contents is None or not xobjects:
        return b"", set()
    names = {str(name)[1:] for name, xo in xobjects.items()
             if xo.get_object().get("/Subtype") == "/Image"}
    return contents.get_data(), names


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


def _squares(boxes: list[Box]) -> list[Box]:
    return [b for b in boxes if b[2] - b[0] > 20 and abs((b[2] - b[0]) - (b[3] - b[1])) < 1.0]


def find_qr_box(pdf: bytes, *, exact: bool = False) -> ImageBox:
    """:func:`qr_box_in` for a PDF read here with pypdf. ``exact`` interprets the content
    streams with pypdf's full parser (the default reads only the operators that place images;
    both agree, a test checks it)."""
    # Strict first: LibreOffice writes a clean file, and pypdf's lenient mode seeks to every
    # object to double-check the cross-reference table (two thirds of the time taken here).
    for strict in (True, False):
        try:
            reader = PdfReader(io.BytesIO(pdf), strict=strict)
            if exact:
                for index in range(len(reader.pages) - 1, -1, -1):
                    squares = _squares(_images_on(reader, index))
                    if squares:
                        return ImageBox(index, min(squares, key=lambda b: b[1]))
                break
            return qr_box_in(len(reader.pages), functools.partial(_pypdf_page, reader))
        except ConversionError:
            raise
        except Exception as e:  # pypdf raises many types on odd input
            if not strict:
                raise ConversionError(f"cannot read the converted PDF: {e}") from e
    raise ConversionError("the converted PDF has no QR code in its signature block")
