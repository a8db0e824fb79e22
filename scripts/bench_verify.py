"""`make bench-verify`: how fast decrees are verified, beside pyHanko's own validation.

Issues ``--count`` genuine B-LTA decrees once (cached under ``var/bench/verify``), then in one
run:

1. **cli** -- ``ptsp.verify.verify_files`` (what ``ptsp verify FILE...`` runs) over all of
   them in this process: verifications per second and process CPU per verification (the first,
   cold verification included and also shown alone).
2. **ptsp verify FILE...** -- the command itself, one process for all files (CPU of the child,
   start-up included).
3. **pyhanko** -- pyHanko's own validation of the same files through its API, a fresh
   validation context per file (signature and document timestamp, revocation data from the
   file's DSS), the way a script using pyHanko directly checks a file.
4. **portal** -- ``ptsp serve --workers W`` as a real server process; ``--clients`` threads
   upload the decrees to ``POST /api/v1/verify`` for ``--duration`` seconds: verifications per
   second, the server's CPU per verification (all its processes, from ``/proc``), latency p50/p95.
5. **mixed** -- the same uploads plus ``--qr-clients`` threads opening QR pages (``/v/<token>``):
   QR p95 beside the upload rate.

CPU figures are process CPU (user + system), not wall time: the machine may be shared. The load
generators run on the same machine and take CPU from the server. Results: a table on stdout and
JSON (``--json``, default ``var/bench/bench-verify-<date>.json``).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SCHEMA = "ptsp-bench-verify/1"


def log(msg: str) -> None:
    print(f"[bench-verify] {msg}", file=sys.stderr, flush=True)


def _bench_module() -> Any:
    """scripts/bench.py (its PKI, profile and /proc helpers)."""
    spec = importlib.util.spec_from_file_location("ptsp_bench_script", ROOT / "scripts" /
                                                  "bench.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def prepare(work: Path, count: int) -> tuple[Path, str, list[Path]]:
    """(profile, registry URL, decrees): ``count`` genuine B-LTA decrees, issued once."""
    bench = _bench_module()
    work.mkdir(parents=True, exist_ok=True)
    pki = bench.bench_pki(work / "pki")
    profile = bench.write_bench_profile(work, pki, "B-LTA")
    db = f"sqlite:///{work / 'registry.sqlite'}"
    out = work / "out"
    pdfs = sorted(out.glob("*.pdf")) if out.is_dir() else []
    if len(pdfs) >= count:
        return profile, db, pdfs[:count]
    from generator.catalog import load_catalog
    from ptsp.samples import sample_batch

    for stale in (work / "registry.sqlite", out):
        if stale.is_dir():
            import shutil

            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    src = work / "approved.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in
                           sample_batch(load_catalog(), count=count, seed=17)))
    log(f"issuing {count} decrees (once; kept in {work})")
    env = {**os.environ, "PTSP_BENCH_KEY_PASSPHRASE": bench.PASSPHRASE}
    subprocess.run([sys.executable, "-m", "ptsp.cli", "--profile", str(profile), "--db", db,
                    "issue", "--input", str(src), "--out", str(out), "--json"], env=env,
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    pdfs = sorted(out.glob("*.pdf"))
    return profile, db, pdfs[:count]


def bench_cli(profile_path: Path, db: str, pdfs: list[Path]) -> dict[str, Any]:
    from ptsp.cli import Ctx
    from ptsp.verify import verify_files

    c = Ctx(profile_path, db, False)
    profile = c.profile
    t0, w0 = time.process_time(), time.perf_counter()
    first = verify_files(profile, c.registry, pdfs[:1])
    cold = time.process_time() - t0
    t1, w1 = time.process_time(), time.perf_counter()
    rest = verify_files(profile, c.registry, pdfs[1:])
    cpu, wall = time.process_time() - t1, time.perf_counter() - w1
    results = first + rest
    verdicts = {r.verdict for r in results}
    n = len(rest) or 1
    return {"files": len(results), "verdicts": sorted(verdicts),
            "cold_first_cpu_ms": round(cold * 1000, 1),
            "cpu_ms_per_verification": round(cpu / n * 1000, 1),
            "verifications_per_s": round(n / wall, 1),
            "all_cpu_ms_per_verification": round(
                (time.process_time() - t0) / len(results) * 1000, 1),
            "wall_s": round(time.perf_counter() - w0, 2)}


def bench_cli_process(profile_path: Path, db: str, pdfs: list[Path]) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "ptsp.cli", "--profile", str(profile_path), "--db",
                        db, "verify", *map(str, pdfs)], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = r.stdout.splitlines()
    return {"files": len(pdfs), "exit": r.returncode,
            "sah": sum(1 for x in lines if x.startswith("SAH\t")),
            "cpu_ms_per_verification": round(cpu / len(pdfs) * 1000, 1),
            "verifications_per_s": round(len(pdfs) / wall, 1), "wall_s": round(wall, 2)}


def bench_pyhanko(profile_path: Path, pdfs: list[Path]) -> dict[str, Any]:
    """pyHanko's API on each file with a fresh validation context (DSS revocation data)."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from ptsp.profile import load_profile
    from signer.keys import load_certificate

    roots_paths = load_profile(profile_path).trust.roots
    ok = 0
    t0, w0 = time.process_time(), time.perf_counter()
    for path in pdfs:
        reader = PdfFileReader(BytesIO(path.read_bytes()), strict=False)
        roots = [load_certificate(p) for p in roots_paths]
        good = True
        for emb in reader.embedded_signatures:
            dss = DocumentSecurityStore.read_dss(reader)
            vc = dss.as_validation_context({"trust_roots": roots, "allow_fetching": False,
                                            "revocation_mode": "soft-fail"})
            if emb.sig_object_type == "/DocTimeStamp":
                st = validate_pdf_timestamp(emb, validation_context=vc)
            else:
                st = validate_pdf_signature(emb, signer_validation_context=vc)
            good = good and bool(st.intact and st.valid and st.trusted)
        ok += good
    cpu, wall = time.process_time() - t0, time.perf_counter() - w0
    return {"files": len(pdfs), "valid": ok,
            "cpu_ms_per_verification": round(cpu / len(pdfs) * 1000, 1),
            "verifications_per_s": round(len(pdfs) / wall, 1)}


# -- the portal ------------------------------------------------------------------------------


def _server_cpu(pid: int, bench: Any) -> float:
    total = 0.0
    for p in [pid, *bench.descendants(pid)]:
        st = bench._read_stat(p)
        if st is not None:
            total += st[2]
    return total


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("bench-verify: ptsp serve exited")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("bench-verify: ptsp serve did not start")


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "ptspbenchboundary7d2a"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"k.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _load(port: int, stop: float, uploads: list[bytes], upload_clients: int,
          qr_paths: list[str], qr_clients: int) -> dict[str, list[float]]:
    lat: dict[str, list[float]] = {"upload": [], "qr": [], "errors": []}
    lock = threading.Lock()
    bodies = [_multipart(d) for d in uploads]

    def upload_client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        k = i
        while time.monotonic() < stop:
            body, ctype = bodies[k % len(bodies)]
            k += upload_clients
            t = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/verify", body, {"Content-Type": ctype})
                resp = conn.getresponse()
                doc = json.loads(resp.read())
                good = resp.status == 200 and doc.get("verdict") == "SAH"
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                good = False
            with lock:
                lat["upload" if good else "errors"].append(time.perf_counter() - t)
        conn.close()

    def qr_client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        k = i
        while time.monotonic() < stop:
            path = qr_paths[k % len(qr_paths)]
            k += 1
            t = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                resp.read()
                good = resp.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                good = False
            with lock:
                lat["qr" if good else "errors"].append(time.perf_counter() - t)
        conn.close()

    threads = [threading.Thread(target=upload_client, args=(i,)) for i in range(upload_clients)]
    threads += [threading.Thread(target=qr_client, args=(i,)) for i in range(qr_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1)


def bench_portal(profile_path: Path, db: str, pdfs: list[Path], *, workers: int, clients: int,
                 qr_clients: int, duration: float) -> dict[str, Any]:
    bench = _bench_module()
    from ptsp.cli import Ctx

    c = Ctx(profile_path, db, False)
    reg = c.registry()
    try:
        import hashlib

        tokens = []
        for p in pdfs[:50]:
            rec = reg.by_sha256(hashlib.sha256(p.read_bytes()).hexdigest())
            if rec is not None and rec.token:
                tokens.append(f"/v/{rec.token}")
    finally:
        reg.close()
    port = bench._free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ptsp.cli", "--profile", str(profile_path),
                             "--db", db, "serve", "--port", str(port), "--workers",
                             str(workers)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    out: dict[str, Any] = {"workers": workers}
    try:
        _wait_port(port, proc)
        time.sleep(2 if workers > 1 else 0.5)  # every worker up
        uploads = [p.read_bytes() for p in pdfs]
        _load(port, time.monotonic() + 3, uploads[:4], 2, tokens, 1)  # warm every worker
        for phase, (up, qr) in (("uploads", (clients, 0)), ("mixed", (clients, qr_clients)),
                                ("qr_only", (0, qr_clients))):
            cpu0, w0 = _server_cpu(proc.pid, bench), time.perf_counter()
            lat = _load(port, time.monotonic() + duration, uploads, up, tokens, qr)
            cpu, wall = _server_cpu(proc.pid, bench) - cpu0, time.perf_counter() - w0
            n = len(lat["upload"])
            out[phase] = {
                "upload_clients": up, "qr_clients": qr, "seconds": round(wall, 1),
                "verifications": n, "verifications_per_s": round(n / wall, 1),
                "server_cpu_ms_per_verification": round(cpu / n * 1000, 1) if n and not qr
                else None,
                "upload_p50_ms": _pct(lat["upload"], 0.5), "upload_p95_ms": _pct(lat["upload"],
                                                                                  0.95),
                "qr_requests_per_s": round(len(lat["qr"]) / wall, 1),
                "qr_p50_ms": _pct(lat["qr"], 0.5), "qr_p95_ms": _pct(lat["qr"], 0.95),
                "errors": len(lat["errors"])}
            log(f"portal {phase}: {out[phase]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=200, help="decrees (default 200)")
    ap.add_argument("--duration", type=float, default=20.0,
                    help="seconds per portal phase (default 20)")
    ap.add_argument("--clients", type=int, default=20, help="upload clients (default 20)")
    ap.add_argument("--qr-clients", type=int, default=5, help="QR page clients (default 5)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="ptsp serve --workers (default: the number of cores)")
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "bench" / "verify")
    ap.add_argument("--no-portal", action="store_true", help="skip the portal phases")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    profile, db, pdfs = prepare(args.work, args.count)
    log(f"{len(pdfs)} decrees; loadavg {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    result: dict[str, Any] = {"schema": SCHEMA, "when": datetime.now(UTC).isoformat(),
                              "count": len(pdfs), "cores": os.cpu_count(),
                              "loadavg_start": os.getloadavg()}
    result["pyhanko"] = bench_pyhanko(profile, pdfs)
    log(f"pyhanko: {result['pyhanko']}")
    result["cli"] = bench_cli(profile, db, pdfs)
    log(f"cli: {result['cli']}")
    result["cli_process"] = bench_cli_process(profile, db, pdfs)
    log(f"ptsp verify FILE...: {result['cli_process']}")
    if not args.no_portal:
        result["portal"] = bench_portal(profile, db, pdfs, workers=args.workers,
                                        clients=args.clients, qr_clients=args.qr_clients,
                                        duration=args.duration)
    result["loadavg_end"] = os.getloadavg()

    rows = [("pyHanko API, fresh context per file", result["pyhanko"]),
            ("ptsp (verify_files, one process)", result["cli"]),
            ("ptsp verify FILE... (process)", result["cli_process"])]
    print(f"{'path':44} {'verif/s':>8} {'CPU ms/verif':>13}")
    for name, r in rows:
        print(f"{name:44} {r['verifications_per_s']:>8} {r['cpu_ms_per_verification']:>13}")
    if "portal" in result:
        p = result["portal"]
        u = p["uploads"]
        print(f"{'portal, ' + str(u['upload_clients']) + ' upload clients':44} "
              f"{u['verifications_per_s']:>8} {u['server_cpu_ms_per_verification']:>13}"
              f"   p50 {u['upload_p50_ms']} ms, p95 {u['upload_p95_ms']} ms")
        m = p["mixed"]
        print(f"{'portal mixed, 20 upload + 5 QR clients':44} {m['verifications_per_s']:>8} "
              f"{'':>13}   QR {m['qr_requests_per_s']}/s p95 {m['qr_p95_ms']} ms")
        q = p["qr_only"]
        print(f"{'portal, QR pages only':44} {'':>8} {'':>13}   QR {q['qr_requests_per_s']}/s "
              f"p95 {q['qr_p95_ms']} ms")
    print(f"(process CPU, not wall; load average {result['loadavg_start'][0]:.1f} -> "
          f"{result['loadavg_end'][0]:.1f} on {os.cpu_count()} cores)")
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    path = args.json or ROOT / "var" / "bench" / f"bench-verify-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    log(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
