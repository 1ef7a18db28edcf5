"""Keep a uniform random sample of a cosmic-ray session's mutants; mark the others SKIPPED.

A module of ``theory/`` has hundreds to a thousand mutants and each costs one run of its tests, so the score is
estimated on a seeded random sample (a binomial proportion: report it with its interval). Usage, from a scratch
copy of the repository with its own editable install (the mutants are written into the source files)::

    cosmic-ray init mutation/ridge.toml ridge.sqlite
    python tools/mutation_sample.py ridge.sqlite --sample 120 --seed 20261
    cosmic-ray exec mutation/ridge.toml ridge.sqlite && cr-report ridge.sqlite
"""

from __future__ import annotations

import argparse
import random
import sys

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("session", help="cosmic-ray session database (after `cosmic-ray init`)")
    ap.add_argument("--sample", type=int, required=True, help="number of mutants to keep")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    args = ap.parse_args(argv)
    if args.sample < 1:
        print("mutation_sample: --sample must be >= 1", file=sys.stderr)
        return 2
    with use_db(args.session) as db:
        # ordered by what a mutant is (module, operator, occurrence), not by its random job id: the same seed picks
        # the same mutants in every session of the same source
        items = sorted(db.pending_work_items, key=lambda it: [(m.module_path, m.operator_name, m.occurrence)
                                                              for m in it.mutations])
        ids = [item.job_id for item in items]
        keep = set(random.Random(args.seed).sample(ids, min(args.sample, len(ids))))
        for job_id in ids:
            if job_id not in keep:
                db.set_result(job_id, WorkResult(output="not in the sample", worker_outcome=WorkerOutcome.SKIPPED))
    print(f"{len(keep)} of {len(ids)} mutants kept (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
