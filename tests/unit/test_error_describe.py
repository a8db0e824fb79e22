"""What people read about an error in a report or on a page never names a Python type."""

import logging
import re
from pathlib import Path

from generator.errors import RenderError
from ptsp.errors import PipelineError, describe

ROOT = Path(__file__).resolve().parents[2]


def test_our_errors_are_their_message():
    assert describe(RenderError("templat rusak")) == "templat rusak"
    assert describe(PipelineError("tidak dapat berjalan")) == "tidak dapat berjalan"


def test_a_foreign_error_is_unexpected_and_logged_with_its_type(caplog):
    with caplog.at_level(logging.WARNING, logger="ptsp"):
        text = describe(KeyError("x"))
        empty = describe(RuntimeError())
    assert "KeyError" not in text and text == "unexpected error: 'x'"
    assert empty == "unexpected error (details in the log)"
    assert "KeyError" in caplog.text


def test_no_report_or_page_formats_a_type_name():
    """The outcome errors (reports), the cluster's results and the office and web pages."""
    pattern = re.compile(r"type\((e|exc)\)\.__name__")
    places = [ROOT / "ptsp" / p for p in ("pipeline.py", "drafts.py", "cluster", "office",
                                           "web", "verify", "applicant")]
    hits = []
    for place in places:
        for f in [place] if place.is_file() else sorted(place.rglob("*.py")):
            hits += [f"{f}:{i}" for i, line in enumerate(f.read_text().splitlines(), 1)
                     if pattern.search(line)]
    assert hits == []
