"""The office's workflow table (ptsp.office.stages) and the store's use of it."""

from __future__ import annotations

from collections import deque

import pytest

from ptsp.errors import PtspError
from ptsp.office.errors import OfficeError, StageError
from ptsp.office.roles import ADMIN, BACKOFFICE, KABID, KADIS, KASI, SYSTEM
from ptsp.office.stages import (
    ACTORS,
    LABELS,
    REPLACEABLE,
    START,
    TRANSITIONS,
    Stage,
    check,
)
from ptsp.office.store import OfficeStore


def test_every_stage_is_reachable_from_the_start_and_labelled():
    seen, todo = {START}, deque([START])
    while todo:
        here = todo.popleft()
        for (src, dst) in TRANSITIONS:
            if src is here and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    assert seen == set(Stage)
    assert set(LABELS) == set(Stage) and set(ACTORS) == set(Stage)
    assert all(LABELS.values())


def test_every_transition_names_its_roles_and_only_they_pass():
    everyone = {BACKOFFICE, KASI, KABID, KADIS, ADMIN, SYSTEM}
    for (src, dst), roles in TRANSITIONS.items():
        assert roles and roles <= everyone, (src, dst)
        for role in roles:
            check(src, dst, role)  # allowed
        for role in everyone - roles:
            with pytest.raises(StageError):
                check(src, dst, role)
    # the SOP's main line and who walks it
    assert TRANSITIONS[(Stage.KASI, Stage.KABID)] == {KASI}
    assert TRANSITIONS[(Stage.KABID, Stage.KADIS)] == {KABID}
    assert TRANSITIONS[(Stage.KADIS, Stage.SIGNING)] == {KADIS}
    assert TRANSITIONS[(Stage.SIGNING, Stage.SIGNED)] == {SYSTEM}
    assert REPLACEABLE == {Stage.UPLOADED, Stage.FAILED, Stage.RETURNED, Stage.VOIDED}
    assert ADMIN not in set().union(*TRANSITIONS.values())


def test_a_forbidden_transition_is_refused():
    with pytest.raises(StageError, match="cannot move from stage uploaded to signed"):
        check("uploaded", "signed", SYSTEM)
    with pytest.raises(StageError, match="role kasi may not"):
        check("kabid", "kadis", KASI)
    with pytest.raises(StageError, match="unknown workflow stage"):
        check("kasi", "nowhere", KASI)
    assert issubclass(StageError, OfficeError) and issubclass(OfficeError, PtspError)


def test_stage_values_are_the_stored_strings():
    assert Stage.HANDED_OVER == "handed_over" and f"{Stage.KASI}" == "kasi"
    assert Stage("signing") is Stage.SIGNING


@pytest.fixture
def store(tmp_path):
    from ptsp.registry import open_registry

    reg = open_registry(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        yield OfficeStore(reg.engine)
    finally:
        reg.close()


def test_the_store_refuses_a_change_not_in_the_table(store):
    summary = {"permit": "ITAK", "holder_name": "Uji", "received_on": None,
               "approved_on": None, "application_id": "A-1"}
    store.add_upload(filename="a.csv", sha256="0" * 64, uploaded_by="bo1", total=1,
                     records=[(2, {}, summary)], errors=[])
    with pytest.raises(StageError):
        store.move(["A-1"], from_stages=("uploaded",), to="kabid", role=KASI)
    with pytest.raises(StageError):
        store.move_exactly(["A-1"], from_stage="uploaded", to="generating", role=KASI)
    with pytest.raises(StageError):
        store.update_application("A-1", role=SYSTEM, stage="signed")
    with pytest.raises(StageError):  # a change of stage must say who makes it
        store.update_application("A-1", stage="generating")
    assert store.application("A-1").stage is Stage.UPLOADED
    assert store.move(["A-1"], from_stages=("uploaded",), to="generating",
                      role=BACKOFFICE) == ["A-1"]
    store.update_application("A-1", role=SYSTEM, stage="kasi")
    assert store.application("A-1").stage is Stage.KASI
