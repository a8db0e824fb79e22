"""Pytest fixtures for the registry on real databases, and multiprocessing workers for its tests.

Fixtures: ``registry`` (an open registry, parametrized over ``sqlite`` and ``postgresql``),
``registry_url`` (a fresh, migrated database URL of either backend), ``empty_db_url`` (a fresh
database without schema), ``pg_admin_url`` (the server's maintenance URL).

PostgreSQL comes from ``PTSP_TEST_PG_URL`` when set, else a throwaway server is started for the
session with ``scripts/pg-throwaway.sh``. Without PostgreSQL binaries the ``postgresql`` params are
skipped with the reason, unless ``CI`` is set: then they fail.

Load with ``pytest_plugins = ["tests.registry_support"]``, or in a test module
``from tests.registry_support import *``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ptsp.registry import NumberingPolicy, SqlRegistry, open_registry

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "pg-throwaway.sh"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=[pytest.mark.postgres]),
]

__all__ = [
    "BACKENDS",
    "empty_db_url",
    "make_registry",
    "pg_admin_url",
    "pg_template_db",
    "registry",
    "registry_backend",
    "registry_url",
    "reserve_worker",
    "run_workers",
    "same_ids_worker",
]

_db_counter = itertools.count(1)


def _pg_binaries_present() -> bool:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"], "initdb").exists()
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or bool(shutil.which("initdb"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL required in CI: {reason}", pytrace=False)
    warnings.warn(f"registry PostgreSQL tests SKIPPED: {reason}", stacklevel=2)
    pytest.skip(f"PostgreSQL tests skipped: {reason} (set PTSP_TEST_PG_URL or install postgresql)")


# One server and one template per pytest process, however many modules import these fixtures
# (``from tests.registry_support import *`` gives every module its own copy of a session fixture).
_shared: dict[str, Any] = {}


def _start_server(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("PTSP_TEST_PG_URL")
    if not url:
        if not _pg_binaries_present():
            _unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")
        state = tmp_path_factory.mktemp("pg") / "state"
        env = {**os.environ, "PTSP_PG_STATE": str(state)}
        proc = subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True,
                              text=True, timeout=120)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("PTSP_TEST_PG_URL=")),
                    None)
        if proc.returncode != 0 or line is None:
            pytest.fail(f"could not start a throwaway PostgreSQL:\n{proc.stderr}", pytrace=False)
        config.add_cleanup(lambda: subprocess.run(["bash", str(SCRIPT), "stop"], env=env,
                                                  capture_output=True, timeout=120))
        url = line.split("=", 1)[1]
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.SQLAlchemyError as e:
        _unavailable(f"cannot connect to {make_url(url).render_as_string()}: {e}")
    return url


@pytest.fixture(scope="session")
def pg_admin_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a PostgreSQL server where the tests may create databases."""
    if "error" in _shared:
        _unavailable(_shared["error"])
    if "url" not in _shared:
        try:
            _shared["url"] = _start_server(request.config, tmp_path_factory)
        except pytest.skip.Exception as e:
            _shared["error"] = str(e)
            raise
    return str(_shared["url"])


def _pg_exec(admin_url: str, *statements: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def _pg_db_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template_db(request: pytest.FixtureRequest, pg_admin_url: str) -> str:
    """A database migrated to head once per session; tests get copies (CREATE DATABASE TEMPLATE)."""
    if "template" not in _shared:
        name = f"ptsp_reg_tmpl_{os.getpid()}"
        _pg_exec(pg_admin_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
        open_registry(_pg_db_url(pg_admin_url, name)).close()
        drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        request.config.add_cleanup(lambda: _pg_exec(pg_admin_url, drop))
        _shared["template"] = name
    return str(_shared["template"])


def _new_pg_db(request: pytest.FixtureRequest, admin_url: str, template: str) -> str:
    name = f"ptsp_reg_{os.getpid()}_{next(_db_counter)}"
    _pg_exec(admin_url, f"CREATE DATABASE {name} TEMPLATE {template}")
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    request.addfinalizer(lambda: _pg_exec(admin_url, drop))
    return _pg_db_url(admin_url, name)


@pytest.fixture(params=BACKENDS)
def registry_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def registry_url(
    request: pytest.FixtureRequest, registry_backend: str, tmp_path: Path
) -> str:
    """A fresh database at schema head, of the parametrized backend."""
    if registry_backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
        open_registry(url).close()
        return url
    admin = request.getfixturevalue("pg_admin_url")
    return _new_pg_db(request, admin, request.getfixturevalue("pg_template_db"))


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, registry_backend: str, tmp_path: Path) -> str:
    """A fresh database without any schema, of the parametrized backend."""
    if registry_backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite'}"
    return _new_pg_db(request, request.getfixturevalue("pg_admin_url"), "template0")


@pytest.fixture
def make_registry(registry_url: str) -> Iterator[Callable[..., SqlRegistry]]:
    """``make_registry(numbering=...)`` opens (more) registries on the test's database."""
    opened: list[SqlRegistry] = []

    def make(numbering: NumberingPolicy | None = None) -> SqlRegistry:
        reg = open_registry(registry_url, numbering=numbering or NumberingPolicy(), migrate=False)
        opened.append(reg)
        return reg

    yield make
    for reg in opened:
        reg.close()


@pytest.fixture
def registry(make_registry: Callable[..., SqlRegistry]) -> SqlRegistry:
    """An open registry (default numbering policy) on a fresh database of each backend."""
    return make_registry()


# ------------------------------------------------------------------ multiprocessing

def _worker_main(fn: Callable[..., Any], args: tuple[Any, ...], barrier: Any, queue: Any,
                 index: int) -> None:
    try:
        prepared = fn(index, *args, phase="prepare")
        barrier.wait(timeout=120)
        start = time.monotonic()
        result = fn(index, *args, phase="run", prepared=prepared)
        queue.put((index, "ok", start, time.monotonic(), result))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        queue.put((index, "error", 0.0, 0.0, traceback.format_exc()))


def run_workers(
    fn: Callable[..., Any], n: int, *args: Any, timeout: float = 180
) -> tuple[float, list[Any]]:
    """Run ``fn(index, *args, phase=...)`` in ``n`` spawned processes that start together.

    ``fn`` is called once with ``phase="prepare"`` (open connections) and once with
    ``phase="run", prepared=...``; returns (wall seconds of the run phases, results by index).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(n)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker_main, args=(fn, args, barrier, queue, i))
             for i in range(n)]
    for p in procs:
        p.start()
    outcomes = []
    try:
        for _ in range(n):
            outcomes.append(queue.get(timeout=timeout))
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [o[4] for o in outcomes if o[1] == "error"]
    assert not errors, "worker failed:\n" + "\n".join(errors)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    wall = max(o[3] for o in outcomes) - min(o[2] for o in outcomes)
    return wall, [o[4] for o in sorted(outcomes, key=lambda o: o[0])]


def reserve_worker(
    index: int,
    url: str,
    policy: dict[str, Any],
    count: int,
    permits: tuple[str, ...],
    *,
    phase: str,
    prepared: Any = None,
) -> Any:
    """Reserve ``count`` numbers for fresh application ids; returns the numbers taken."""
    from datetime import date

    if phase == "prepare":
        reg = open_registry(url, numbering=NumberingPolicy(**policy), migrate=False)
        reg.get("warm-up")  # open the connection before the start line
        return reg
    reg = prepared
    taken = []
    for i in range(count):
        rec = reg.reserve(
            application_id=f"P{index}-{i}", permit=permits[i % len(permits)],
            holder_name=f"Pemohon {index}-{i}", holder_nik_masked=None,
            received_on=date(2025, 3, 3), approved_on=None, data={}, actor=f"clerk{index}",
        )
        taken.append(rec.number)
    reg.close()
    return taken


def same_ids_worker(
    index: int, url: str, app_ids: list[str], *, phase: str, prepared: Any = None
) -> Any:
    """Reserve the same application ids as the other workers (in a worker-specific order)."""
    import random

    if phase == "prepare":
        reg = open_registry(url, migrate=False)
        reg.get("warm-up")
        return reg
    reg = prepared
    ids = list(app_ids)
    random.Random(index).shuffle(ids)
    got = {}
    for app in ids:
        rec = reg.reserve(application_id=app, permit="PBG", holder_name="Pemohon",
                          holder_nik_masked=None, received_on=None, approved_on=None, data={},
                          actor=f"clerk{index}")
        got[app] = rec.number
    reg.close()
    return got
