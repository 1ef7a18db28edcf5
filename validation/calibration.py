"""Measured false-alarm rate: certify the same claims under many independent seeds and count the failures.

A certification run is designed to fail a correct claim rarely: the z-tests of all components share a family-wise
level ``alpha`` (Bonferroni), and so do the goodness-of-fit tests, so a run of correct claims fails those two
checks with probability at most ``2 alpha``. The other checks (discrepancy that does not grow, resolved signs,
99% power against the falsifier) and the finite-size models themselves are approximations whose contribution
is not designed but measured here: :func:`calibrate` runs the selected claims under ``K`` seeds and reports, per
claim, how often it failed (and which check failed), and the family-wise rate (the fraction of seeds in which
*any* claim failed) with its exact (Clopper–Pearson) 95% interval.

Seeds. Calibration seed ``k`` is ``CALIBRATION_SEED_BASE + k`` with ``CALIBRATION_SEED_BASE = 2^32``: a seed is the
entropy of a ``SeedSequence`` (:mod:`w2s.kernels.rng`), and every seed below ``2^32`` (the only ones ``w2s certify
--seed`` accepts, default 0) is one 32-bit entropy word, while ``2^32 + k`` is two words ``(k, 1)``. The streams
therefore never coincide with those of a certification run, in particular the default seeds 0-3, whatever ``K``.

Resuming. A calibration of the whole fast tier takes hours on a laptop. ``calibration.json`` is rewritten after
every seed, and each seed's record holds, per claim, the hash of the source its verdict came from
(:func:`~w2s.validation.store.claim_source_hash`: the claim's family modules and everything they import, the engine,
its parameters). ``w2s calibrate --resume`` continues it, also to more seeds: verdicts whose hash is unchanged
are kept, the claims whose source changed since (a family fixed, a claim added) are rerun at the seeds already
done, and then the missing seeds run. A claim's draws depend only on the seed, its simulation and its ladder, so
the result is, seed for seed, that of a calibration of the current code from scratch; a rate never pools
verdicts of other code. Each record also keeps what every component measured (``z``, the fit's p-value, ...:
:meth:`~w2s.validation.stats.ComponentCheck.measures`), so that a new Bonferroni family (claims added or removed)
re-decides the kept verdicts at the new critical value (:func:`~w2s.validation.stats.judge`, which also decides
them in a run) instead of rerunning them. A change of tier, level or numerical library's version changes every
verdict, and is refused.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from scipy import stats as sps

from .registry import Claim
from .runner import Executor, RunResult, Task, run_claims
from .stats import DEFAULT_FAMILY_ALPHA, POWER_MIN, bonferroni_z, judge

__all__ = ["CALIBRATION_SEED_BASE", "MAX_CERTIFY_SEED", "calibration_seeds", "clopper_pearson",
           "CalibrationResult", "calibration_identity", "check_resumable", "stale_claims", "calibrate", "write_calibration", "load_calibration"]

#: First calibration seed; certification seeds are below :data:`MAX_CERTIFY_SEED` + 1.
CALIBRATION_SEED_BASE = 2**32
#: Largest seed of a certification run (``w2s certify --seed``): one 32-bit entropy word.
MAX_CERTIFY_SEED = 2**32 - 1


def calibration_seeds(k: int) -> list[int]:
    """The ``k`` seeds of a calibration: ``2^32 + i``, ``i = 0 .. k-1`` (disjoint from every certification seed)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {k!r}")
    return [CALIBRATION_SEED_BASE + i for i in range(k)]


def clopper_pearson(failures: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial (Clopper–Pearson) confidence interval for a rate ``failures / trials``."""
    if trials < 1 or not 0 <= failures <= trials:
        raise ValueError(f"need 0 <= failures <= trials and trials >= 1, got {failures}/{trials}")
    ci = sps.binomtest(failures, trials).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def _failed_checks(result) -> list[str]:
    """Names of the checks a claim failed in one run (``error`` when it did not run)."""
    if result.error:
        return ["error"]
    out = set()
    for c in result.components:
        if abs(c.z) > c.z_crit:
            out.add("z")
        if not c.fit_ok:
            out.add("fit")
        if not c.shrink_ok:
            out.add("shrink")
        if not c.sign_ok:
            out.add("sign")
        if c.power < POWER_MIN:
            out.add("power")
    return sorted(out)


def rejudge(measures: list[dict], z_crit: float, fit_p_min: float) -> list[str]:
    """The checks failed by a claim whose components measured ``measures`` (:meth:`ComponentCheck.measures
    <w2s.validation.stats.ComponentCheck.measures>`), at another Bonferroni family: the same decision as a run at
    ``z_crit``, ``fit_p_min`` would make (:func:`~w2s.validation.stats.judge` decides both)."""
    out = set()
    for m in measures:
        out.update(k for k, ok in judge(m, z_crit, fit_p_min).items() if not ok)
    return sorted(out)


@dataclass
class CalibrationResult:
    """Verdicts of the same claims under several seeds (possibly partial: fewer seeds done than planned)."""

    claim_ids: list[str]
    seeds_planned: list[int]
    tier: str
    family_alpha: float
    z_crit: float = float("nan")
    n_tests: int = 0
    runs: list[dict] = field(default_factory=list)  #: per seed: {"seed", "seconds", "failed": {id: [checks]}}
    seconds: float = 0.0
    identity: dict = field(default_factory=dict)  #: :func:`calibration_identity` of the calibrated code and claims

    def add(self, run: RunResult, hashes: dict[str, str] | None = None) -> None:
        """Record one seed's run; ``hashes``: the source hashes of the claims it ran (default: :attr:`identity`)."""
        self.z_crit, self.n_tests = run.z_crit, run.n_tests
        failed = {r.claim.id: _failed_checks(r) or ["not certified"] for r in run.results if not r.passed}
        errors = {r.claim.id: r.error for r in run.results if r.error}
        cpu: dict[str, float] = {}
        slowest = None
        for key, wall in run.block_seconds.items():
            c = run.block_cpu_seconds.get(key)
            c = float(wall) if c is None else float(c)
            cpu[key[0]] = cpu.get(key[0], 0.0) + c
            if slowest is None or c > slowest["cpu_seconds"]:
                slowest = {"sim_key": key[0], "d": int(key[1]), "block": int(key[2]), "cpu_seconds": c}
        ids = [r.claim.id for r in run.results]
        hashes = self.identity.get("claims", {}) if hashes is None else hashes
        measures = {r.claim.id: [c.measures() for c in r.components] for r in run.results
                    if not r.error and r.components}
        self.runs.append({"seed": run.seed, "seconds": run.seconds, "failed": failed, "errors": errors,
                          "claims": {cid: hashes.get(cid) for cid in ids}, "measures": measures,
                          "cpu_seconds": dict(sorted(cpu.items(), key=lambda kv: -kv[1])), "slowest_block": slowest})

    def is_current(self, run: dict) -> bool:
        """Does ``run`` hold a verdict, for the current source, of every claim calibrated here?"""
        have, want = run.get("claims") or {}, self.identity.get("claims") or {}
        return all(cid in have and have[cid] == want.get(cid) for cid in self.claim_ids)

    @property
    def current_runs(self) -> list[dict]:
        """The runs that count: those :meth:`is_current` (all of them once a resumed calibration has rerun its
        changed claims)."""
        return [r for r in self.runs if self.is_current(r)]

    @property
    def n_seeds(self) -> int:
        return len(self.current_runs)

    @property
    def complete(self) -> bool:
        return self.n_seeds == len(self.seeds_planned)

    def failures(self, claim_id: str) -> int:
        return sum(claim_id in r["failed"] for r in self.current_runs)

    def failed_checks(self, claim_id: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.current_runs:
            for check in r["failed"].get(claim_id, []):
                out[check] = out.get(check, 0) + 1
        return out

    @property
    def family_failures(self) -> int:
        """Seeds in which at least one claim failed."""
        return sum(bool(r["failed"]) for r in self.current_runs)

    def family_rate(self, level: float = 0.95) -> tuple[float, float, float]:
        """``(rate, low, high)``: family-wise false-alarm rate with its Clopper–Pearson interval."""
        if not self.current_runs:
            return float("nan"), 0.0, 1.0
        k, n = self.family_failures, self.n_seeds
        lo, hi = clopper_pearson(k, n, level)
        return k / n, lo, hi

    def to_dict(self) -> dict:
        rate, lo, hi = self.family_rate()
        return {
            "tier": self.tier,
            "family_alpha": self.family_alpha,
            "designed_rate_z_and_fit": 2 * self.family_alpha,
            "z_crit": self.z_crit,
            "n_tests": self.n_tests,
            "seeds_planned": self.seeds_planned,
            "seeds_done": [r["seed"] for r in self.current_runs],
            "complete": self.complete,
            "seed_rule": "seed k of a calibration is 2^32 + k (certification seeds are < 2^32)",
            "family_failures": self.family_failures,
            "family_rate": rate,
            "family_rate_ci95": [lo, hi],
            "ci_method": "Clopper-Pearson (exact binomial), scipy.stats.binomtest(...).proportion_ci",
            "claims": [{"id": cid, "failures": self.failures(cid), "failed_checks": self.failed_checks(cid)}
                       for cid in self.claim_ids],
            "runs": self.runs,
            "wall_seconds": self.seconds,
            "identity": self.identity,
        }


def calibration_identity(claims: list[Claim], tier: str, family_alpha: float, n_tests: int | None = None) -> dict:
    """What a calibration measured: the tier, the level, the Bonferroni family ``n_tests`` (default: every
    component of ``claims``), the numerical libraries' versions, and per claim a hash of the source its verdict
    depends on (:func:`~w2s.validation.store.claim_source_hash`: its family's modules and what they import, the
    engine, its parameters). ``stamp`` (the whole package's source) is recorded for the reader, not compared."""
    from .report import versions
    from .store import claim_source_hash, version_stamp

    v = versions()
    return {"stamp": version_stamp(), "tier": tier, "family_alpha": float(family_alpha),
            "n_tests": int(n_tests if n_tests is not None else sum(len(c.components) for c in claims)),
            "libraries": {k: v.get(k) for k in ("python", "numpy", "scipy", "numba")},
            "claims": {c.id: claim_source_hash(c) for c in claims}}


def load_calibration(path: str | Path) -> CalibrationResult:
    """A :class:`CalibrationResult` from a ``calibration.json`` written by :func:`write_calibration` (``ValueError``
    naming the file when it is not one)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
        runs = [dict(r) for r in doc["runs"]]
        for r in runs:
            int(r["seed"]), float(r["seconds"]), dict(r["failed"]), dict(r.get("errors") or {})
        res = CalibrationResult([c["id"] for c in doc["claims"]], [int(s) for s in doc["seeds_planned"]],
                                str(doc["tier"]), float(doc["family_alpha"]), float(doc["z_crit"]),
                                int(doc["n_tests"]), runs, float(doc["wall_seconds"]), dict(doc.get("identity") or {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{p}: not a calibration file written by `w2s calibrate` ({type(exc).__name__}: {exc})") \
            from None
    return res


def stale_claims(previous: CalibrationResult, identity: dict) -> list[str]:
    """Ids of the claims of ``identity`` whose verdicts ``previous`` does not hold for the same source (changed, or
    not calibrated there)."""
    old = previous.identity.get("claims") or {}
    return [cid for cid, h in identity["claims"].items() if old.get(cid) != h]


def check_resumable(previous: CalibrationResult, identity: dict, seeds: list[int]) -> None:
    """``ValueError`` (one line, saying what changed) unless ``previous`` can be continued with ``seeds`` under
    ``identity`` (:func:`calibration_identity`). Claims whose source changed are no obstacle (:func:`calibrate`
    reruns them at the seeds done), nor is another Bonferroni family (claims added or removed: the stored
    components are decided again at the new critical value). A change of tier, level or numerical library is."""
    if not previous.identity.get("claims") or "n_tests" not in previous.identity:
        raise ValueError("cannot resume: the calibration records no per-claim identity (written by an older "
                         "version): start anew")
    for key, what in (("tier", "the tier"), ("family_alpha", "the level --alpha"),
                      ("libraries", "a numerical library's version")):
        if previous.identity.get(key) != identity[key]:
            raise ValueError(f"cannot resume: {what} changed ({previous.identity.get(key)} -> {identity[key]}); "
                             "every verdict would change: start anew")
    extra = [r["seed"] for r in previous.runs if r["seed"] not in seeds]
    if extra:
        raise ValueError(f"cannot resume: seeds already done are not among the planned ones ({extra[:3]}); "
                         "--seeds must be at least the number already done")


def calibrate(claims: list[Claim], seeds: list[int], *, tier: str = "fast", executor: Executor | None = None,
              family_alpha: float = DEFAULT_FAMILY_ALPHA, on_task: Callable[[Task, float], None] | None = None,
              on_seed: Callable[[CalibrationResult], None] | None = None,
              n_tests: int | None = None, resume: CalibrationResult | None = None,
              on_rerun: Callable[[list[str], int], None] | None = None) -> CalibrationResult:
    """Run ``claims`` once per seed through :func:`~w2s.validation.runner.run_claims` (the executor of
    ``w2s certify``); ``on_seed`` sees the partial result after every seed (e.g. to write it to disk).

    ``resume``: a partial result (``ValueError`` from :func:`check_resumable` when it cannot be continued). Its
    verdicts are kept for every claim whose source hash is unchanged; the claims that changed (or are new) are
    rerun at each of its seeds first (``on_rerun(ids, seed)`` before each), claims no longer selected are dropped,
    and then the missing seeds run. A claim's draws depend only on the seed, its simulation and its ladder, and its
    verdict on its data and the Bonferroni family, so the result is the one a calibration of the current code
    from scratch would give, seed for seed."""
    if not claims:
        raise ValueError("no claims to calibrate")
    if not seeds:
        raise ValueError("no seeds to calibrate with")
    t0 = time.perf_counter()
    identity = calibration_identity(claims, tier, family_alpha, n_tests)
    m = identity["n_tests"]
    result = CalibrationResult([c.id for c in claims], list(seeds), tier, family_alpha, identity=identity)
    if resume is not None:
        check_resumable(resume, identity, list(seeds))
        result.runs = [json.loads(json.dumps(r)) for r in resume.runs]  # deep copies
        t0 -= resume.seconds
        by_id = {c.id: c for c in claims}
        retarget = resume.identity.get("n_tests") != m
        z_new, p_new = bonferroni_z(m, family_alpha), family_alpha / m
        result.z_crit, result.n_tests = z_new, m  # the level of every kept and rerun verdict (partial files too)
        for r in result.runs:
            have = dict(r.get("claims") or {})
            meas = dict(r.get("measures") or {})
            errs, failed = dict(r.get("errors") or {}), dict(r.get("failed") or {})
            keep = {cid for cid in by_id if have.get(cid) == identity["claims"][cid]
                    and (not retarget or cid in meas or cid in errs)}
            stale = [c for c in claims if c.id not in keep]
            if not stale and not retarget and set(have) == keep:
                continue
            r["errors"] = {cid: v for cid, v in errs.items() if cid in keep}
            r["failed"] = {cid: v for cid, v in failed.items() if cid in keep}
            r["measures"] = {cid: v for cid, v in meas.items() if cid in keep}
            r["claims"] = {cid: have[cid] for cid in keep}
            if retarget:
                for cid in keep - set(r["errors"]):
                    checks = rejudge(r["measures"][cid], z_new, p_new)
                    if checks:
                        r["failed"][cid] = checks
                    else:
                        r["failed"].pop(cid, None)
                r["rejudged_at_n_tests"] = m
            if stale:
                if on_rerun is not None:
                    on_rerun([c.id for c in stale], r["seed"])
                part = run_claims(stale, tier=tier, seed=r["seed"], executor=executor, family_alpha=family_alpha,
                                  on_task=on_task, n_tests=m)
                new = CalibrationResult([c.id for c in stale], [r["seed"]], tier, family_alpha, identity=identity)
                new.add(part)
                for key in ("failed", "errors", "claims", "measures"):
                    r[key].update(new.runs[0][key])
                r["rerun"] = sorted(set(r.get("rerun", [])) | {c.id for c in stale})
                r["rerun_seconds"] = float(r.get("rerun_seconds", 0.0)) + part.seconds
            result.seconds = time.perf_counter() - t0
            if on_seed is not None:
                on_seed(result)
    done = {r["seed"] for r in result.runs}  # all current now
    for seed in seeds:
        if seed in done:
            continue
        run = run_claims(claims, tier=tier, seed=seed, executor=executor, family_alpha=family_alpha,
                         on_task=on_task, n_tests=m)
        result.add(run)
        result.seconds = time.perf_counter() - t0
        if on_seed is not None:
            on_seed(result)
    return result


def write_calibration(result: CalibrationResult, out_dir: str | Path) -> dict[str, Path]:
    """``calibration.json`` and ``calibration.md`` under ``out_dir`` (rewritten after every seed)."""
    from .report import versions

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = result.to_dict()
    doc["generated"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    doc["versions"] = versions()
    paths = {"json": out / "calibration.json", "md": out / "calibration.md"}
    tmp = out / "calibration.json.tmp"
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(paths["json"])
    paths["md"].write_text(_markdown(result, doc))
    return paths


def _markdown(result: CalibrationResult, doc: dict) -> str:
    rate, lo, hi = result.family_rate()
    status = "complete" if result.complete else f"PARTIAL: {result.n_seeds} of {len(result.seeds_planned)} seeds done"
    lines = [
        "# w2s-certify calibration",
        "",
        f"{len(result.claim_ids)} claims, tier `{result.tier}`, {result.n_seeds} seeds ({status}), "
        f"z_crit = {result.z_crit:.3f} (Bonferroni over {result.n_tests} components, family-wise alpha = "
        f"{result.family_alpha}), wall time {result.seconds:.0f} s, generated {doc['generated']}.",
        "",
        f"**Family-wise false-alarm rate** (seeds in which any claim was not certified): "
        f"{result.family_failures}/{result.n_seeds} = {rate:.3g}, 95% Clopper–Pearson interval "
        f"[{lo:.3g}, {hi:.3g}]. Design: at most {2 * result.family_alpha:g} from the z-tests and the "
        "goodness-of-fit tests (each Bonferroni at alpha); the growth, sign and power checks and the finite-size "
        "models add what this measures.",
        "",
        f"Seeds: calibration seed k is 2^32 + k (certification seeds are < 2^32, so no stream is shared). "
        f"Source stamp `{result.identity.get('stamp', 'unknown')}` (`w2s calibrate --resume` continues only the "
        "same code, claims, tier and level).",
        "",
        "| claim | failures | rate | 95% interval | failed checks |",
        "|---|---|---|---|---|",
    ]
    n = max(result.n_seeds, 1)
    for cid in result.claim_ids:
        k = result.failures(cid)
        clo, chi = clopper_pearson(k, n) if result.n_seeds else (0.0, 1.0)
        checks = ", ".join(f"{name} x{m}" for name, m in sorted(result.failed_checks(cid).items())) or "—"
        lines.append(f"| `{cid}` | {k}/{result.n_seeds} | {k / n:.3g} | [{clo:.3g}, {chi:.3g}] | {checks} |")
    lines += ["", "## Runs", "", "wall s: the seed's run (claims rerun after a change not included); CPU s: its "
              "simulation blocks", "", "| seed | wall s | CPU s | slowest block | not certified |", "|---|---|---|---|---|"]
    for r in result.current_runs:
        failed = "; ".join(f"`{cid}` ({', '.join(ch)})" for cid, ch in r["failed"].items()) or "—"
        cpu = r.get("cpu_seconds") or {}
        slow = r.get("slowest_block") or {}
        slowest = f"{slow['cpu_seconds']:.1f} s, `{slow['sim_key']}` d={slow['d']}" if slow else "—"
        lines.append(f"| {r['seed']} | {r['seconds']:.0f} | {sum(cpu.values()):.0f} | {slowest} | {failed} |")
    lines.append("")
    return "\n".join(lines)
