"""`make demo`: demo keys, a batch of sample applications, signed decrees, verified.

Runs the real command line, as an office clerk would.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
PTSP = [str(ROOT / ".venv" / "bin" / "ptsp")]


def run(*args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    print("$ ptsp " + " ".join(args), file=sys.stderr, flush=True)
    return subprocess.run(PTSP + list(args), text=True, check=False,
                          stdout=subprocess.PIPE if capture else None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "demo")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--keys", choices=("pkcs12", "csc", "bsre"), default="pkcs12",
                    help="sign through a local DEMO CSC service or BSrE-shaped service")
    args = ap.parse_args()
    out = args.out.resolve()
    if args.keys != "pkcs12":
        out = out / args.keys
    out.mkdir(parents=True, exist_ok=True)
    if run("keys", "init", capture=True).returncode:
        return 1
    if args.keys != "pkcs12":
        from demo_remote import remote_service

        with remote_service(args.keys, out) as done:
            code = issue_and_verify(args, out)
            done()
        return code
    return issue_and_verify(args, out)


def issue_and_verify(args: argparse.Namespace, out: Path) -> int:
    apps = out / "applications.jsonl"
    if run("sample", "--count", str(args.count), "--out", str(apps)).returncode:
        return 1
    decrees = out / "decrees"
    t = time.perf_counter()
    r = run("issue", "--input", str(apps), "--out", str(decrees),
            "--report", str(out / "report.json"))
    took = time.perf_counter() - t
    if r.returncode:
        print("demo: the batch did not issue cleanly; see the messages above", file=sys.stderr)
        return 1
    pdfs = sorted(decrees.glob("*.pdf"))
    # The same check as `ptsp verify FILE`, in one process for the whole folder.
    from ptsp.cli import Ctx
    from ptsp.verify import verify_file

    ctx = Ctx(None, None, False)
    verdicts: dict[str, int] = {}
    print(f"$ ptsp verify <each of {len(pdfs)} decrees>", file=sys.stderr)
    for pdf in pdfs:
        verdict = verify_file(ctx.profile, ctx.registry, pdf).verdict
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    print("", file=sys.stderr)
    print(f"demo: {len(pdfs)} signed decrees in {decrees} (batch took {took:.1f} s)",
          file=sys.stderr)
    print(f"demo: verification: {verdicts}", file=sys.stderr)
    print(f"demo: applications {apps}; batch report {out / 'report.json'}", file=sys.stderr)
    print("demo: check one yourself:  .venv/bin/ptsp verify " + str(pdfs[0]) if pdfs else "",
          file=sys.stderr)
    if args.keys != "pkcs12":
        print(f"demo: signed through the local DEMO {args.keys.upper()} service "
              f"(profile {os.environ.get('PTSP_PROFILE')})", file=sys.stderr)
    print("demo: the keys are DEMO ONLY (keys/generated); see keys/README.md", file=sys.stderr)
    return 0 if pdfs and verdicts.get("SAH") == len(pdfs) else 1


if __name__ == "__main__":
    sys.exit(main())
