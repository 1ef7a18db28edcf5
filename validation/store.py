"""Durable block store: every finished block of a run is on disk as soon as it arrives, so that an interrupted
run resumes where it stopped (``w2s certify --resume``) and loses at most the blocks that were in flight.

Layout of a store directory (``OUT/blocks`` unless ``--store DIR``)::

    manifest.json          what the run is: version stamp, seed, tier, block size, claims and their fingerprints
    <sha256 of key>.npz    one block: the simulator's raw output, exactly (numpy .npz, no pickle)

Key. A block is named by the SHA-256 of everything that determines its content: the simulation key, a
fingerprint of the simulation's parameters (and, for a claim defined outside this package, of its source file),
``d``, the block index, the replicate count, the seed, :data:`~w2s.validation.runner.BLOCK_SIZE`, and the
:func:`version_stamp` (package version plus a hash of the package's source: a changed simulator never reuses a
stale block). The key is also stored inside the file and compared on load.

Writes are atomic: a block is written to a temporary file in the store directory, then renamed over its name
(``os.replace``), so a crash leaves either the whole block or none. Files are not ``fsync``-ed (that costs
milliseconds per block); a power loss can therefore leave a truncated or zeroed file, which the checksum catches.

Checksum. Each file holds the SHA-256 of its arrays (names, dtypes, shapes, bytes); a block whose checksum,
key or format does not verify is reported (one warning) and simulated again, never used.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

__all__ = ["FORMAT", "StoreError", "CorruptBlockWarning", "BlockStore", "version_stamp", "claim_fingerprint",
           "source_closure", "claim_source_hash", "ENGINE_MODULES",
           "run_manifest"]

#: Layout version of the store; part of every key.
FORMAT = 1
MANIFEST = "manifest.json"
_BLOCK_RE = re.compile(r"^[0-9a-f]{40}\.npz$")
_TMP_RE = re.compile(r"^\.([0-9a-f]{40}\.npz|manifest\.json)\..*\.tmp$")
_META = "__w2s_meta__"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


class StoreError(ValueError):
    """A store that cannot be used (unwritable path, or ``--resume`` on a store of another run)."""


class CorruptBlockWarning(UserWarning):
    """A stored block failed verification and is simulated again."""


def _package_version() -> str:
    try:
        return metadata.version("w2s-certify")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


@functools.lru_cache(maxsize=None)
def version_stamp() -> str:
    """``"<package version>+src.<hash>"``: the package version and a SHA-256 (16 hex digits) of the source of
    ``w2s.theory``, ``w2s.kernels`` and ``w2s.validation`` (tests excluded), so that any change of a simulator or
    a claim changes the stamp, even without a version bump."""
    import w2s.kernels
    import w2s.theory
    import w2s.validation

    h = hashlib.sha256()
    for mod in (w2s.theory, w2s.kernels, w2s.validation):
        root = Path(mod.__file__).parent
        for f in sorted(root.rglob("*.py")):
            if f.name.startswith("test_") or f.name == "conftest.py":
                continue
            h.update(f"{mod.__name__}/{f.relative_to(root).as_posix()}\0".encode())
            h.update(f.read_bytes())
    return f"{_package_version()}+src.{h.hexdigest()[:16]}"


def _module_file(name: str) -> Path | None:
    """The source file of module ``name`` of this package (``None`` when it has none)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(name: str, path: Path) -> set[str]:
    """The ``w2s.*`` modules that the source of module ``name`` imports (absolute and relative imports; a name
    imported from a package counts as its submodule when one exists, else as the package)."""
    import ast

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("w2s."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("w2s"):
                continue
            out.add(mod)
            for a in node.names:
                if _module_file(f"{mod}.{a.name}") is not None:
                    out.add(f"{mod}.{a.name}")
    return {m for m in out if m != "w2s"}


@functools.lru_cache(maxsize=None)
def source_closure(roots: tuple[str, ...]) -> dict[str, str]:
    """``{module: sha256 of its source}`` for the ``w2s.*`` modules ``roots`` and everything they import, directly or
    not, by static import statements (the built-in families, which :mod:`~w2s.validation.registry` imports by
    name at run time, are not followed: a family is in the closure only when its own modules are roots)."""
    seen: dict[str, str] = {}
    todo = [r for r in roots if r.startswith("w2s.")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:
            seen[name] = ""
            continue
        seen[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        parents = {name.rsplit(".", k)[0] for k in range(1, name.count("."))}  # run on import, before the module
        todo.extend((_imports(name, path) | parents) - set(seen))
    return dict(sorted(seen.items()))


#: Modules every verdict depends on, whatever the claim: the runner (blocks, seeds), the statistics, the registry.
ENGINE_MODULES = ("w2s.validation.runner", "w2s.validation.stats", "w2s.validation.registry")


def claim_source_hash(claim) -> str:
    """SHA-256 (hex, 16 digits) of the source a claim's verdict depends on: the closure (:func:`source_closure`) of
    the modules that define its predictor and simulator, and of :data:`ENGINE_MODULES`, plus
    :func:`claim_fingerprint`. An edit of another family leaves it unchanged."""
    from .runner import claim_modules

    roots = tuple(sorted({m for m in claim_modules(claim) if m.startswith("w2s.")} | set(ENGINE_MODULES)))
    doc = {"closure": source_closure(roots), "fingerprint": claim_fingerprint(claim)}
    return hashlib.sha256(_canonical(doc).encode()).hexdigest()[:16]


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return {"ndarray": v.tolist(), "dtype": v.dtype.str}
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float):
        return repr(v)  # exact, and inf/nan survive
    return v


def claim_fingerprint(claim) -> str:
    """SHA-256 (hex) of what a claim's simulation depends on beyond the package: its simulation key and parameters
    (a shared simulation's own parameters), and the source of the files defining it when they are not part of
    this package (a user's claims file)."""
    from .runner import claim_modules

    shared = getattr(claim.simulate, "shared", None)
    params = shared.params if shared is not None else claim.params
    sources = {}
    for name in sorted(claim_modules(claim)):
        if name.startswith("w2s.") or name in ("", "builtins"):
            continue
        path = getattr(sys.modules.get(name), "__file__", None)
        if path and os.path.isfile(path):
            sources[Path(path).name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return hashlib.sha256(_canonical({"sim_key": claim.sim_key, "params": _jsonable(dict(params)),
                                      "sources": sources}).encode()).hexdigest()


def run_manifest(claims: Iterable, tier: str, seed: int) -> dict:
    """What identifies a run's blocks: :func:`version_stamp`, seed, tier, block size, and the fingerprint of each
    claim. ``--resume`` requires every entry to match."""
    from .runner import BLOCK_SIZE

    return {"format": FORMAT, "stamp": version_stamp(), "seed": int(seed), "tier": tier, "block_size": BLOCK_SIZE,
            "claims": {c.id: claim_fingerprint(c) for c in claims}}


def _checksum(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _to_arrays(raw) -> tuple[str, dict[str, np.ndarray]] | None:
    """``(kind, arrays)`` for a raw simulator output, or None when it cannot be stored without pickle."""
    if isinstance(raw, Mapping):
        arrays = {}
        for k, v in raw.items():
            if not isinstance(k, str) or not isinstance(v, (np.ndarray, np.generic)):
                return None
            arrays[f"dict.{k}"] = np.asarray(v)
        kind = "dict"
    else:
        try:
            arrays = {"array": np.asarray(raw)}
        except Exception:
            return None
        kind = "array"
    if any(a.dtype.hasobject for a in arrays.values()):
        return None
    return kind, arrays


class BlockStore:
    """Blocks of one run in directory ``path`` (see the module docstring).

    ``open(manifest, resume)`` must be called before use: it checks, without writing, that the directory can be
    written and, with ``resume``, that it holds a store of the same run. ``begin()`` starts the run: without
    ``resume`` it discards the blocks of an earlier run there and writes the manifest. ``warn(message)`` reports a corrupt block (default: :class:`CorruptBlockWarning`).
    """

    def __init__(self, path: str | os.PathLike, warn: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.warn = warn or (lambda msg: warnings.warn(msg, CorruptBlockWarning, stacklevel=3))
        self.manifest: dict | None = None
        self.discarded = 0  #: blocks of an earlier run removed by :meth:`open` (without ``resume``)
        self.corrupt = 0  #: blocks that failed verification in :meth:`load`
        self.unstorable = 0  #: blocks whose raw output cannot be written without pickle

    # -- opening ---------------------------------------------------------------------------------------------
    def open(self, manifest: dict, resume: bool = False) -> "BlockStore":
        """Check that the store can serve the run described by ``manifest`` (:func:`run_manifest`); changes
        nothing on disk. :meth:`begin` (called by ``run_claims``) then starts it."""
        mpath = self.path / MANIFEST
        if resume:
            if not mpath.is_file():
                raise StoreError(f"--resume: no block store in {self.path} (no {MANIFEST}); run without --resume")
            try:
                old = json.loads(mpath.read_text())
            except (OSError, ValueError) as exc:
                raise StoreError(f"--resume: cannot read {mpath}: {exc}") from None
            self._check_same_run(old, manifest)
        self._check_writable()
        self.manifest = manifest
        self._resume = resume
        self._begun = False
        return self

    def begin(self) -> None:
        """Start the run (once): without ``resume``, discard an earlier run's blocks and write the manifest."""
        if self.manifest is None:
            raise RuntimeError("BlockStore.open() must be called first")
        if self._begun:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        for f in self.path.iterdir():  # temporary files of writes cut short by a crash
            if _TMP_RE.match(f.name):
                f.unlink(missing_ok=True)
        if not self._resume:
            for f in self._block_files():
                f.unlink()
                self.discarded += 1
            self._atomic_write(MANIFEST, (json.dumps(self.manifest, indent=1, sort_keys=True) + "\n").encode())
        self._begun = True

    def _check_same_run(self, old: dict, new: dict) -> None:
        where = f"--resume: the store in {self.path} was written"
        if old.get("format") != new["format"]:
            raise StoreError(f"{where} in store format {old.get('format')!r}, this is format {new['format']}")
        if old.get("stamp") != new["stamp"]:
            raise StoreError(f"{where} by w2s-certify {old.get('stamp')!r}, this is {new['stamp']!r} "
                             "(simulators may differ); run without --resume or choose another --out")
        for field in ("seed", "tier", "block_size"):
            if old.get(field) != new[field]:
                raise StoreError(f"{where} with {field} {old.get(field)!r}, not {new[field]!r}")
        old_claims, new_claims = old.get("claims", {}), new["claims"]
        if set(old_claims) != set(new_claims):
            extra = sorted(set(new_claims) ^ set(old_claims))
            raise StoreError(f"{where} for other claims (differing: {', '.join(extra[:3])}"
                             f"{', ...' if len(extra) > 3 else ''}); select the same claims")
        changed = sorted(c for c in new_claims if old_claims[c] != new_claims[c])
        if changed:
            raise StoreError(f"{where} with other parameters or source of {changed[0]}"
                             f"{f' (and {len(changed) - 1} more)' if len(changed) > 1 else ''}")

    def _check_writable(self) -> None:
        try:
            probe = self.path
            while not probe.exists():  # the nearest existing ancestor must accept new entries
                probe = probe.parent
            if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied" if probe.is_dir() else "not a directory")
            if self.path.is_dir():
                with tempfile.NamedTemporaryFile(dir=self.path, prefix=".probe-"):
                    pass
        except OSError as exc:
            raise StoreError(f"cannot write the block store {self.path}: {exc.strerror or exc}") from None

    def _block_files(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        return [f for f in self.path.iterdir() if _BLOCK_RE.match(f.name)]

    def __len__(self) -> int:
        return len(self._block_files())

    # -- blocks ----------------------------------------------------------------------------------------------
    def key(self, task) -> dict:
        """Everything that determines the content of ``task``'s block."""
        from .runner import BLOCK_SIZE

        if self.manifest is None:
            raise RuntimeError("BlockStore.open() must be called first")
        fingerprint = self.manifest["claims"].get(task.claim.id) or claim_fingerprint(task.claim)
        return {"format": FORMAT, "stamp": self.manifest["stamp"], "sim_key": task.sim_key,
                "fingerprint": fingerprint, "d": int(task.d), "block": int(task.block), "reps": int(task.reps),
                "seed": int(task.seed), "block_size": BLOCK_SIZE}

    def file(self, task) -> Path:
        """The file of ``task``'s block."""
        return self.path / (hashlib.sha256(_canonical(self.key(task)).encode()).hexdigest()[:40] + ".npz")

    def save(self, task, raw, seconds: float) -> bool:
        """Write ``task``'s raw output at once (atomically); False when it cannot be stored without pickle."""
        conv = _to_arrays(raw)
        if conv is None:
            self.unstorable += 1
            return False
        kind, arrays = conv
        meta = {"key": self.key(task), "kind": kind, "seconds": float(seconds), "sha256": _checksum(arrays)}
        buf = io.BytesIO()
        np.savez(buf, **arrays, **{_META: np.array(_canonical(meta))})
        path = self.file(task)
        self._atomic_write(path.name, buf.getvalue())
        return True

    def load(self, task) -> tuple[object, float] | None:
        """``(raw output, seconds)`` of a stored, verified block; None when absent or corrupt (then warned)."""
        path = self.file(task)
        if not path.is_file():
            return None
        try:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as z:
                meta = json.loads(str(z[_META][()]))
                arrays = {name: z[name] for name in z.files if name != _META}
            if meta.get("key") != self.key(task):
                raise ValueError("key mismatch")
            if meta.get("sha256") != _checksum(arrays):
                raise ValueError("checksum mismatch")
            if meta["kind"] == "array":
                raw = arrays["array"]
            elif meta["kind"] == "dict":
                raw = {name[len("dict."):]: a for name, a in arrays.items()}
            else:
                raise ValueError(f"unknown kind {meta['kind']!r}")
            seconds = float(meta["seconds"])
        except Exception as exc:
            self.corrupt += 1
            self.warn(f"block store: {path.name} (d={task.d}, block {task.block} of {task.sim_key}) is corrupt "
                      f"({type(exc).__name__}: {exc}); simulating it again")
            return None
        return raw, seconds

    def _atomic_write(self, name: str, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o666 & ~_UMASK)  # as open() would create it (mkstemp makes it private)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.path / name)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
