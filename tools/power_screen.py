"""How often would a correct claim fail the power requirement by chance? A Monte Carlo on a report's own rungs.

    python tools/power_screen.py w2s-report/report.json [--draws 2000] [--top 20]

For every component of ``report.json`` whose finite-size model has variants (``finite_size > 0``), the rung means
are redrawn under the fitted model with no bias (``ybar_d ~ N(0, se_d^2)`` with the run's standard errors: the
shift of the truth does not matter, only the noise), refitted with the main model and its variants, and the power
of the declared falsifier is recomputed as the certifier does (``w2s.validation.stats``: threshold ``z_crit SE``,
noise ``stat``). A component's *random power failure probability* is the fraction of redraws with power below the
requirement; the screen prints the worst components and, for the run, the expected number of such failures and
the probability of at least one (components treated as independent). It judges a ladder before a calibration
spends hours on it (docs/statistics.md, section 2).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from w2s.validation import stats as S


def screen(report: dict, draws: int = 2000, seed: int = 0) -> list[dict]:
    rows = []
    for claim in report["claims"]:
        for chk in claim.get("checks") or []:
            if not isinstance(chk, dict) or not chk.get("variants"):
                continue
            d = np.array([r["d"] for r in chk["rungs"]], float)
            se = np.array([r["se"] for r in chk["rungs"]], float)
            alpha, z_crit = chk["fit"]["alpha"], chk["z_crit"]
            delta = chk["falsifier"] * chk["scale"]
            rng = np.random.default_rng(seed)
            fails = 0
            for _ in range(draws):
                y = rng.standard_normal(d.size) * se
                fit = S.fit_extrapolation(d, y, se, alpha)
                sys_err = S.systematic_error(S.fit_variants(d, y, se, alpha, fit))
                total = float(np.hypot(fit.se_hat, sys_err))
                fails += S.rejection_power(delta, total, z_crit, fit.se_hat) < S.POWER_MIN
            rows.append(dict(claim=claim["id"], component=chk["name"], p_fail=fails / draws,
                             falsifier_over_stat=delta / chk["stat"], seconds=claim.get("seconds")))
    rows.sort(key=lambda r: -r["p_fail"])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("report", help="report.json of a w2s certify run")
    ap.add_argument("--draws", type=int, default=2000, help="redraws per component (default 2000)")
    ap.add_argument("--top", type=int, default=20, help="components to list (default 20)")
    args = ap.parse_args(argv)
    if args.draws < 1 or args.top < 0:
        print("power_screen: --draws must be >= 1 and --top >= 0", file=sys.stderr)
        return 2
    try:
        with open(args.report) as fh:
            report = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"power_screen: cannot read {args.report}: {exc}", file=sys.stderr)
        return 2
    rows = screen(report, args.draws)
    p = np.array([r["p_fail"] for r in rows])
    print(f"{len(rows)} components with variants; expected random power failures per run {p.sum():.3f}; "
          f"P(at least one) = {1 - np.prod(1 - p):.3f}")
    for r in rows[:args.top]:
        print(f"{r['p_fail']:.4f}  {r['claim']:55s} {r['component'][:30]:30s} falsifier/stat "
              f"{r['falsifier_over_stat']:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
