"""The distributed mode's parts that need no broker or LibreOffice: settings, task identity,
the worker's template check, a clear error for an unreachable broker (issue 16)."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import date

import pytest

from generator.applications import RecordRef, validate_record
from generator.catalog import TEMPLATES_DIR, load_catalog
from generator.errors import ConversionError
from ptsp.cluster.errors import ClusterError, TemplateMismatch
from ptsp.cluster.jobs import catalog_digest, file_digest, make_job, office_key, task_id
from ptsp.cluster.settings import cluster_settings
from ptsp.cluster.stage import RemoteConversions, _safe
from ptsp.errors import ProfileError
from ptsp.profile import load_profile
from ptsp.samples import sample_application
from tests.ptsp_support import write_profile
from tests.signer_support import free_port


def test_profile_cluster_table_env_and_option(tmp_path, monkeypatch):
    monkeypatch.delenv("PTSP_BROKER", raising=False)
    path = write_profile(tmp_path, extra='\n[cluster]\nbroker = "redis://10.0.0.5:6379/0"\n'
                                          'visibility_timeout = 30\n')
    load_profile(path)  # the profile itself accepts the table
    s = cluster_settings(path)
    assert s.broker == "redis://10.0.0.5:6379/0" and s.visibility_timeout == 30.0
    monkeypatch.setenv("PTSP_BROKER", "amqp://u:p@h//")
    assert cluster_settings(path).broker == "amqp://u:p@h//"
    assert cluster_settings(path, broker="redis://x/1").broker == "redis://x/1"


def test_unknown_cluster_key_is_named(tmp_path):
    path = write_profile(tmp_path, extra='\n[cluster]\nbrokr = "redis://x"\n')
    with pytest.raises(ProfileError, match="brokr"):
        cluster_settings(path)


def test_no_broker_means_local_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("PTSP_BROKER", raising=False)
    assert cluster_settings(write_profile(tmp_path)).broker == ""


def test_task_id_is_the_number_within_the_office():
    key = office_key("DPMPTSP", "Kabupaten Balangan")
    assert key == "dpmptsp-kabupaten-balangan"
    n = "503/0007/SIPB/DPMPTSP-BLG/XII/2026"
    assert task_id(key, n) == task_id(key, n) == f"ptsp:{key}:{n}"
    assert task_id("dpmptsp-kabupaten-tabalong", n) != task_id(key, n)


def test_passwords_stay_out_of_messages():
    assert _safe("amqp://ptsp:s3cret@mq:5672//") == "amqp://ptsp:***@mq:5672//"
    assert "s3cret" not in _safe("redis://:s3cret@r:6379/0")


def _job(tdir=TEMPLATES_DIR):
    catalog = load_catalog()
    service = catalog.get("SIPB")
    app = validate_record(sample_application(service, 1), RecordRef("t", 1), catalog)
    from ptsp.cluster.jobs import OfficeBundle

    profile = load_profile()
    return make_job(office=OfficeBundle("x", profile.render_context(), None).as_json(),
                    catalog_sha256=catalog_digest(tdir),
                    template_sha256=file_digest(tdir / service.template), app=app,
                    number="503/0001/SIPB/X/XII/2026", verify_url="https://x/v/t",
                    issued_on=date(2026, 12, 3), replaces=None)


def test_a_worker_with_another_template_version_refuses(tmp_path):
    from ptsp.cluster import worker

    other = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, other, ignore=shutil.ignore_patterns("source"))
    with open(other / load_catalog().get("SIPB").template, "ab") as f:
        f.write(b"\0")
    worker.configure(worker.WorkerSettings(templates=(other,), workdir=tmp_path / "w"))
    with pytest.raises(TemplateMismatch, match="the task needs"):
        worker.produce(_job())
    result = worker.convert_task(_job())
    assert result["ok"] is False and "deploy the same templates" in result["error"]


def test_a_worker_without_the_catalog_refuses(tmp_path):
    from ptsp.cluster import worker

    other = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, other, ignore=shutil.ignore_patterns("source"))
    (other / "catalog.json").write_text((other / "catalog.json").read_text() + "\n")
    worker.configure(worker.WorkerSettings(templates=(other,), workdir=tmp_path / "w"))
    with pytest.raises(TemplateMismatch, match="has no catalog"):
        worker.produce(_job())


def test_an_unreachable_broker_is_a_clear_error():
    from ptsp.cluster.settings import ClusterSettings

    url = f"redis://127.0.0.1:{free_port()}/0"
    with RemoteConversions(ClusterSettings(broker=url)) as remote, \
            pytest.raises(ClusterError, match="cannot be reached"):
        remote.check()
    with pytest.raises(ClusterError, match="no broker"):
        RemoteConversions(ClusterSettings())


def test_one_worker_renders_for_each_office_with_its_own_letterhead(tmp_path):
    """Tasks carry their office: two offices' decrees from one worker each name their own
    office (the render side; the registry and key stay with each office's signer)."""
    from generator.render import docx_text
    from ptsp.cluster import worker
    from ptsp.cluster.jobs import OfficeBundle

    worker.configure(worker.WorkerSettings(workdir=tmp_path / "w"))
    texts = []
    for regency in ("Kabupaten Balangan", "Kabupaten Tabalong"):
        ctx = load_profile().render_context()
        ctx["office"] = {**ctx["office"], "regency": regency}
        job = _job()
        job["office"] = OfficeBundle(regency, ctx, None).as_json()
        tdir, catalog = worker._template_set(job)
        r = worker._renderer(job, tdir)
        app = validate_record(job["record"], RecordRef("t", 1), catalog)
        from generator.render import RenderInput

        texts.append(docx_text(r.render(catalog.get("SIPB"), app, RenderInput(
            job["number"], job["verify_url"], date(2026, 12, 3)))).upper())
    assert "TABALONG" not in texts[0] and "TABALONG" in texts[1]
    assert len(worker.STATE.renderers) == 2


def test_the_letterhead_travels_once_then_by_digest(tmp_path):
    """A worker that does not hold an office's letterhead asks for it instead of rendering
    without it; once it has it, tasks naming the office by digest render; a letterhead that
    does not match its digest is refused."""
    from ptsp.cluster import worker
    from ptsp.cluster.jobs import OfficeBundle

    worker.configure(worker.WorkerSettings(workdir=tmp_path / "w"))
    worker.STATE.renderers.clear()
    ctx = load_profile().render_context()
    bundle = OfficeBundle("Kabupaten Balangan", ctx, b"\x89PNG emblem")
    full, ref = _job(), _job()
    full["office"], ref["office"] = bundle.as_json(), bundle.as_ref()
    assert len(json.dumps(ref)) < len(json.dumps(full)) - 5000
    asked = worker.convert_task(ref)
    assert asked["ok"] is False and asked["need_office"] is True, asked
    tdir, _ = worker._template_set(full)
    worker._renderer(full, tdir)  # the full task: the worker now holds the letterhead
    assert worker._renderer(ref, tdir) is worker._renderer(full, tdir)
    worker.STATE.renderers.clear()
    altered = _job()
    forged = bundle.as_json()
    forged["context"] = {**forged["context"], "office": {**ctx["office"], "head_name": "X"}}
    altered["office"] = forged
    with pytest.raises(ClusterError, match="does not match its digest"):
        worker._renderer(altered, tdir)


def test_a_task_without_the_letterhead_is_sent_again_with_it():
    from ptsp.cluster.settings import ClusterSettings

    remote = RemoteConversions(ClusterSettings(broker="redis://127.0.0.1:1/0"))
    remote._thread = object()  # type: ignore[assignment]  # no broker: _call is replaced
    calls = []

    def call(name, tid, args, digest):
        calls.append(args[0]["office"])
        if "context" not in args[0]["office"]:
            return {"ok": False, "need_office": True, "error": "no letterhead"}
        return {"ok": True, "pdf": base64.b64encode(b"%PDF-1.7").decode()}

    remote._call = call  # type: ignore[method-assign]
    office = {"name": "x", "sha256": "ab" * 32, "context": {}, "emblem": None}
    ref = {"name": "x", "sha256": "ab" * 32}
    assert remote.produce("ptsp:x:1", {"office": ref}, office) == b"%PDF-1.7"
    assert calls == [ref, office]
    calls.clear()
    with pytest.raises(ConversionError, match="no letterhead"):
        remote.produce("ptsp:x:2", {"office": ref})  # nothing to send again with
    remote.app.close()
