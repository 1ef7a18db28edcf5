"""Dependencies flow one way: validation -> theory and validation -> kernels; theory and kernels never import
each other (nor validation)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "theory": ("w2s.kernels", "w2s.validation", "kernels", "validation"),
    "kernels": ("w2s.theory", "w2s.validation", "theory", "validation"),
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_one_way_dependencies(package):
    files = sorted((ROOT / package).glob("*.py"))
    assert files
    for f in files:
        bad = [m for m in _imports(f) if any(m == p or m.startswith(p + ".") for p in FORBIDDEN[package])]
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_installed_under_the_w2s_namespace_only():
    """Our top-level directories must not be importable as top-level packages (they would shadow PyPI's
    `kernels` and `validation`)."""
    import w2s.kernels
    import w2s.theory
    import w2s.validation

    for mod, name in ((w2s.theory, "theory"), (w2s.kernels, "kernels"), (w2s.validation, "validation")):
        assert Path(mod.__file__).parent == ROOT / name
        assert mod.__name__ == f"w2s.{name}"
