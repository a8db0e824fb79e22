"""The application's one way to build a DOCX -> PDF converter (a warm LibreOffice pool)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generator.convert import LibreOfficePool, PoolSettings


def libreoffice_pool(data_dir: Path, *, size: int | None = None,
                     on_event: Callable[[str], None] | None = None) -> LibreOfficePool:
    """A LibreOffice pool of ``size`` instances (default: by the CPU count) whose profiles
    live under ``data_dir/lo``, kept across runs so later starts are warm."""
    settings = PoolSettings(size=size) if size else PoolSettings()
    return LibreOfficePool(settings, workdir=data_dir / "lo", on_event=on_event)
