"""The documentation ships with the package and stays true: the generated claims catalogue is current, every
family has its page, relative links resolve, nothing points outside the repository, and the Python API example
of docs/python-api.md runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from w2s.validation.catalogue import catalogue_markdown
from w2s.validation.registry import builtin_families, builtin_registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SCANNED = ("theory", "kernels", "validation", "benchmarks", "docs", "examples", "w2s")


def _builtin_catalogue() -> str:
    reg = builtin_registry()
    fams = set(builtin_families())
    return catalogue_markdown([c for c in reg if c.family in fams], [s for s in reg.shown.values() if s.family in fams])


def test_the_claims_catalogue_is_current():
    text = (DOCS / "claims.md").read_text()
    assert text == _builtin_catalogue(), "docs/claims.md is stale: regenerate with `w2s list --markdown > docs/claims.md`"


def test_the_catalogue_check_can_fail():
    assert _builtin_catalogue().replace("ridge", "ridg", 1) != (DOCS / "claims.md").read_text()


def test_every_family_has_a_page_and_the_index_links_it():
    index = (DOCS / "index.md").read_text()
    for fam in builtin_families():
        assert (DOCS / f"{fam}.md").is_file(), fam
        assert f"({fam}.md)" in index, f"docs/index.md does not link {fam}.md"


def _links(path: Path):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
        if not re.match(r"^[a-z]+://", target):
            yield target


@pytest.mark.parametrize("page", sorted([*DOCS.glob("*.md"), ROOT / "README.md", ROOT / "CHANGELOG.md"]),
                         ids=lambda p: p.name)
def test_relative_links_resolve(page):
    missing = [t for t in _links(page) if not (page.parent / t).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing {missing}"


def test_nothing_points_outside_the_repository():
    """Docstrings, provenance strings, docs and the README refer to docs/, never to the working notes outside."""
    pattern = re.compile("shared/" + r"(theory|CERTIFICATION|STYLE)|\.\./shared")
    offenders = []
    for top in SCANNED:
        for f in (ROOT / top).rglob("*"):
            if f.suffix in {".py", ".md", ".toml", ".txt"} and f.is_file():
                if pattern.search(f.read_text(errors="replace")):
                    offenders.append(str(f.relative_to(ROOT)))
    for f in (ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "pyproject.toml"):
        if pattern.search(f.read_text()):
            offenders.append(f.name)
    assert not offenders, offenders


def test_the_notebook_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "python-api.md").read_text(), flags=re.S)
    example = next(b for b in blocks if "mine = Claim(" in b)
    namespace: dict = {}
    exec(compile(example, "docs/python-api.md", "exec"), namespace)
    assert namespace["run"]["user.inverse-trace"].verdict == "CERTIFIED"
