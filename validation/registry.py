"""The claims registry: each claim is data a reader can scan (id, statement, setup, provenance, ladder,
falsifier) plus two functions, ``predict`` (from ``w2s.theory``) and ``simulate`` (from ``w2s.kernels``).

Adding a theorem costs one :class:`Claim`. Researchers certify their own conjectures with the same CLI and
statistics by writing a Python file that either

* defines ``CLAIMS = [Claim(...), ...]``, or
* defines module-level ``predict(params)`` and ``simulate(params, d, rng, reps)`` (plus optional ``ID``,
  ``TITLE``, ``STATEMENT``, ``PARAMS``, ``COMPONENTS``, ``LADDER``, ``FINITE_SIZE``, ``FALSIFIER``),

and passing it to ``w2s certify --claims FILE`` (see :func:`load_claims_file`).
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.metadata
import importlib.util
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

__all__ = [
    "Ladder",
    "Claim",
    "SharedSimulation",
    "Registry",
    "REGISTRY",
    "register",
    "load_claims_file",
    "builtin_registry",
    "builtin_families",
    "default_registry",
    "load_plugins",
    "ENTRY_POINT_GROUP",
]

TIERS = ("fast", "full")
_ID_RE = re.compile(r"^[A-Za-z0-9_.<>=+\-@,]+$")


@dataclass(frozen=True)
class Ladder:
    """Dimensions ``d`` and replicate counts of a convergence ladder (more replicates at small ``d``)."""

    d: tuple[int, ...]
    reps: tuple[int, ...]

    def __post_init__(self):
        if len(self.d) != len(self.reps) or len(self.d) < 1:
            raise ValueError("a ladder needs >= 1 rung (>= 2 to extrapolate) and one replicate count per rung")
        if any(int(x) < 1 for x in self.d) or list(self.d) != sorted(set(self.d)):
            raise ValueError(f"ladder dimensions must be increasing positive integers, got {self.d}")
        if any(int(r) < 2 for r in self.reps):
            raise ValueError(f"every rung needs >= 2 replicates, got {self.reps}")

    def to_dict(self) -> dict:
        return {"d": list(self.d), "reps": list(self.reps)}


class SharedSimulation:
    """One simulator run shared by several claims (common random numbers, simulated once per run).

    ``fn(params, d, rng, reps)`` returns a dict of arrays whose first axis is the replicate. A claim uses it
    through :meth:`observe`, which selects the claim's components from that dict. Claims sharing a simulation
    see the very same draws, so differences between their predictions are measured with correlated noise.
    """

    def __init__(self, name: str, fn: Callable[..., Mapping[str, np.ndarray]], params: Mapping[str, Any]):
        self.name = name
        self.fn = fn
        self.params = dict(params)

    def __call__(self, d: int, rng: np.random.Generator, reps: int) -> Mapping[str, np.ndarray]:
        return self.fn(self.params, d, rng, reps)

    def observe(self, select: Callable[[Mapping[str, np.ndarray]], np.ndarray]) -> "SharedObservable":
        return SharedObservable(self, select)


@dataclass(frozen=True)
class SharedObservable:
    """A claim's view of a :class:`SharedSimulation`; callable like a plain simulator."""

    shared: SharedSimulation
    select: Callable[[Mapping[str, np.ndarray]], np.ndarray]

    def __call__(self, params, d, rng, reps):  # plain-simulator signature, used when run on its own
        return self.select(self.shared(d, rng, reps))


@dataclass(frozen=True)
class Claim:
    """A certifiable statement: a predicted limit and a finite-d simulator that should converge to it.

    ``predict(params) -> float | array(k)``; ``simulate(params, d, rng, reps) -> array(reps,) | array(reps, k)``
    with one row per independent replicate, drawn only from ``rng``.
    """

    id: str
    title: str
    statement: str
    source: str  #: paper, and the docs page and section that state the formula
    provenance: str  #: e.g. "DERIVED under the ridge setup (docs/ridge.md §1)"; never "Theorem N" unless read
    params: Mapping[str, Any]
    predict: Callable[[Mapping[str, Any]], Any]
    simulate: Callable[..., Any]
    ladders: Mapping[str, Ladder]
    components: tuple[str, ...] = ("value",)
    finite_size: float = 1.0  #: exponent alpha of the leading correction a d^-alpha (0: exact at every size)
    finite_size_reason: str = ""
    sign: tuple[bool, ...] | None = None  #: components whose sign must be resolved
    scale: tuple[float, ...] | None = None  #: resolution scale per component (default |prediction|)
    falsifier: float = 0.05  #: perturbation, relative to the resolution scale (default |prediction|), to be rejected
    family: str = ""  #: figure/report grouping, e.g. "ridge"
    setup: str = ""  #: how d maps to n etc.
    #: component labels at other parameters (when a parameter is a grid, e.g. ``g_s``); default: ``components``
    component_names: Callable[[Mapping[str, Any]], tuple[str, ...]] | None = None

    def __post_init__(self):
        if not _ID_RE.match(self.id):
            raise ValueError(f"claim id {self.id!r} contains characters outside [A-Za-z0-9_.<>=+-@,]")
        for tier in self.ladders:
            if tier not in TIERS:
                raise ValueError(f"claim {self.id}: unknown tier {tier!r} (allowed: {TIERS})")
        if "fast" not in self.ladders:
            raise ValueError(f"claim {self.id}: a 'fast' ladder is required")
        if not (np.isfinite(self.falsifier) and self.falsifier > 0):
            raise ValueError(f"claim {self.id}: falsifier must be finite and > 0 (relative to the scale), "
                             f"got {self.falsifier}")
        if self.finite_size < 0:
            raise ValueError(f"claim {self.id}: finite_size must be >= 0 (0: exact at every size)")
        for tier, lad in self.ladders.items():
            if self.finite_size > 0 and len(lad.d) < 2:
                raise ValueError(f"claim {self.id}: the {tier!r} ladder needs >= 2 rungs to extrapolate "
                                 "(finite_size = 0 declares a quantity exact at every size)")
        k = len(self.components)
        for name, val in (("sign", self.sign), ("scale", self.scale)):
            if val is not None and len(val) != k:
                raise ValueError(f"claim {self.id}: {name} has {len(val)} entries for {k} components")

    def ladder(self, tier: str) -> Ladder:
        if tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}, got {tier!r}")
        return self.ladders.get(tier, self.ladders["fast"])

    def labels(self, params: Mapping[str, Any] | None = None) -> tuple[str, ...]:
        """Component labels at ``params`` (default: the claim's own parameters, i.e. :attr:`components`)."""
        if params is None or self.component_names is None:
            return tuple(self.components)
        return tuple(self.component_names(dict(params)))

    def prediction(self, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Prediction as a 1-D float array with one entry per component (per label at overridden ``params``)."""
        p = np.atleast_1d(np.asarray(self.predict(dict(self.params if params is None else params)), float))
        expected = len(self.labels(params))
        if p.shape != (expected,):
            if params is not None and self.component_names is None and p.ndim == 1 and p.size > 0:
                return p  # a grid parameter changed the number of components; labels are positional then
            raise ValueError(f"claim {self.id}: predict returned shape {p.shape}, expected ({expected},)")
        return p

    @property
    def sim_key(self) -> str:
        shared = getattr(self.simulate, "shared", None)
        return f"shared:{shared.name}" if shared is not None else f"claim:{self.id}"

    def run_simulation(self, d: int, rng: np.random.Generator, reps: int):
        """Raw simulator output for one block (a dict for shared simulations)."""
        shared = getattr(self.simulate, "shared", None)
        if shared is not None:
            return shared(d, rng, reps)
        return self.simulate(dict(self.params), d, rng, reps)

    def observe(self, raw) -> np.ndarray:
        """``(reps, k)`` component samples from raw simulator output."""
        if getattr(self.simulate, "shared", None) is not None:
            raw = self.simulate.select(raw)
        arr = np.asarray(raw, dtype=float)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != len(self.components):
            raise ValueError(f"claim {self.id}: simulate returned shape {arr.shape}, expected (reps, {len(self.components)})")
        return arr

    def describe(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "source": self.source,
            "provenance": self.provenance,
            "setup": self.setup,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "components": list(self.components),
            "finite_size": self.finite_size,
            "finite_size_reason": self.finite_size_reason,
            "ladders": {t: lad.to_dict() for t, lad in self.ladders.items()},
            "falsifier": self.falsifier,
            "sim_key": self.sim_key,
        }


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


@dataclass(frozen=True)
class Shown:
    """A statement shown in a figure but **not certified** (no derived prediction, or no statistics that apply),
    kept in the registry so that ``w2s list`` and the report say so explicitly."""

    id: str
    title: str
    reason: str  #: why it is not certified
    family: str
    figure: str = ""  #: file name of the figure that shows it

    def describe(self) -> dict:
        return {"id": self.id, "title": self.title, "status": "shown, not certified", "reason": self.reason,
                "family": self.family, "figure": self.figure}


def _match(items, pattern: str | None) -> list:
    """Items whose ``id`` matches ``pattern``: a glob if it has ``*?[``, else a substring; all when empty."""
    if not pattern:
        return list(items)
    if any(ch in pattern for ch in "*?["):
        return [c for c in items if fnmatch.fnmatchcase(c.id, pattern)]
    return [c for c in items if pattern in c.id]


@dataclass
class Registry:
    """An ordered collection of claims, plus figure makers and shown-not-certified statements per family."""

    claims: dict[str, Claim] = field(default_factory=dict)
    figures: dict[str, list[Callable]] = field(default_factory=dict)
    shown: dict[str, Shown] = field(default_factory=dict)

    def copy(self) -> "Registry":
        """A registry with the same entries, to which claims can be added without changing this one (a user's
        claims file is loaded into a copy, so that loading it again, in the same process, is no duplicate)."""
        return Registry(dict(self.claims), {k: list(v) for k, v in self.figures.items()}, dict(self.shown))

    def add_shown(self, item: Shown) -> Shown:
        if item.id in self.shown or item.id in self.claims:
            raise ValueError(f"duplicate id {item.id!r}")
        self.shown[item.id] = item
        return item

    def add(self, claim: Claim) -> Claim:
        if claim.id in self.claims:
            raise ValueError(f"duplicate claim id {claim.id!r}")
        self.claims[claim.id] = claim
        return claim

    def add_figure(self, family: str, maker: Callable) -> Callable:
        self.figures.setdefault(family, []).append(maker)
        return maker

    def select(self, pattern: str | None = None) -> list[Claim]:
        """Claims whose id matches ``pattern`` (a glob, or else a substring); all when ``pattern`` is None."""
        return _match(self.claims.values(), pattern)

    def select_shown(self, pattern: str | None = None) -> list[Shown]:
        """Shown-not-certified statements whose id matches ``pattern``, as :meth:`select`."""
        return _match(self.shown.values(), pattern)

    def family(self, name: str) -> list[Claim]:
        """Claims of one family (e.g. ``"ridge"``), in registration order."""
        return [c for c in self.claims.values() if c.family == name]

    def __getitem__(self, claim_id: str) -> Claim:
        try:
            return self.claims[claim_id]
        except KeyError:
            raise KeyError(f"unknown claim {claim_id!r}; see `w2s list`") from None

    def __iter__(self):
        return iter(self.claims.values())

    def __len__(self):
        return len(self.claims)


#: The default registry that built-in claim modules and user files add to.
REGISTRY = Registry()


def register(claim: Claim, registry: Registry | None = None) -> Claim:
    """Add ``claim`` to ``registry`` (default: :data:`REGISTRY`)."""
    return (REGISTRY if registry is None else registry).add(claim)


#: Entry-point group through which installed packages contribute claim families (as pytest's ``pytest11``).
ENTRY_POINT_GROUP = "w2s.claims"

#: The package whose modules are the built-in claim families, one module (or subpackage) per family.
BUILTIN_PACKAGE = "w2s.validation.claims"

_BUILTIN_LOADED = False
_PLUGINS_LOADED = False

#: ``(entry point name, error message)`` of claim packages that failed to load (reported, never fatal).
PLUGIN_ERRORS: list[tuple[str, str]] = []

#: Prefix of the module names under which :func:`load_claims_file` imports users' files (such modules are pickled
#: by value when their claims are sent to other processes: the file need not exist there).
USER_MODULE_PREFIX = "w2s_user_claims_"


def builtin_families() -> list[str]:
    """Names of the built-in families: the modules of :data:`BUILTIN_PACKAGE`, in alphabetical order."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))


def builtin_registry() -> Registry:
    """:data:`REGISTRY` with every built-in family imported (found by iterating :data:`BUILTIN_PACKAGE`).

    A family module registers its claims, shown records and figures on import; every claim it registers must
    carry the module's name as its ``family``.
    """
    global _BUILTIN_LOADED
    if not _BUILTIN_LOADED:
        for name in builtin_families():
            before = set(REGISTRY.claims) | set(REGISTRY.shown)
            importlib.import_module(f"{BUILTIN_PACKAGE}.{name}")
            for item in [*REGISTRY.claims.values(), *REGISTRY.shown.values()]:
                if item.id not in before and item.family != name:
                    raise RuntimeError(f"{BUILTIN_PACKAGE}.{name} registered {item.id!r} with family "
                                       f"{item.family!r}; a built-in family's claims carry its module name")
        _BUILTIN_LOADED = True
    return REGISTRY


def load_plugins(registry: Registry | None = None) -> list[str]:
    """Load the claim packages installed under the :data:`ENTRY_POINT_GROUP` entry-point group, once.

    An entry point names a module (importing it registers its claims in :data:`REGISTRY`, as a built-in
    family does) or a callable, called with the registry. A package that fails to load is recorded in
    :data:`PLUGIN_ERRORS` with its entry-point name; the other families stay available. Returns the names loaded.
    """
    global _PLUGINS_LOADED
    registry = REGISTRY if registry is None else registry
    if _PLUGINS_LOADED:
        return []
    _PLUGINS_LOADED = True
    loaded = []
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
            if callable(obj):
                obj(registry)
            loaded.append(ep.name)
        except Exception as exc:  # a broken third-party package must not hide the built-in families
            PLUGIN_ERRORS.append((ep.name, f"claims package {ep.name!r} ({ep.value}) failed to load: "
                                           f"{type(exc).__name__}: {exc}"))
    return loaded


def default_registry() -> Registry:
    """The registry the CLI uses: the built-in families plus every installed claims package."""
    builtin_registry()
    load_plugins(REGISTRY)
    return REGISTRY


def load_claims_file(path: str | Path, registry: Registry | None = None) -> list[Claim]:
    """Import a user's claims file and register what it defines (see the module docstring)."""
    registry = REGISTRY if registry is None else registry
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"claims file not found: {path}")
    name = f"{USER_MODULE_PREFIX}{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import claims file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before = set(registry.claims)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:  # a user error: one line naming the file and the line
        sys.modules.pop(name, None)
        raise ValueError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        tb = exc.__traceback__
        line = None
        while tb is not None:  # the innermost frame of the user's file
            if Path(tb.tb_frame.f_code.co_filename) == path or tb.tb_frame.f_code.co_filename == str(path):
                line = tb.tb_lineno
            tb = tb.tb_next
        where = f"{path}:{line}" if line is not None else str(path)
        raise ValueError(f"{where}: importing the claims file failed: {type(exc).__name__}: {exc}") from None
    added: list[Claim] = [registry.claims[k] for k in registry.claims if k not in before]
    if hasattr(module, "CLAIMS"):
        listed = module.CLAIMS
        if not isinstance(listed, (list, tuple)) or not all(isinstance(c, Claim) for c in listed):
            raise ValueError(f"{path}: CLAIMS must be a list of Claim objects (w2s.validation.registry.Claim)")
        for c in listed:
            if c.id not in registry.claims:
                added.append(registry.add(c))
    elif not added:
        if not (hasattr(module, "predict") and hasattr(module, "simulate")):
            raise ValueError(f"{path} defines neither CLAIMS nor predict() and simulate()")
        if not (callable(module.predict) and callable(module.simulate)):
            raise ValueError(f"{path}: predict and simulate must be functions")
        ladder = getattr(module, "LADDER", Ladder((64, 128, 256, 512), (400, 200, 100, 50)))
        if isinstance(ladder, Mapping):
            ladders = dict(ladder)
        else:
            ladders = {"fast": ladder}
        if not all(isinstance(v, Ladder) for v in ladders.values()):
            raise ValueError(f"{path}: LADDER must be a Ladder (or a dict of tier -> Ladder)")
        try:
            claim = _module_claim(module, path, ladders)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        added.append(registry.add(claim))
    return added


def _module_claim(module, path: Path, ladders: dict) -> Claim:
    """The claim a file defines through module-level ``predict``/``simulate`` and optional constants."""
    return Claim(
            id=getattr(module, "ID", f"user.{path.stem}"),
            title=getattr(module, "TITLE", path.stem),
            statement=getattr(module, "STATEMENT", (module.__doc__ or "").strip() or "user conjecture"),
            source=getattr(module, "SOURCE", str(path)),
            provenance=getattr(module, "PROVENANCE", "CONJECTURE (user file)"),
            params=getattr(module, "PARAMS", {}),
            predict=module.predict,
            simulate=module.simulate,
            ladders=ladders,
            components=tuple(getattr(module, "COMPONENTS", ("value",))),
            finite_size=float(getattr(module, "FINITE_SIZE", 1.0)),
            finite_size_reason=getattr(module, "FINITE_SIZE_REASON", ""),
            falsifier=float(getattr(module, "FALSIFIER", 0.05)),
            family="user",
        )
