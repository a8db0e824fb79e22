"""LibreOffice's CPU per decree, per permit, and what a template feature costs in it.

    python scripts/lo_cost.py [--reps 5] [--without FEATURE ...] [CODE ...]

Renders each permit's sample decree (``ptsp.samples``), converts it with one warm LibreOffice
instance (the pool ``ptsp issue`` uses), and prints the CPU the LibreOffice process spent per
conversion (from ``/proc``, median of ``--reps``) and the page count. With ``--without``,
each FEATURE is taken out of the rendered decree and the variants are converted in turn,
interleaved with the decree as it is, so that a busy spell of a shared machine hits them all
alike; differences of a few ms are noise (the tick is 10 ms; compare several reps).

Features: cantsplit (rows kept on one page), keepnext (paragraphs kept with the next),
rfonts (each run's direct font setting), drawings (emblem and QR code), hdrftr (header and
footers), titlepg (a separate first page), justify (justified paragraphs).

Used to find where LibreOffice's time goes on the decrees (README, Performance).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TICK = os.sysconf("SC_CLK_TCK")

#: Each feature, as a change to word/document.xml that takes it out.
WITHOUT: dict[str, Callable[[str], str]] = {
    "cantsplit": lambda x: x.replace("<w:cantSplit/>", ""),
    "keepnext": lambda x: x.replace("<w:keepNext/>", ""),
    "rfonts": lambda x: re.sub(r"<w:rFonts [^>]*/>", "", x),
    "drawings": lambda x: re.sub(r"<w:drawing>.*?</w:drawing>", "", x, flags=re.S),
    "hdrftr": lambda x: re.sub(r"<w:(?:header|footer)Reference [^>]*/>", "", x),
    "titlepg": lambda x: x.replace("<w:titlePg/>", ""),
    "justify": lambda x: x.replace('<w:jc w:val="both"/>', ""),
}


def without(docx: bytes, feature: str) -> bytes:
    """``docx`` with ``feature`` taken out of its main part."""
    change = WITHOUT[feature]
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)
    return out.getvalue()


def cpu_s(pid: int) -> float:
    raw = Path(f"/proc/{pid}/stat").read_text()
    rest = raw[raw.rfind(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / TICK


def pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return int(m.group(1)) if m else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("codes", nargs="*", metavar="CODE", help="permits (default: all)")
    ap.add_argument("--reps", type=int, default=5, help="conversions per variant (median)")
    ap.add_argument("--without", action="append", default=[], choices=sorted(WITHOUT),
                    help="also convert the decree without this feature (repeatable)")
    args = ap.parse_args(argv)

    from generator.catalog import load_catalog
    from generator.convert import LibreOfficePool, PoolSettings
    from generator.render import DecreeRenderer
    from ptsp.legal import configured_ca_name
    from ptsp.profile import load_profile
    sys.path.insert(0, str(ROOT / "scripts"))
    from previews import render_sample

    catalog = load_catalog()
    services = [s for s in catalog.with_templates if not args.codes or s.code in args.codes]
    if not services:
        print("no such permit with a template", file=sys.stderr)
        return 2
    profile = load_profile()
    on = date.today()
    renderer = DecreeRenderer(
        profile.render_context(on, signing_ca=configured_ca_name(profile, on)),
        emblem=profile.office.emblem)
    url = profile.verify_url("PRATINJAU")
    variants = ["as is", *args.without]
    print(f"{'permit':14s} pages " + " ".join(f"{v:>12s}" for v in variants)
          + "   (LibreOffice CPU ms per conversion, median)")
    # One instance, never restarted: its pid is the process whose CPU is read.
    with LibreOfficePool(PoolSettings(size=1, max_docs=10**9, max_rss_mb=10**6)) as pool:
        pool.start()
        for service in services:
            docx = render_sample(renderer, service, 1, on, url)
            docs = {"as is": docx, **{f: without(docx, f) for f in args.without}}
            pid = pool.soffice_pids[0]
            n_pages = pages(pool.convert(docx, service.code))  # also warms the instance
            took: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(max(1, args.reps)):
                for v in variants:
                    c0 = cpu_s(pid)
                    pool.convert(docs[v], f"{service.code} {v}")
                    took[v].append(1000 * (cpu_s(pid) - c0))
            print(f"{service.code:14s} {n_pages:5d} "
                  + " ".join(f"{statistics.median(took[v]):12.0f}" for v in variants),
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
