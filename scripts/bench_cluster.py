"""The distributed section of `make bench` (issue 16): the same decrees issued locally and
through Celery workers on this machine, the broker's cost per decree, the signer's ceiling,
and the throughput model checked with 1 and 2 worker processes.

Used by scripts/bench.py (``--cluster-count``, ``--no-cluster``); runs on its own too:
``python scripts/bench_cluster.py --count 60``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Iterator[tuple[str, int]]:
    """A throwaway redis-server on a free loopback port: (URL, pid)."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (Debian: redis-server)")
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="ptsp-bench-redis-"))
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def tree_cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and all their descendants (LibreOffice included)."""
    from bench import _read_stat, descendants

    total = 0.0
    for root in pids:
        for pid in [root, *descendants(root)]:
            st = _read_stat(pid)
            if st is not None:
                total += st[2]
    return total


def tree_cpu_by_kind(pids: list[int]) -> dict[str, float]:
    """CPU seconds of these process trees by kind of process: LibreOffice (soffice), its
    UNO driver, Python (the signer, Celery workers), redis-server, the TSA..."""
    from bench import _kind, _read_stat, descendants

    out: dict[str, float] = {}
    for root in pids:
        for pid in [root, *descendants(root)]:
            st = _read_stat(pid)
            if st is not None:
                k = _kind(pid, st[0])
                out[k] = out.get(k, 0.0) + st[2]
    return out


def _soffice_count(workdir: Path) -> int:
    n = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if b"soffice.bin" in cmd and str(workdir).encode() in cmd:
                n += 1
    return n


class Workers:
    """``ptsp worker`` processes on this machine, each with ``concurrency`` LibreOffices."""

    def __init__(self, broker: str, base: Path, processes: int, concurrency: int,
                 pool: str = "threads") -> None:
        self.broker = broker
        self.dirs = [base / f"w{i}" for i in range(processes)]
        base.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.procs = [subprocess.Popen(
            [sys.executable, "-m", "ptsp.cli", "worker", "--broker", broker,
             "--concurrency", str(concurrency), "--pool", pool, "--workdir", str(d),
             "--hostname",
             f"bench{i}@local"], env=env, stdout=subprocess.DEVNULL,
            stderr=open(base / f"w{i}.log", "ab"), start_new_session=True)  # noqa: SIM115
            for i, d in enumerate(self.dirs)]
        deadline = time.monotonic() + 120
        while sum(_soffice_count(d) for d in self.dirs) < processes * concurrency:
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"workers did not start; see {base}/w*.log")
            time.sleep(0.1)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _run(profile: Any, catalog: Any, input_path: Path, out: Path, *, level: str, count: int,
         broker: str | None, cpu_of: list[int]) -> dict[str, Any]:
    """One batch; rates and CPU per decree are taken between the first and the last decree
    (start-up, key unlock and the first decree's latency are left out, as in the main run)."""
    import resource

    from bench import registry_factory

    from ptsp.issue import run_issue

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    from bench import machine_cpu

    marks: dict[str, tuple[float, float, float, float]] = {}
    kinds: dict[str, tuple[dict[str, float], dict[str, float], tuple[float, float]]] = {}

    def cpu() -> tuple[float, float, float, float]:
        r = resource.getrusage(resource.RUSAGE_SELF)
        mine = r.ru_utime + r.ru_stime
        others = tree_cpu(cpu_of)  # the workers and Redis (started by this script too)
        # this process, its own children (LibreOffice in local mode, the TSA), the others
        return (time.perf_counter(), mine, tree_cpu([os.getpid()]) - mine - others, others)

    def mark(name: str) -> None:
        marks[name] = cpu()
        kinds[name] = (tree_cpu_by_kind([os.getpid()]), tree_cpu_by_kind(cpu_of),
                       machine_cpu())

    def progress(done: int, total: int | None) -> None:
        if "first" not in marks:
            mark("first")
        if done == (total or count):
            mark("last")

    t0 = time.perf_counter()
    report = run_issue(profile, catalog, registry_factory(profile, f"sqlite:///{out}/reg.sqlite"),
                       input_path, out_dir=out / "decrees", level=level, actor="bench",
                       broker=broker or "", on_progress=progress, on_message=lambda m: None)
    wall = time.perf_counter() - t0
    issued = report.count("issued")
    res: dict[str, Any] = {"issued": issued, "failed": report.count("failed"),
                           "wall_s": round(wall, 2), "per_s": round(issued / wall, 2),
                           "errors": [e for o in report.outcomes for e in o.errors][:3],
                           # thread CPU per decree by stage, in the signing process
                           "stages_ms": {k: round(v * 1000 / max(1, issued), 1)
                                         for k, v in report.times.as_dict().items()
                                         if k != "convert_wall"}}
    if "first" in marks and "last" in marks and issued > 1:
        (t_a, s_a, c_a, o_a), (t_b, s_b, c_b, o_b) = marks["first"], marks["last"]
        # outcomes are reported 16 at a time: count the decrees between the two marks
        n = issued - min(issued, 16)
        n = max(1, n)
        res.update(steady_per_s=round(n / (t_b - t_a), 2),
                   submitter_cpu_ms=round((s_b - s_a + c_b - c_a) * 1000 / n, 1),
                   others_cpu_ms=round((o_b - o_a) * 1000 / n, 1))
        # where the CPU went (ms per decree by kind of process), and how much of the
        # machine stayed idle meanwhile (idle CPU ms per decree: capacity nobody used)
        (sa, oa, (busy_a, idle_a)), (sb, ob, (busy_b, idle_b)) = kinds["first"], kinds["last"]
        by: dict[str, float] = {}
        for side, a, b in (("signer", sa, sb), ("workers", oa, ob)):
            for k in b:
                by[f"{side}:{k}"] = round((b[k] - a.get(k, 0.0)) * 1000 / n, 1)
        res["cpu_ms_by_kind"] = {k: v for k, v in sorted(by.items()) if v}
        res["machine_busy_ms"] = round((busy_b - busy_a) * 1000 / n, 1)
        res["machine_idle_ms"] = round((idle_b - idle_a) * 1000 / n, 1)
    return res


def _echo(broker: str, pids: list[int], *, n: int, threads: int) -> dict[str, Any]:
    """Round trips with a decree's payload (about 14 kB of job, 120 kB of PDF in base64) and
    no work: what the broker path costs per decree, in CPU of every process and in time."""
    from bench import cpu_times

    from ptsp.cluster.settings import ClusterSettings
    from ptsp.cluster.stage import RemoteConversions

    payload, reply = "x" * 14_000, 120_000
    with RemoteConversions(ClusterSettings(broker=broker)) as remote:
        remote.check()
        for _ in range(5):
            remote.echo(payload, reply)
        t = time.perf_counter()
        for _ in range(20):
            remote.echo(payload, reply)
        latency = (time.perf_counter() - t) / 20
        s0, _ = cpu_times()
        o0 = tree_cpu(pids)
        t = time.perf_counter()
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(lambda _: remote.echo(payload, reply), range(n)))
        wall = time.perf_counter() - t
        s1, _ = cpu_times()
        o1 = tree_cpu(pids)
    return {"round_trips": n, "latency_ms": round(latency * 1000, 1),
            "per_s": round(n / wall, 1),
            "submitter_cpu_ms": round((s1 - s0) * 1000 / n, 2),
            "worker_and_redis_cpu_ms": round((o1 - o0) * 1000 / n, 2),
            "cpu_ms": round(((s1 - s0) + (o1 - o0)) * 1000 / n, 2)}


def bench_cluster(profile: Any, catalog: Any, input_path: Path, work: Path, *, level: str,
                  count: int, log: Any = print, only: tuple[str, ...] = (),
                  rounds: int = 3) -> dict[str, Any]:
    """Local vs distributed on the same ``count`` decrees, then the model (``only``: some
    of the runs, for experiments). Local and one worker run alternately, ``rounds`` measured
    pairs after a warm-up pair; the pair with the median ratio stands for the run."""
    from generator.convert import default_size

    cores = default_size()
    work.mkdir(parents=True, exist_ok=True)
    # the machine may be shared: its load says how far to trust the figures
    res: dict[str, Any] = {"count": count, "cores": cores,
                           "loadavg_before": [round(x, 2) for x in os.getloadavg()]}

    def want(run: str) -> bool:
        return not only or run in only

    with redis_server() as (broker, redis_pid):
        # Local mode and one worker of one LibreOffice per core, alternately (a warm-up pair,
        # then ``rounds`` measured pairs): the two figures compared are taken a few seconds
        # apart, so a change in the other sessions' load touches both alike. The worker waits
        # idle (no CPU, measured) while the local mode runs.
        w = Workers(broker, work / "workers-threads", 1, cores, "threads") \
            if want("one_worker") else None
        try:
            pairs: list[dict[str, Any]] = []
            for i in range(1 + max(1, rounds)):
                what = "warm-up" if i == 0 else f"measured {i}/{max(1, rounds)}"
                pair: dict[str, Any] = {"loadavg": round(os.getloadavg()[0], 2)}
                if want("local"):
                    log(f"bench: cluster: local mode, {count} documents ({what}) ...")
                    pair["local"] = _run(profile, catalog, input_path, work / "local",
                                         level=level, count=count, broker=None, cpu_of=[])
                if w is not None:
                    log(f"bench: cluster: 1 worker process x {cores} LibreOffice, {count} "
                        f"documents ({what}) ...")
                    pair["one_worker"] = _run(profile, catalog, input_path,
                                              work / "one_worker", level=level, count=count,
                                              broker=broker, cpu_of=[*w.pids, redis_pid])
                    pair["one_worker"].update(processes=1, concurrency=cores, pool="threads")
                if i > 0:
                    pairs.append(pair)
            # the pair with the median ratio stands for the run; every pair is kept
            for pair in pairs:
                a, b = pair.get("local"), pair.get("one_worker")
                if a and b:
                    pair["ratio"] = round(_rate(b) / _rate(a), 3) if _rate(a) else None
            ranked = sorted(pairs, key=lambda p: p.get("ratio") or 0.0)
            mid = ranked[(len(ranked) - 1) // 2]
            res.update({k: mid[k] for k in ("local", "one_worker") if k in mid})
            res["pairs"] = [{"loadavg": p["loadavg"], "ratio": p.get("ratio"),
                             "local_per_s": _rate(p["local"]) if "local" in p else None,
                             "one_worker_per_s": _rate(p["one_worker"])
                             if "one_worker" in p else None} for p in pairs]
            if w is not None:
                log("bench: cluster: broker round trips ...")
                res["echo"] = _echo(broker, [*w.pids, redis_pid], n=200, threads=2 * cores)
        finally:
            if w is not None:
                w.stop()
        runs = [("w1", 1, 1, "threads"), ("w2", 2, 1, "threads")]
        if "prefork" in only:  # the other pool, for comparison
            runs.append(("prefork", 1, cores, "prefork"))
        for label, procs, conc, pool in runs:
            if not want(label):
                continue
            log(f"bench: cluster: {procs} worker process(es) x {conc} LibreOffice, "
                f"{count} documents (twice: warm-up, measured) ...")
            # one folder for every run's workers: LibreOffice profiles and the compiled
            # templates stay warm, as on a worker that serves batch after batch
            w = Workers(broker, work / f"workers-{pool}", procs, conc, pool)
            try:
                for _ in range(2):
                    res[label] = _run(profile, catalog, input_path, work / label, level=level,
                                      count=count, broker=broker, cpu_of=[*w.pids, redis_pid])
                res[label].update(processes=procs, concurrency=conc, pool=pool)
            finally:
                w.stop()
    res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if not only:
        res["model"] = model(res)
    return res


def _rate(x: dict[str, Any]) -> float:
    return float(x.get("steady_per_s") or x.get("per_s") or 0.0)


def model(r: dict[str, Any]) -> dict[str, Any]:
    """Throughput vs workers, from CPU per decree.

    c_sign: the submitting process (sign, record, broker client; one Python process: one core)
    c_work: a worker (validate, render, Celery, LibreOffice) plus the broker server
    c_lo:   LibreOffice alone (soffice and its driver), part of c_work
    A worker keeps two tasks on each LibreOffice, so a LibreOffice never waits for the
    rest of its task: one converts at most 1000 / c_lo decrees/s.
    A signer alone: 1000 / c_sign decrees/s. A 2-core worker machine (two LibreOffice):
    min(2 * 1000 / c_lo, 2 * 1000 / c_work) = 2000 / c_work. So one signer keeps
    c_work / (2 * c_sign) such workers busy, and with W of them
        throughput(W) = min(W * 2000 / c_work, 1000 / c_sign).
    Here everything shares this machine's cores, so the check uses
        throughput(slots) = min(slots * 1000 / c_lo, cores * 1000 / (c_work + c_sign),
                                1000 / c_sign)
    with ``slots`` LibreOffice in all. That is for an idle machine: the other sessions'
    share of the cores (see the load average and ``machine_idle_ms``) lowers the measured rates.
    """
    one = r["one_worker"]
    c_sign, c_work = one["submitter_cpu_ms"], one["others_cpu_ms"]
    kinds = one.get("cpu_ms_by_kind", {})
    c_lo = kinds.get("workers:soffice", 0.0) + kinds.get("workers:uno_worker", 0.0)
    if not c_sign or not c_work or not c_lo:
        return {"skipped": "no CPU figures"}
    cores = r["cores"]
    ceiling = 1000 / c_sign
    per_worker = 2 * 1000 / c_work

    def here(slots: int) -> float:
        return min(slots * 1000 / c_lo, cores * 1000 / (c_work + c_sign), ceiling)

    local = r["local"]["steady_per_s"] or r["local"]["per_s"]
    dist = one["steady_per_s"] or one["per_s"]
    return {
        "signer_cpu_ms_per_decree": c_sign, "worker_cpu_ms_per_decree": c_work,
        "libreoffice_cpu_ms_per_decree": round(c_lo, 1),
        "signer_ceiling_per_s_one_core": round(ceiling, 1),
        "two_core_worker_per_s": round(per_worker, 1),
        "workers_one_signer_keeps_busy": round(ceiling / per_worker, 1),
        "distributed_vs_local": round(dist / local, 3) if local else None,
        "target_0_9x_met": bool(local and dist / local >= 0.9),
        "check": {k: {"predicted_per_s": round(here(r[k]["processes"] * r[k]["concurrency"]), 1),
                      "measured_per_s": r[k]["steady_per_s"] or r[k]["per_s"],
                      "machine_idle_ms": r[k].get("machine_idle_ms")}
                  for k in ("w1", "w2", "one_worker") if k in r},
    }


def format_cluster(r: dict[str, Any]) -> str:
    m = r.get("model", {})
    lines = ["", f"Distributed mode (Celery + Redis on this machine, {r['count']} decrees "
             f"per run, {r['cores']} cores, load average {r['loadavg_before'][0]} before, "
             f"{r['loadavg_after'][0]} after)"]
    lines.append(f"  {'run':<34}{'decrees/s':>10}{'signer ms':>11}{'workers ms':>12}"
                 "   (CPU per decree; local: the whole process, LibreOffice included)")
    for key, name in (("local", "local mode (pool of one per core)"),
                      ("one_worker", f"1 worker x {r['cores']} LibreOffice"),
                      ("w1", "1 worker x 1 LibreOffice"), ("w2", "2 workers x 1 LibreOffice")):
        x = r.get(key) or {}
        rate = x.get("steady_per_s") or x.get("per_s")
        lines.append(f"  {name:<34}{rate!s:>10}{x.get('submitter_cpu_ms')!s:>11}"
                     f"{x.get('others_cpu_ms', '-')!s:>12}")
    e = r.get("echo") or {}
    if e:
        lines.append(f"  broker per decree: {e['cpu_ms']} ms CPU (signer side "
                     f"{e['submitter_cpu_ms']}, worker + Redis {e['worker_and_redis_cpu_ms']}), "
                     f"round trip {e['latency_ms']} ms")
    if "signer_ceiling_per_s_one_core" in m:
        each = ", ".join(f"{p['ratio']} (load {p['loadavg']})" for p in r.get("pairs", []))
        lines.append(f"  distributed / local: {m['distributed_vs_local']}, the median of the "
                     f"pairs {each} (target >= 0.9: "
                     f"{'met' if m['target_0_9x_met'] else 'NOT met'})")
        lines.append(f"  signer ceiling on one core: {m['signer_ceiling_per_s_one_core']}/s; "
                     f"a 2-core worker: {m['two_core_worker_per_s']}/s; one signer keeps "
                     f"{m['workers_one_signer_keeps_busy']} such workers busy")
        for k, v in m["check"].items():
            lines.append(f"  model check {k}: predicted {v['predicted_per_s']}/s (idle "
                         f"machine), measured {v['measured_per_s']}/s (machine idle "
                         f"{v['machine_idle_ms']} ms per decree)")
    return "\n".join(lines)


def main() -> int:
    import argparse
    import json

    from bench import bench_pki, write_applications, write_bench_profile

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--level", default="B-LTA")
    ap.add_argument("--bench-dir", type=Path, default=ROOT / "var" / "bench-cluster")
    ap.add_argument("--rounds", type=int, default=3,
                    help="measured pairs of local mode and one worker (after a warm-up pair)")
    ap.add_argument("--only", default="",
                    help="some runs only: local,one_worker,w1,w2,prefork")
    args = ap.parse_args()
    d = args.bench_dir.resolve()
    shutil.rmtree(d / "run", ignore_errors=True)
    (d / "run").mkdir(parents=True)
    os.environ["PTSP_HOME"] = str(d / "home")
    from generator.catalog import load_catalog
    from ptsp.profile import load_profile

    pki = bench_pki(d / "pki")
    profile = load_profile(write_bench_profile(d / "run", pki, args.level))
    catalog = load_catalog()
    src = d / "run" / "approved.jsonl"
    write_applications(src, catalog, args.count, None, 0)
    r = bench_cluster(profile, catalog, src, d / "run" / "cluster", level=args.level,
                      count=args.count, log=lambda m: print(m, file=sys.stderr),
                      only=tuple(x for x in args.only.split(",") if x), rounds=args.rounds)
    print(format_cluster(r) if "model" in r else json.dumps(r, indent=1))
    (d / "cluster.json").write_text(json.dumps(r, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    threading.excepthook = lambda a: None
    sys.exit(main())
