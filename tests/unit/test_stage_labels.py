"""One source for what people read of a workflow stage: ``ptsp.office.stages``.

The office's status board and the applicant's tracking view (``/lacak``, ``ptsp track``) take
their words from there; every stage has exactly one office label and one applicant label.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from generator.catalog import load_catalog
from ptsp.applicant import track as track_module
from ptsp.applicant.track import Receipt, build_tracking
from ptsp.office.board import board_rows
from ptsp.office.stages import ACTORS, LABELS, PUBLIC_LABELS, PUBLIC_NOTES, Stage
from ptsp.office.store import AppRow

NOW = datetime(2026, 12, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _app(stage: Stage, permit: str) -> AppRow:
    return AppRow(
        application_id="APP-1", permit=permit, holder_name="Siti", received_on=date(2026, 12, 1),
        approved_on=None, raw={"applicant": {"nik": "6311010101010001"}}, source_file="a.csv",
        source_row=2, upload_id=1, stage=stage, stage_since=NOW, number=None, draft_path=None,
        signed_path=None, note=None, note_by=None, last_error=None, kasi_by=None, kabid_by=None,
        signed_by=None, signed_at=NOW if stage in (Stage.SIGNED, Stage.HANDED_OVER) else None,
        created_at=NOW)


def test_every_stage_has_exactly_one_office_and_one_applicant_label():
    for table in (LABELS, PUBLIC_LABELS, ACTORS):
        assert list(table) == list(Stage)  # each stage once, in SOP order, nothing else
        assert all(isinstance(v, str) and v.strip() for v in table.values())
    assert set(PUBLIC_NOTES) <= set(Stage)
    # the applicant side keeps no stage words of its own any more
    for name in ("APPLICANT_LABELS", "STATUS_WORDS"):
        assert not hasattr(track_module, name)
    assert set(track_module.STAGE_STEP) <= set(Stage)


@pytest.mark.parametrize("stage", list(Stage))
def test_board_and_tracking_read_the_labels_of_stages(stage: Stage, catalog):
    permit = catalog.services[0].code
    app = _app(stage, permit)
    receipt = Receipt(receipt="TT-00000-00000", application_id=app.application_id,
                      nik_last4="0001", survey_token="t", created_at=NOW)
    t = build_tracking(receipt=receipt, app=app, record=None, catalog=catalog,
                       verify_url=lambda token: f"https://x/{token}", today=date(2026, 12, 3))
    assert t.stage == stage
    assert t.status_label == PUBLIC_LABELS[stage]
    assert t.note == PUBLIC_NOTES.get(stage, "")
    rows = board_rows([app], catalog, today=date(2026, 12, 3))
    if stage is Stage.VOIDED:  # the board leaves voided applications out
        assert rows == []
    else:
        assert rows[0].step == LABELS[stage] and rows[0].actor == ACTORS[stage]


def test_applicant_wording_is_unchanged():
    """The move kept what the applicant reads, word for word."""
    assert PUBLIC_LABELS[Stage.FAILED] == PUBLIC_LABELS[Stage.RETURNED] == "Draf sedang diperbaiki"
    assert PUBLIC_LABELS[Stage.KADIS] == "Menunggu tanda tangan Kepala Dinas"
    assert PUBLIC_LABELS[Stage.SIGNED] == "Keputusan terbit, siap diserahkan"
    assert PUBLIC_NOTES[Stage.REVOKED] == "Keputusan telah dicabut atau dibatalkan (Pasal 10)."


def test_office_templates_name_stages_through_the_enum() -> None:
    """The office pages compare stages with `Stage.X` (or the stage sets), never with a quoted
    stage string that a renamed stage would silently stop matching."""
    import re
    from pathlib import Path

    import ptsp.office

    folder = Path(ptsp.office.__file__).parent / "templates"
    quoted = re.compile(r"stage\s*(==|!=|in|not in)\s*\(?\s*['\"]")
    found = [f"{p.name}: {m.group(0)}" for p in sorted(folder.glob("*.html"))
             for m in quoted.finditer(p.read_text(encoding="utf-8"))]
    assert not found, found
