"""The dependency direction of STYLE.md: generator and signer import nothing of ours;
nothing imports ptsp.cli or ptsp.web."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports; relative imports (``from ..web import
    x``) are resolved against the file's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = list(path.resolve().relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module:
                    out.add(node.module)
                continue
            base = package[:len(package) - (node.level - 1)]
            if node.module:
                out.add(".".join([*base, node.module]))
            else:  # from . import a, b: each may be a module
                out.update(".".join([*base, a.name]) for a in node.names)
    return out


def test_relative_imports_are_resolved(tmp_path, monkeypatch):
    probe = ROOT / "ptsp" / "office" / "_layering_probe.py"
    text = "from ..web import app\nfrom . import store\nfrom .stages import Stage\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: text)
    assert imports_of(probe) == {"ptsp.web", "ptsp.office.store", "ptsp.office.stages"}


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
