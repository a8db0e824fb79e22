"""The batch keeps the cycle collector off the objects that outlive it, and gives them back."""

from __future__ import annotations

import gc

from generator.applications import RecordRef, validate_record
from generator.catalog import load_catalog
from ptsp.pipeline import Pipeline
from ptsp.profile import load_profile
from ptsp.registry import open_registry
from ptsp.samples import sample_application
from tests.office_support import FakeConverter


def test_long_lived_objects_are_frozen_during_a_batch_only(tmp_path):
    profile, catalog = load_profile(), load_catalog()
    service = catalog.get("SIPB")
    apps = [validate_record(sample_application(service, i), RecordRef("t", i), catalog)
            for i in range(1, 4)]
    registry = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    frozen_while_running: list[int] = []
    pipeline = Pipeline(
        profile=profile, catalog=catalog, registry=registry, converter=FakeConverter(),
        signer=None, out_dir=tmp_path / "out", actor="test",
        on_progress=lambda done, total: frozen_while_running.append(gc.get_freeze_count()))
    assert gc.get_freeze_count() == 0
    try:
        report = pipeline.run(apps, source="t")
    finally:
        registry.close()
    assert report.count("drafted") == 3
    assert len(frozen_while_running) == 3 and min(frozen_while_running) > 10_000
    assert gc.get_freeze_count() == 0  # unfrozen after the batch, so nothing leaks past it
