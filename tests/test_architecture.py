"""The import structure: dependencies flow one way, and there is no import cycle anywhere.

* ``theory`` and ``kernels`` never import each other, nor ``validation``;
* the certifier engine (every module of ``validation/`` outside ``validation/claims/``) never imports a family;
* a family (``validation/claims/<family>``) imports the engine, ``w2s.theory`` and ``w2s.kernels`` only, never
  another family;
* a family has the same name in ``theory/``, ``kernels/`` and ``validation/claims/`` where it has modules there;
* the module graph of the package (static imports, including those inside functions) has no cycle.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIRS = {"theory": "w2s.theory", "kernels": "w2s.kernels", "validation": "w2s.validation"}
FORBIDDEN = {
    "theory": ("w2s.kernels", "w2s.validation", "kernels", "validation"),
    "kernels": ("w2s.theory", "w2s.validation", "theory", "validation"),
}
FAMILIES = "w2s.validation.claims"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    parts[0] = DIRS[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for d in DIRS:
        for f in sorted((ROOT / d).rglob("*.py")):
            if f.name.startswith("test_") or f.name == "conftest.py":
                continue
            out[_module_name(f)] = f
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Absolute names of the package modules that ``name`` imports (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return found


def _graph() -> dict[str, set[str]]:
    return {m: {i for i in _imports(m, p) if i in MODULES and i != m} for m, p in MODULES.items()}


def _is_family(m: str) -> bool:
    return m.startswith(FAMILIES + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_one_way_dependencies(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for f in files:
        bad = [m for m in _imports(_module_name(f), f)
               if any(m == p or m.startswith(p + ".") for p in FORBIDDEN[package])]
        assert not bad, f"{f.relative_to(ROOT)} imports {bad}"


def test_the_engine_imports_no_family_and_families_no_other_family():
    graph = _graph()
    assert any(_is_family(m) for m in graph), "no family found under validation/claims/"
    for m, deps in graph.items():
        fams = {d for d in deps if _is_family(d)}
        if m.startswith("w2s.validation") and not _is_family(m):
            assert not fams, f"engine module {m} imports the family {sorted(fams)}"
        if _is_family(m):
            own = ".".join(m.split(".")[:4])
            assert all(d == own or d.startswith(own + ".") for d in fams), f"{m} imports {sorted(fams)}"


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle = stack[stack.index(d):] + [d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)


def test_the_cycle_detector_finds_a_cycle(monkeypatch, tmp_path):
    """The cycle check can fail: two modules that import each other are reported."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from w2s.theory import b\n")
    b.write_text("import w2s.theory.a\n")
    monkeypatch.setitem(MODULES, "w2s.theory.a", a)
    monkeypatch.setitem(MODULES, "w2s.theory.b", b)
    with pytest.raises(AssertionError, match="import cycle"):
        test_no_import_cycle()


def test_a_family_has_one_name_in_three_places():
    from w2s.validation.registry import builtin_families

    families = builtin_families()
    assert families
    for fam in families:
        assert (ROOT / "theory" / f"{fam}.py").is_file(), f"family {fam} has no theory/{fam}.py"
        assert (ROOT / "kernels" / f"{fam}.py").is_file(), f"family {fam} has no kernels/{fam}.py"
        assert (ROOT / "validation" / f"test_{fam}.py").is_file(), f"family {fam} has no validation/test_{fam}.py"
        assert (ROOT / "docs" / f"{fam}.md").is_file(), f"family {fam} has no docs/{fam}.md"


def test_installed_under_the_w2s_namespace_only():
    """Our top-level directories must not be importable as top-level packages (they would shadow PyPI's
    `kernels` and `validation`)."""
    import w2s.kernels
    import w2s.theory
    import w2s.validation

    for mod, name in ((w2s.theory, "theory"), (w2s.kernels, "kernels"), (w2s.validation, "validation")):
        assert Path(mod.__file__).parent == ROOT / name
        assert mod.__name__ == f"w2s.{name}"
