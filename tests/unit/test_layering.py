"""The dependency direction of STYLE.md: generator and signer import nothing of ours;
nothing imports ptsp.cli or ptsp.web."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_libraries_import_nothing_of_ours():
    for lib, forbidden in (("generator", ("signer", "ptsp")), ("signer", ("generator", "ptsp"))):
        for path in (ROOT / lib).rglob("*.py"):
            for name in imports_of(path):
                top = name.split(".")[0]
                assert top not in forbidden, f"{path.relative_to(ROOT)} imports {name}"
                assert top not in ("click", "fastapi", "starlette", "rich"), \
                    f"{path.relative_to(ROOT)} imports UI package {name}"


def test_nothing_imports_the_cli_or_web():
    for path in (ROOT / "ptsp").rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[1] in ("cli.py", "web", "commands") or rel.name == "__main__.py":
            continue
        for name in imports_of(path):
            assert not name.startswith(("ptsp.cli", "ptsp.web", "ptsp.commands")), \
                f"{rel} imports {name}"
