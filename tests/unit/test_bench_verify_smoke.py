"""Smoke test of ``scripts/bench_verify.py`` (``make bench-verify``): its command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_verify.py"


def test_help_lists_the_options():
    r = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    for opt in ("--count", "--duration", "--clients", "--qr-clients", "--workers", "--json",
                "--no-portal"):
        assert opt in r.stdout
