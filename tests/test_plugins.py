"""Claims packages installed through the ``w2s.claims`` entry points: found, listed, certified; a broken one is
reported by name and does not hide the built-in families.

The example package (``examples/w2s-example-claims``) is built and installed with pip into a temporary directory
that the ``w2s`` subprocesses get on their path, so the test environment itself is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "w2s-example-claims"


def _w2s(args, site: Path, tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "w2s.validation.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / EXAMPLE.name  # build a copy: no build/ or egg-info in the tree
    shutil.copytree(EXAMPLE, source)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                           str(source)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(target.glob("w2s_example_claims-*.dist-info")), "pip did not install the package's metadata"
    return target


def test_an_installed_claims_package_is_listed(site, tmp_path):
    out = _w2s(["list", "example.", "--json"], site, tmp_path)
    assert out.returncode == 0, out.stderr
    ids = [c["id"] for c in json.loads(out.stdout)]
    assert ids == ["example.inverse-wishart-trace.gamma=0.25"]
    # without the package on the path, the claim is not there
    bare = subprocess.run([sys.executable, "-m", "w2s.validation.cli", "list", "example."], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert bare.returncode == 2 and "no claim matches" in bare.stderr


def test_an_installed_claims_package_certifies(site, tmp_path):
    out = _w2s(["certify", "example.", "--jobs", "1", "--no-figures", "--quiet", "--out", "rep"], site, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert [c["verdict"] for c in report["claims"]] == ["CERTIFIED"]


def test_a_broken_claims_package_is_named_and_the_rest_still_works(tmp_path):
    """A package whose module fails to import: one warning line naming it, built-in families still listed."""
    site = tmp_path / "broken-site"
    dist = site / "w2s_broken_claims-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: w2s-broken-claims\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[w2s.claims]\nbroken = w2s_broken_claims\n")
    (site / "w2s_broken_claims.py").write_text("raise RuntimeError('deliberately broken')\n")
    out = _w2s(["list", "ridge.", "--json"], site, tmp_path)
    assert out.returncode == 0, out.stderr
    assert any(c["id"].startswith("ridge.") for c in json.loads(out.stdout))
    warnings = [line for line in out.stderr.splitlines() if "broken" in line]
    assert len(warnings) == 1 and "w2s_broken_claims" in warnings[0] and "deliberately broken" in warnings[0]
