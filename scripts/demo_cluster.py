"""`make demo-cluster`: the demo batch through the distributed mode, on this machine.

Starts a throwaway Redis and two `ptsp worker` processes (each with its own LibreOffice),
issues the demo batch with `ptsp issue --broker`, verifies every decree, and stops everything
it started, whatever happens.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PTSP = [str(ROOT / ".venv" / "bin" / "ptsp")]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    say("$ ptsp " + " ".join(args))
    return subprocess.run(PTSP + list(args), text=True, check=False,
                          stdout=subprocess.PIPE if capture else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "demo" / "cluster")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = Path(os.environ.get("PTSP_HOME") or ROOT / "var" / "cluster").resolve()
    started: list[subprocess.Popen[bytes]] = []
    scratch = Path(tempfile.mkdtemp(prefix="ptsp-demo-cluster-"))
    try:
        if run("keys", "init", capture=True).returncode:
            return 1
        redis = shutil.which("redis-server")
        if redis is None:
            say("demo-cluster: redis-server is not installed (Debian: redis-server; "
                "`make setup` installs it)")
            return 1
        port = free_port()
        broker = f"redis://127.0.0.1:{port}/0"
        say(f"$ redis-server --port {port} --bind 127.0.0.1")
        started.append(subprocess.Popen(
            [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(scratch)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        workdirs = [home / f"worker-{i}" for i in range(1, args.workers + 1)]
        for i, wd in enumerate(workdirs, start=1):
            say(f"$ ptsp worker --broker {broker} --concurrency 1 --hostname demo{i}@local")
            started.append(subprocess.Popen(
                PTSP + ["worker", "--broker", broker, "--concurrency", "1", "--workdir",
                        str(wd), "--hostname", f"demo{i}@local"],
                stdout=subprocess.DEVNULL, stderr=open(scratch / f"worker-{i}.log", "wb"),  # noqa: SIM115
                start_new_session=True))
        if not wait_workers(broker, [f"demo{i}" for i in range(1, args.workers + 1)]):
            say(f"demo-cluster: the workers did not answer; see {scratch}/worker-*.log")
            return 1
        apps = out / "applications.jsonl"
        if run("sample", "--count", str(args.count), "--out", str(apps)).returncode:
            return 1
        decrees = out / "decrees"
        t = time.perf_counter()
        r = run("issue", "--broker", broker, "--input", str(apps), "--out", str(decrees),
                "--report", str(out / "report.json"))
        took = time.perf_counter() - t
        if r.returncode:
            say("demo-cluster: the batch did not issue cleanly; see the messages above")
            return 1
        from ptsp.cli import Ctx
        from ptsp.verify import verify_file

        ctx = Ctx(None, None, False)
        pdfs = sorted(decrees.glob("*.pdf"))
        say(f"$ ptsp verify <each of {len(pdfs)} decrees>")
        verdicts: dict[str, int] = {}
        for pdf in pdfs:
            v = verify_file(ctx.profile, ctx.registry, pdf).verdict
            verdicts[v] = verdicts.get(v, 0) + 1
        say(f"demo-cluster: {len(pdfs)} signed decrees in {decrees} (batch took {took:.1f} s, "
            f"converted by {args.workers} workers)")
        say(f"demo-cluster: verification: {verdicts}")
        return 0 if pdfs and set(verdicts) == {"SAH"} else 1
    finally:
        stop(started)
        left = [p for wd in (home / f"worker-{i}" for i in range(1, args.workers + 1))
                for p in soffice_of(wd)]
        if left:
            say(f"demo-cluster: LibreOffice processes left running: {left}")
        else:
            say("demo-cluster: stopped Redis and the workers (no LibreOffice left running)")
        shutil.rmtree(scratch, ignore_errors=True)


def wait_workers(broker: str, names: list[str], timeout: float = 120) -> bool:
    from ptsp.cluster.app import make_app

    app = make_app(broker)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                answered = {k.split("@")[0] for a in app.control.ping(timeout=0.5) for k in a}
            except Exception:  # noqa: BLE001 - Redis still starting
                answered = set()
                time.sleep(0.2)
            if set(names) <= answered:
                return True
        return False
    finally:
        app.close()


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Workers first (SIGTERM: they end their LibreOffice), then Redis."""
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def soffice_of(workdir: Path) -> list[int]:
    deadline = time.monotonic() + 15
    while True:
        pids = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    cmd = (d / "cmdline").read_bytes()
                except OSError:
                    continue
                if b"soffice" in cmd and str(workdir).encode() in cmd:
                    pids.append(int(d.name))
        if not pids or time.monotonic() > deadline:
            return pids
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
