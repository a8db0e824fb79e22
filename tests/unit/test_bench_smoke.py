"""Smoke test of ``scripts/bench.py``: its command line and the JSON it builds (no timing)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("ptsp_bench_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_help_lists_the_documented_options():
    r = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    for opt in ("--count", "--naive-count", "--no-naive", "--no-carbone", "--workers",
                "--level", "--json", "--permits"):
        assert opt in r.stdout


def test_defaults():
    args = _bench().parse_args([])
    assert args.count == 200 and args.naive_count == 15 and args.level == "B-LTA"
    assert not args.no_naive and not args.no_carbone


def _raw(n: int = 10) -> dict:
    return {
        "docs": n, "issued": n, "failed": 0, "wall_s": 2.0, "t0": 100.0,
        "marks": {"first": 100.5, "first_done": 1, "last": 102.0, "last_done": n},
        "self_cpu_s": 0.8, "children_cpu_s": 1.5,
        "validate_separate_s": 0.01, "machine_busy_s": 3.0, "main_peak_kb": 200 * 1024,
        "stage_seconds": {"validate": 0.0, "reserve": 0.01, "render": 0.15,
                          "convert_wall": 4.0, "locate": 0.2, "sign": 0.35, "record": 0.02},
        "procs": [
            {"pid": 11, "kind": "soffice", "phase": "pipeline", "cpu_s": 1.4,
             "hwm_kb": 210 * 1024, "rss_max_kb": 200 * 1024},
            {"pid": 12, "kind": "uno_worker", "phase": "pipeline", "cpu_s": 0.05,
             "hwm_kb": 22 * 1024, "rss_max_kb": 22 * 1024},
        ],
        "errors": [],
    }


def _result(bench, count: int = 10, baseline=None) -> dict:
    naive = bench.summarize_naive({"docs": 2, "level": "B-LTA", "cpu_self_s": 0.5,
                                   "cpu_children_s": 2.0,
                                   "per": {k: [0.5, 0.5] for k in
                                           ("render", "convert", "key_load", "sign", "write",
                                            "total")}}, count)
    carbone = {"carbone_version": "3.8.2", "factories": 2, "concurrency": 4, "docs": count,
               "ok": count, "errors": [], "startup_ms": 3000.0, "wall_ms": 2500.0,
               "docs_per_s": 4.0, "ms_per_doc": 250.0, "node_cpu_ms_per_doc": 40.0,
               "libreoffice_cpu_ms_per_doc_incl_startup": 150.0,
               "peak_rss_mb": {"node": 100.0, "soffice_max": 200.0}}
    machine = {"cores": 2, "cpu_model": "test", "mem_total_mb": 1024, "python": "3.11",
               "platform": "x", "libreoffice": "LibreOffice 7.4", "node": "v20"}
    config = {"count": count, "naive_count": 2, "level": "B-LTA", "workers": None,
              "permits": None, "permit_types": 3, "carbone_count": count}
    return bench.build_result(machine=machine, git={"commit": "abc", "dirty": False},
                              config=config, pipeline_raw=_raw(count), naive=naive,
                              carbone=carbone, baseline=baseline)


def test_result_has_the_documented_keys():
    bench = _bench()
    r = _result(bench)
    assert tuple(r) == bench.RESULT_KEYS
    for key in bench.PIPELINE_KEYS:
        assert key in r["pipeline"], key
    assert set(r["pipeline"]["stage_cpu_ms_per_doc"]) == set(bench.STAGES)
    assert set(bench.TARGET_KEYS) <= set(r["targets"])
    for t in r["targets"].values():
        assert {"value", "limit", "ok", "note"} <= set(t)
    assert {"docs_per_s", "extrapolated_s_for_count", "wall_ms_per_doc"} <= set(r["naive"])
    # the validate stage falls back to the separate timing; convert is LibreOffice's CPU
    assert r["pipeline"]["stage_cpu_ms_per_doc"]["validate"] == 1.0
    assert r["pipeline"]["stage_cpu_ms_per_doc"]["convert"] == 150.0
    assert r["pipeline"]["docs_per_s"] == 5.0
    assert "ptsp pipeline" in bench.format_table(r)


def test_steady_rate_counts_the_decrees_after_the_first_recorded_batch():
    """The pipeline reports decrees 16 at a time (one registry transaction): the steady rate
    is the decrees finished after the first report over the time from it to the last."""
    bench = _bench()
    marks, take = bench.progress_marks()
    # 100 decrees at exactly 10/s once running, reported in batches of 16 (the last of 4)
    t = 5.0
    for done in range(1, 101):
        if done % 16 == 0 or done == 100:
            for k in range(done - (15 if done % 16 == 0 else 3), done + 1):
                take(k, t + (done - 16) / 10.0 + k * 1e-6)
    assert marks["first_done"] == 16 and marks["last_done"] == 100
    assert abs(bench.steady_rate(marks) - 10.0) < 0.01
    # counting all but one decree over that time (the former formula) says ~11.8/s
    assert (100 - 1) / (marks["last"] - marks["first"]) > 11.5
    assert bench.steady_rate({}) is None


def test_memory_target_needs_a_run_at_another_count():
    bench = _bench()
    assert _result(bench)["targets"]["memory_growth"]["ok"] is None
    base = _result(bench, count=5)
    r = _result(bench, count=10, baseline=base)
    assert r["targets"]["memory_growth"]["value"] == 1.0
    assert r["targets"]["memory_growth"]["ok"] is True


def test_skipped_baselines_are_reported_not_failed():
    bench = _bench()
    r = bench.build_result(
        machine={"cores": 2, "cpu_model": "", "mem_total_mb": 0, "python": "", "platform": "",
                 "libreoffice": "", "node": ""},
        git={}, config={"count": 10, "naive_count": 0, "level": "B-T", "workers": 2,
                        "permits": ["SIPB"], "permit_types": 1, "carbone_count": 0},
        pipeline_raw=_raw(), naive=None, carbone=None)
    assert r["naive"] == {"skipped": "--no-naive"}
    assert r["targets"]["vs_naive"]["ok"] is None
    assert r["targets"]["vs_carbone"]["ok"] is None
    assert r["targets"]["sign_cpu"]["ok"] is None  # the 60 ms limit is for B-LTA
    bench.format_table(r)


def test_carbone_verdict_is_the_median_of_the_rounds():
    bench = _bench()
    r = _result(bench)
    base = r["carbone"]
    rounds = [{"round": 1, "first": "carbone", "carbone_docs_per_s": 4.0, "ptsp_docs_per_s": 3.6,
               "ratio": 0.9},
              {"round": 2, "first": "ptsp", "carbone_docs_per_s": 4.0, "ptsp_docs_per_s": 4.8,
               "ratio": 1.2},
              {"round": 3, "first": "carbone", "carbone_docs_per_s": 4.0,
               "ptsp_docs_per_s": 4.4, "ratio": 1.1}]
    carbone = dict(base, rounds=rounds, ratio_median=1.1)
    r2 = bench.build_result(machine=r["machine"], git=r["git"], config=r["config"],
                            pipeline_raw=_raw(10), naive=r["naive"], carbone=carbone)
    t = r2["targets"]["vs_carbone"]
    assert t["value"] == 1.1 and t["ok"] is True and "median of 3 rounds" in t["note"]
    assert "round 2 (ptsp first)" in bench.format_table(r2)
    # without rounds: the main run's warm rate against Carbone's
    assert r["targets"]["vs_carbone"]["value"] == round(
        r["pipeline"]["steady_docs_per_s"] / base["docs_per_s"], 2)


def test_demo_services_cpu_is_not_libreoffice():
    bench = _bench()
    raw = _raw(10)
    raw["children_cpu_s"] = 2.0  # LibreOffice 1.45 sampled + the demo TSA child 0.5
    raw["procs"].append({"pid": 13, "kind": "python", "phase": "pipeline", "cpu_s": 0.5,
                         "hwm_kb": 40 * 1024, "rss_max_kb": 40 * 1024})
    p = bench.summarize_pipeline(raw)
    assert p["stage_cpu_ms_per_doc"]["convert"] == 150.0
    assert p["cpu_ms_per_doc"]["demo_services"] == 50.0
    assert p["cpu_ms_per_doc"]["total"] == round(1000 * (0.8 + 1.5 + 0.5) / 10, 2)


def test_throughput_limit_counts_the_demo_timestamp_service_on_the_same_cores():
    bench = _bench()
    raw = _raw(10)
    raw["children_cpu_s"] = 2.0
    raw["procs"].append({"pid": 13, "kind": "python", "phase": "pipeline", "cpu_s": 0.5,
                         "hwm_kb": 40 * 1024, "rss_max_kb": 40 * 1024})
    r = _result(bench)
    r2 = bench.build_result(machine=r["machine"], git=r["git"], config=r["config"],
                            pipeline_raw=raw, naive=r["naive"], carbone=None)
    a, p = r2["targets"]["throughput_vs_cpu_bound"], r2["pipeline"]
    stages = p["stage_cpu_sum_ms_per_doc"]
    assert a["timestamp_service_cpu_ms_per_doc"] == 50.0
    assert a["limit"] == round(0.85 * 2 / ((stages + 50.0) / 1000), 3)
    assert a["stages_only_limit"] == round(0.85 * 2 / (stages / 1000), 3)
    assert a["limit"] < a["stages_only_limit"]
    assert a["ok"] == (p["docs_per_s"] >= a["limit"])
    assert "ms of the demo TSA on the same cores" in bench.format_table(r2)


# -- the Carbone comparison (scripts/bench_carbone/render.js driven by bench.bench_carbone) ----

NODE = shutil.which("node")

#: Stands in for the ``carbone`` npm package where it is not installed (CI installs no npm
#: packages): the same calls render.js makes (set, render, exit), checking what it is given.
CARBONE_STUB = r"""
'use strict';
const fs = require('fs');
let opts = null;
module.exports = {
  set (o) { opts = o; },
  render (template, data, options, cb) {
    setImmediate(() => {
      if (!opts || !opts.factories) return cb(new Error('render before set({factories})'));
      if (options.convertTo !== 'pdf') return cb(new Error('convertTo is ' + options.convertTo));
      let head;
      try { head = fs.readFileSync(template).subarray(0, 2).toString(); } catch (e) {
        return cb(new Error('no template ' + template));
      }
      if (head !== 'PK') return cb(new Error('not a DOCX: ' + template));
      for (const [k, v] of Object.entries(data)) {
        if (typeof v !== 'string') return cb(new Error('value of ' + k + ' is not text'));
      }
      cb(null, Buffer.from('%PDF-1.7 stub ' + Object.keys(data).length + ' values\n'));
    });
  },
  exit (cb) { cb(); }
};
"""


def _stub_carbone(root: Path) -> Path:
    mod = root / "node_modules" / "carbone"
    mod.mkdir(parents=True)
    (mod / "package.json").write_text(json.dumps(
        {"name": "carbone", "version": "0.0.0-stub", "main": "index.js"}))
    (mod / "index.js").write_text(CARBONE_STUB)
    return root / "node_modules"


def _sample_apps(codes: list[str]):
    from generator.applications import RecordRef, validate_record
    from generator.catalog import load_catalog
    from ptsp.samples import sample_application

    catalog = load_catalog()
    apps = []
    for i, code in enumerate(codes, start=1):
        app = validate_record(sample_application(catalog.get(code), i), RecordRef("t", i),
                              catalog)
        assert hasattr(app, "permit"), app
        apps.append(app)
    return catalog, apps


CODES = ["IMB", "SIPB", "IUI"]


def test_carbone_templates_mark_every_value_they_are_given(tmp_path):
    """The equivalent Carbone template of a decree: docxtpl markup gone, every per-document
    value a ``{d.key}`` marker that the job's data fills, the QR code left out."""
    import zipfile
    from datetime import date

    from generator.render import RenderInput
    from ptsp.profile import load_profile

    bench = _bench()
    catalog, apps = _sample_apps(CODES)
    ct = bench.CarboneTemplates(load_profile(), tmp_path)
    for app in apps:
        job = ct.job(catalog.get(app.permit), app,
                     RenderInput("503/0001/X/DPMPTSP-BLG/XII/2026", "https://x.invalid/v/1",
                                 date(2026, 12, 3)))
        with zipfile.ZipFile(job["template"]) as z:
            xml = "".join(z.read(n).decode() for n in z.namelist()
                          if n.startswith("word/") and n.endswith(".xml"))
        assert "{{" not in xml and "{%" not in xml, job["template"]
        assert 'name="ptsp-qr"' not in xml
        markers = set(re.findall(r"\{d\.(\w+)\}", xml))
        assert markers, app.permit
        assert markers <= set(job["data"]), (app.permit, markers - set(job["data"]))
        assert all(isinstance(v, str) for v in job["data"].values())
        name = app.applicant["name"] if isinstance(app.applicant, dict) else app.applicant.name
        assert name.upper() in {v.upper() for v in job["data"].values()}


@pytest.mark.skipif(NODE is None, reason="node not found: the bench's Carbone comparison "
                                         "needs Node.js (and npm to install Carbone)")
def test_carbone_comparison_runs_render_js_and_takes_the_median_of_the_rounds(tmp_path):
    """bench.bench_carbone end to end on a stand-in ``carbone`` module: the equivalent
    templates, render.js (warm-up, lanes, its JSON), run_carbone's parsing and the rounds."""
    from ptsp.profile import load_profile

    bench = _bench()
    catalog, apps = _sample_apps(CODES)
    rates = {1: 6.0, 2: 8.0, 3: 7.0}
    sampler = bench.ProcSampler()
    res = bench.bench_carbone(load_profile(), catalog, apps, {}, tmp_path, tmp_path / "run",
                              len(apps), sampler, rounds=3, run_ptsp=rates.get,
                              node_modules=_stub_carbone(tmp_path))
    assert "skipped" not in res, res
    assert res["carbone_version"] == "0.0.0-stub"
    assert res["docs"] == res["ok"] == len(apps) and res["errors"] == [], res
    assert res["warmup_errors"] == []
    assert res["docs_per_s"] > 0 and res["node_cpu_ms_per_doc"] >= 0
    assert res["templates"] == len(CODES)
    assert Path(res["sample_pdf"]).read_bytes().startswith(b"%PDF-1.7 stub")
    assert [e["first"] for e in res["rounds"]] == ["carbone", "ptsp", "carbone"]
    ratios = [e["ratio"] for e in res["rounds"]]
    for e in res["rounds"]:
        assert e["ratio"] == round(rates[e["round"]] / e["carbone_docs_per_s"], 3)
    assert res["ratio_median"] == sorted(ratios)[1]
    r = _result(bench)
    r2 = bench.build_result(machine=r["machine"], git=r["git"], config=r["config"],
                            pipeline_raw=_raw(10), naive=r["naive"], carbone=res)
    t = r2["targets"]["vs_carbone"]
    assert t["value"] == round(res["ratio_median"], 2) and "median of 3 rounds" in t["note"]
    assert "Carbone" in bench.format_table(r2)


@pytest.mark.skipif(NODE is None, reason="node not found")
def test_carbone_failure_is_reported_not_raised(tmp_path):
    """A Carbone that cannot render reports why; the bench goes on without the comparison."""
    bench = _bench()
    catalog, apps = _sample_apps(CODES[:1])
    from ptsp.profile import load_profile

    mods = tmp_path / "node_modules" / "carbone"
    mods.mkdir(parents=True)
    (mods / "index.js").write_text("throw new Error('carbone is broken');\n")
    (mods / "package.json").write_text('{"name": "carbone", "version": "0.0.0-broken"}')
    res = bench.bench_carbone(load_profile(), catalog, apps, {}, tmp_path, tmp_path / "run",
                              1, bench.ProcSampler(), rounds=1,
                              node_modules=tmp_path / "node_modules")
    assert "carbone is broken" in res["skipped"]


def _installed_carbone() -> Path | None:
    """Carbone as `make bench` installs it (npm, under var/bench/carbone), or where
    ``PTSP_CARBONE_MODULES`` points."""
    for where in (os.environ.get("PTSP_CARBONE_MODULES"),
                  ROOT / "var" / "bench" / "carbone" / "node_modules"):
        if where and (Path(where) / "carbone" / "package.json").is_file():
            return Path(where)
    return None


@pytest.mark.skipif(NODE is None or _installed_carbone() is None or shutil.which("soffice") is None,
                    reason="real Carbone not installed (`make bench` installs it with npm; or "
                           "set PTSP_CARBONE_MODULES): the stand-in test above covers the code")
def test_real_carbone_renders_the_equivalent_decree(tmp_path):
    """Where Carbone is installed: its PDF of a decree says what ours says."""
    from ptsp.profile import load_profile

    bench = _bench()
    catalog, apps = _sample_apps(CODES[:2])
    res = bench.bench_carbone(load_profile(), catalog, apps, {}, tmp_path, tmp_path / "run",
                              len(apps), bench.ProcSampler(), rounds=1,
                              node_modules=_installed_carbone())
    assert "skipped" not in res, res
    assert res["ok"] == len(apps) and res["errors"] == [], res
    text = subprocess.run(["pdftotext", "-layout", res["sample_pdf"], "-"], capture_output=True,
                          text=True, check=True).stdout
    name = apps[0].applicant["name"] if isinstance(apps[0].applicant, dict) \
        else apps[0].applicant.name
    assert "MEMUTUSKAN" in text and name.upper() in text.upper()
    assert "{d." not in text
