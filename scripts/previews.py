"""Render each permit's sample decree and write the first page as PNG, with an index page.

    python scripts/previews.py --out demo/previews [--permit CODE ...] [--workers N]

Every permit with a decree template gets one synthetic application (``ptsp.samples``), rendered
with the office profile, converted to PDF by one LibreOffice pool and cut to its first page with
``pdftoppm -r 70``. ``index.html`` shows the pages side by side, grouped by sector, for a clerk to
read through. Exits non-zero when any permit fails (and says which).
"""

from __future__ import annotations

import argparse
import html
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generator.applications import Application, RecordRef, validate_record  # noqa: E402
from generator.catalog import Service, load_catalog  # noqa: E402
from generator.convert import LibreOfficePool, PoolSettings, default_size  # noqa: E402
from generator.render import DecreeRenderer, RenderInput  # noqa: E402
from ptsp.profile import load_profile  # noqa: E402
from ptsp.samples import sample_application  # noqa: E402

DPI = 70


def render_sample(renderer: DecreeRenderer, service: Service, seq: int, on: date,
                  profile_url: str) -> bytes:
    """The rendered DOCX of one synthetic application for ``service``."""
    catalog = load_catalog()
    raw = sample_application(service, seq, approved_on=on)
    app = validate_record(raw, RecordRef(f"sample-{service.code}", seq), catalog)
    if not isinstance(app, Application):
        raise ValueError("; ".join(app.describe()))
    number = f"503/{seq:04d}/{service.code}/DPMPTSP-BLG/{_roman(on.month)}/{on.year}"
    return renderer.render(service, app, RenderInput(number, profile_url, on))


def _roman(month: int) -> str:
    from generator.dates import roman

    return roman(month)


def first_page_png(pdf: bytes, out_png: Path) -> None:
    """Write page 1 of ``pdf`` to ``out_png`` with pdftoppm."""
    with tempfile.TemporaryDirectory(prefix="ptsp-prev-") as tmp:
        src = Path(tmp) / "d.pdf"
        src.write_bytes(pdf)
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-png",
                        "-singlefile", str(src), str(stem)], check=True,
                       capture_output=True)
        out_png.write_bytes(stem.with_suffix(".png").read_bytes())


def write_index(out: Path, services: list[Service], failed: dict[str, str]) -> Path:
    by_sector: dict[str, list[Service]] = {}
    for s in services:
        by_sector.setdefault(s.sector or "Lainnya", []).append(s)
    parts = [
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>",
        "<title>Pratinjau Keputusan Perizinan</title><style>",
        "body{font-family:sans-serif;margin:1em;background:#eee}",
        "h2{margin:1.2em 0 .4em}",
        ".row{display:flex;flex-wrap:wrap;gap:12px}",
        "figure{margin:0;background:#fff;padding:6px;box-shadow:0 1px 3px #999}",
        "figcaption{font-size:12px;max-width:595px;margin-top:4px}",
        "img{display:block;width:595px}",
        ".fail{color:#a00;white-space:pre-wrap}",
        "</style></head><body><h1>Pratinjau halaman pertama Keputusan</h1>",
        f"<p>{len(services) - len(failed)} dari {len(services)} izin; contoh data sintetis.</p>",
    ]
    for sector, items in sorted(by_sector.items()):
        parts.append(f"<h2>{html.escape(sector)}</h2><div class='row'>")
        for s in items:
            cap = f"<b>{html.escape(s.code)}</b> — {html.escape(s.name)}"
            if s.code in failed:
                parts.append(f"<figure><figcaption>{cap}<div class='fail'>"
                             f"{html.escape(failed[s.code])}</div></figcaption></figure>")
            else:
                parts.append(f"<figure><img src='{html.escape(s.code)}.png' "
                             f"alt='{html.escape(s.code)}' loading='lazy'>"
                             f"<figcaption>{cap}</figcaption></figure>")
        parts.append("</div>")
    parts.append("</body></html>\n")
    index = out / "index.html"
    index.write_text("".join(parts), encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the PNGs and index.html")
    ap.add_argument("--permit", action="append", default=[], metavar="CODE",
                    help="only this permit (repeatable)")
    ap.add_argument("--workers", type=int, default=min(4, default_size()),
                    help="LibreOffice instances (default: up to 4)")
    ap.add_argument("--seq", type=int, default=1, help="sample number (changes names, variants)")
    ap.add_argument("--pdf", action="store_true",
                    help="also keep each whole decree as <CODE>.pdf (to read every page)")
    args = ap.parse_args(argv)

    catalog = load_catalog()
    services = list(catalog.with_templates)
    if args.permit:
        unknown = [c for c in args.permit if catalog.find(c) is None]
        if unknown:
            print(f"unknown permit code(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        services = [s for s in services if s.code in set(args.permit)]
        missing = set(args.permit) - {s.code for s in services}
        if missing:
            print(f"no decree template for: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    profile = load_profile()
    on = date.today()
    emblem = profile.office.emblem
    from ptsp.legal import configured_ca_name

    renderer = DecreeRenderer(
        profile.render_context(on, signing_ca=configured_ca_name(profile, on)), emblem=emblem)
    url = profile.verify_url("PRATINJAU")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    failed: dict[str, str] = {}
    docs: dict[str, bytes] = {}
    for s in services:
        try:
            docs[s.code] = render_sample(renderer, s, args.seq, on, url)
        except Exception as e:  # noqa: BLE001 - reported per permit
            failed[s.code] = f"render: {e}"

    t0 = time.monotonic()
    size = max(1, min(args.workers, len(docs) or 1))
    with LibreOfficePool(PoolSettings(size=size)) as pool:
        def convert(code: str) -> tuple[str, str | None]:
            try:
                pdf = pool.convert(docs[code], code)
                first_page_png(pdf, out / f"{code}.png")
                if args.pdf:
                    (out / f"{code}.pdf").write_bytes(pdf)
                return code, None
            except Exception as e:  # noqa: BLE001 - reported per permit
                return code, f"convert: {e}"

        with ThreadPoolExecutor(max_workers=size) as ex:
            for code, err in ex.map(convert, list(docs)):
                if err:
                    failed[code] = err
    index = write_index(out, services, failed)
    print(f"{len(services) - len(failed)}/{len(services)} previews in {out} "
          f"({time.monotonic() - t0:.0f} s conversion); open {index}")
    for code, err in sorted(failed.items()):
        print(f"{code}: {err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
