"""Helpers for the distributed-mode tests: a throwaway Redis or RabbitMQ on a free loopback
port, ``ptsp worker`` processes, and the LibreOffice processes that belong to a worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.signer_support import free_port

ROOT = Path(__file__).resolve().parents[1]
PTSP = [sys.executable, "-m", "ptsp.cli"]


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


@contextmanager
def redis_server() -> Iterator[str]:
    """``redis-server`` on a free loopback port, no persistence; yields its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server not installed (Debian: redis-server)")
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="ptsp-redis-"))
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_port(port, 20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def rabbitmq_server(start_timeout: float = 120) -> Iterator[tuple[str, float]]:
    """A private ``rabbitmq-server`` node (own epmd port, own data folder) on free loopback
    ports; yields its URL and how long it took to start."""
    exe = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    if not Path(exe).exists():
        raise RuntimeError("rabbitmq-server not installed (Debian: rabbitmq-server)")
    port, dist, epmd = free_port(), free_port(), free_port()
    folder = Path(tempfile.mkdtemp(prefix="ptsp-rabbit-"))
    (folder / "enabled_plugins").write_text("[].\n")
    (folder / "rabbitmq.conf").write_text(
        f"listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n")
    node = f"ptsp{port}@localhost"
    env = {**os.environ, "HOME": str(folder), "RABBITMQ_NODENAME": node,
           "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(port),
           "RABBITMQ_DIST_PORT": str(dist), "ERL_EPMD_PORT": str(epmd),
           "ERL_EPMD_ADDRESS": "127.0.0.1",
           "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"), "RABBITMQ_LOG_BASE": str(folder),
           "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
           "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),
           "RABBITMQ_ADVANCED_CONFIG_FILE": str(folder / "advanced.config"),
           "RABBITMQ_CONF_ENV_FILE": str(folder / "rabbitmq-env.conf"),
           "RABBITMQ_PID_FILE": str(folder / "rabbit.pid")}
    t = time.monotonic()
    proc = subprocess.Popen([exe], env=env, stdout=open(folder / "out.log", "w"),  # noqa: SIM115
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_port(port, start_timeout)
        yield f"amqp://guest:guest@127.0.0.1:{port}//", time.monotonic() - t
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # epmd runs as a daemon of its own: end the one of our private node (its port is in
        # its environment, not on its command line)
        for pid in pids_matching(b"epmd"):
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"ERL_EPMD_PORT={epmd}".encode() in environ:
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def pids_matching(*needles: bytes) -> list[int]:
    """Processes whose command line contains every one of ``needles``."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and all(n in cmd for n in needles):
            out.append(int(d.name))
    return out


def soffice_pids(workdir: Path) -> list[int]:
    """The LibreOffice processes (soffice.bin) that a worker with ``workdir`` started."""
    return pids_matching(b"soffice.bin", str(workdir).encode())


def start_worker(broker: str, workdir: Path, *, name: str, concurrency: int = 1,
                 visibility_timeout: float = 5, extra: tuple[str, ...] = (),
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    """``ptsp worker`` in a process group of its own (its children share it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        PTSP + ["worker", "--broker", broker, "--concurrency", str(concurrency),
                "--workdir", str(workdir), "--visibility-timeout", str(visibility_timeout),
                "--hostname", f"{name}@test", *extra],
        env=env, stdout=out, stderr=out, start_new_session=True)


def wait_workers(broker: str, names: list[str], timeout: float = 120) -> None:
    """Until every named worker answers a ping."""
    from ptsp.cluster.app import make_app

    app = make_app(broker)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            answered = {k.split("@")[0] for a in app.control.ping(timeout=0.5) for k in a}
            if set(names) <= answered:
                return
        raise TimeoutError(f"workers {names} did not answer in {timeout:.0f} s")
    finally:
        app.close()


def stop_worker(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM (Celery's warm shutdown), then SIGKILL what is left of its group."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still running after ``timeout`` seconds (zombies count as gone)."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = [p for p in left if _running(p)]
    return left


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
