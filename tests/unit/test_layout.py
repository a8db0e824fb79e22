"""Finding the QR code's box in a page's content stream (generator.layout), on hand-written
content: the operators that place images are read; strings, names and text are not."""

from __future__ import annotations

import pytest

from generator.errors import ConversionError
from generator.layout import ImageBox, image_boxes, qr_box_in


def test_an_image_is_placed_by_the_current_matrix():
    content = b"q 100 0 0 100 50 60 cm /Im1 Do Q"
    assert image_boxes(content, {"Im1"}) == [(50.0, 60.0, 150.0, 160.0)]


def test_nested_matrices_multiply_and_q_restores():
    content = (b"q 1 0 0 1 10 20 cm\nq 2 0 0 2 0 0 cm 30 0 0 30 0 0 cm /Im1 Do Q\n"
               b"40 0 0 40 0 0 cm /Im2 Do\nQ\n")
    assert image_boxes(content, {"Im1", "Im2"}) == [
        (10.0, 20.0, 70.0, 80.0),  # 30 pt scaled by 2, moved by (10, 20)
        (10.0, 20.0, 50.0, 60.0),  # after Q: only the outer translation
    ]


def test_strings_names_and_other_xobjects_are_not_operators():
    content = (
        b"BT /Fq1 12 Tf (q 9 0 0 9 1 1 cm /Im1 Do) Tj <71> Tj ET\n"  # a string, a hex 'q'
        b"q 10 0 0 10 5 5 cm /Fm1 Do Q\n"  # a form XObject, not an image
        b"q [1 2] 0 d 20 0 0 20 7 8 cm/Im1 Do Q"  # operators next to delimiters
    )
    assert image_boxes(content, {"Im1"}) == [(7.0, 8.0, 27.0, 28.0)]


def test_malformed_matrix_is_ignored_not_fatal():
    assert image_boxes(b"q 1 0 cm 10 0 0 10 0 0 cm /Im1 Do Q", {"Im1"}) == [
        (0.0, 0.0, 10.0, 10.0)]
    assert image_boxes(b"q x y z 1 2 3 cm /Im1 Do Q", {"Im1"}) == [(0.0, 0.0, 1.0, 1.0)]


def test_qr_box_is_the_lowest_square_on_the_last_page_that_has_one():
    pages = {
        0: (b"q 80 0 0 80 100 100 cm /Im1 Do Q", {"Im1"}),  # a square, but not the last page
        1: (b"q 60 0 0 60 300 500 cm /Im2 Do Q q 60 0 0 60 300 200 cm /Im2 Do Q"
            b" q 200 0 0 50 10 10 cm /Im3 Do Q", {"Im2", "Im3"}),  # Im3 is not square
        2: (b"BT (no images here) Tj ET", set()),
    }
    asked = []

    def page(i):
        asked.append(i)
        return pages[i]

    assert qr_box_in(3, page) == ImageBox(1, (300.0, 200.0, 360.0, 260.0))
    assert asked == [2, 1]  # from the last page back, and no further than needed


def test_no_square_image_is_a_conversion_error():
    with pytest.raises(ConversionError, match="no QR code"):
        qr_box_in(1, lambda i: (b"q 200 0 0 50 10 10 cm /Im1 Do Q", {"Im1"}))
