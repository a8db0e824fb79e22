"""One set of demo TSA/OCSP/CRL services shared by every process that signs with a demo PKI.

The service URL (and so the port) is baked into the demo certificates, so two batches cannot
each run their own services. Instead:

- every user of the services holds a *shared* ``flock`` on ``services.users.lock`` in the PKI
  directory for as long as it signs; the kernel drops it when the process ends, however it
  ends (SIGKILL included), so no lock is ever stale;
- the first user (under ``services.start.lock``, so two users never race to start) finds the
  port free and starts the services in a detached child process (its own session, so a Ctrl-C
  of one batch does not end them for the others);
- later users find the port answering :data:`~signer.pki.IDENTITY_PATH` with the same root
  and issuing CA as their own files, and use those services;
- the child checks every ``poll`` seconds whether it can take the lock *exclusively*: then no
  user is left, and it closes the port and exits. A user that arrives meanwhile waits for the
  shared lock until the port is closed, then starts a new child.

A port held by anything else (another program, or the services of a different demo PKI) is a
:class:`~signer.errors.PkiError` that names the port.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import PkiError
from .pki import IDENTITY_PATH, DemoPki, DemoServices, load_demo_pki, pki_identity

__all__ = ["USERS_LOCK", "demo_services_lease", "probe"]

USERS_LOCK = "services.users.lock"
START_LOCK = "services.start.lock"
LOG = "services.log"
_START_TIMEOUT = 60.0


def probe(pki: DemoPki, timeout: float = 5.0) -> str:
    """What listens on the PKI's service port: ``"free"``, ``"ours"`` (the services of this
    very PKI) or ``"foreign"`` (anything else, including another demo PKI)."""
    url = pki.service_url + IDENTITY_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - 127.0.0.1
            body = resp.read(4096)
    except urllib.error.HTTPError:
        return "foreign"
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            return "free"
        return "foreign"
    except ConnectionRefusedError:
        return "free"
    except (OSError, ValueError):  # reset, timeout, not HTTP
        return "foreign"
    try:
        theirs = json.loads(body)
    except ValueError:
        return "foreign"
    return "ours" if theirs == pki_identity(pki) else "foreign"


def _lock(path: Path, mode: int, what: str, timeout: float) -> IO[str]:
    f = open(path, "a+")  # noqa: SIM115 - held for the lease, closed by the caller
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(f, mode | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if time.monotonic() > deadline:
                f.close()
                raise PkiError(f"timed out waiting for {what} ({path})") from None
            time.sleep(0.05)


def _foreign(pki: DemoPki) -> PkiError:
    host, port = pki.host_port
    return PkiError(
        f"port {port} on {host} (the demo PKI's TSA/OCSP/CRL address, baked into its "
        f"certificates) is in use by another program, not by the demo services of the PKI in "
        f"{pki.out_dir}: stop that program, or rebuild the demo PKI on another port")


def _start_child(pki: DemoPki, poll: float) -> None:
    log = open(pki.out_dir / LOG, "ab")  # noqa: SIM115 - handed to the child
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "signer.pki_services", str(pki.out_dir), str(poll)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            start_new_session=True)
    finally:
        log.close()
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], _START_TIMEOUT)
    line = (child.stdout.readline().decode("utf-8", "replace").strip() if ready
            else f"no answer within {_START_TIMEOUT:.0f} s")
    child.stdout.close()
    if line == "ready":
        return
    try:
        child.wait(timeout=0 if not ready else 10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if line.startswith("port-in-use"):
        raise _foreign(pki)
    host, port = pki.host_port
    raise PkiError(f"the demo TSA/OCSP/CRL services did not start on {host}:{port}: "
                   f"{line or 'no answer'} (see {pki.out_dir / LOG})")


@contextmanager
def demo_services_lease(pki: DemoPki, *, poll: float = 0.5,
                        timeout: float = _START_TIMEOUT) -> Iterator[DemoPki]:
    """Make sure the demo services of ``pki`` run, and keep them running until this context
    ends (and every other process's lease too)."""
    users = _lock(pki.out_dir / USERS_LOCK, fcntl.LOCK_SH, "the demo services", timeout)
    try:
        start = _lock(pki.out_dir / START_LOCK, fcntl.LOCK_EX,
                      "another process starting the demo services", timeout)
        try:
            state = probe(pki)
            if state == "foreign":
                raise _foreign(pki)
            if state == "free":
                _start_child(pki, poll)
        finally:
            start.close()
        yield pki
    finally:
        users.close()


def _serve(out_dir: Path, poll: float) -> int:
    """The child: serve until no process holds a lease any more."""
    try:
        pki = load_demo_pki(out_dir)
        services = DemoServices(pki).start()
    except PkiError as e:
        text = str(e)
        print(("port-in-use " if "could not listen" in text else "") + text, flush=True)
        return 1
    users = open(out_dir / USERS_LOCK, "a+")  # noqa: SIM115
    print("ready", flush=True)
    os.close(1)  # nobody reads any more
    while True:
        time.sleep(poll)
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue
        # nobody holds a lease: close the port *before* letting a newcomer take the lock
        services.stop()
        return 0


if __name__ == "__main__":
    sys.exit(_serve(Path(sys.argv[1]), float(sys.argv[2])))
