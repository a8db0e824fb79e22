"""Page images of a decree for review in the browser (``pdftoppm -r 80 -png``), cached by the
file's SHA-256 in the office's data folder."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
from pathlib import Path

from ..errors import PtspError

RESOLUTION = 80
_lock = threading.Lock()


class PageError(PtspError):
    pass


def page_images(pdf: Path, cache_dir: Path, *, timeout: float = 60) -> list[Path]:
    """PNG files of every page of ``pdf`` (rendered once per distinct file)."""
    try:
        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    except OSError as e:
        raise PageError(f"cannot read {pdf}: {e.strerror}") from e
    folder = cache_dir / digest
    with _lock:
        if not (folder / "done").exists():
            exe = shutil.which("pdftoppm")
            if exe is None:
                raise PageError("pdftoppm (poppler-utils) is not installed")
            tmp = cache_dir / f".{digest}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                subprocess.run([exe, "-r", str(RESOLUTION), "-png", str(pdf), str(tmp / "hal")],
                               check=True, capture_output=True, timeout=timeout)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
                shutil.rmtree(tmp, ignore_errors=True)
                raise PageError(f"pdftoppm could not render {pdf.name}: {e}") from e
            (tmp / "done").touch()
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
    # pdftoppm pads the page number to the width of the page count: sort numerically
    return sorted(folder.glob("hal-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
