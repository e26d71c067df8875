"""Mutation check: does the test suite notice when the library is broken on purpose?

Each mutation below changes one piece of skimb in a temporary copy of the
repository (``skimb/``, ``tests/``, ``setup.cfg``) and runs the tests that
should catch it. A mutation is *killed* when at least one of those tests fails,
and *survived* when they all pass: a survivor is a property the suite does not
check. Before the mutations, the same tests run on the unchanged copy and must
pass, so that a failure can only come from the mutation.

The list holds the mutations of the audit in issue 16 (tie-breaks of the exact
search, the fast path's tie mask, shuffling, the flood check, stratification,
...), each with the tests that were strengthened for it. Add a mutation when a
test is written for a property that no mutation covers yet.

    python tools/mutation_check.py              # all (12 min on a loaded 2-core machine)
    python tools/mutation_check.py --list
    python tools/mutation_check.py --only tie-break-lowest --only tie-mask-removed

Exit status 1 when a mutation survives or the baseline fails.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the repository root
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, -k expressions
    what: str


MUTATIONS = [
    Mutation(
        "tie-break-lowest",
        "skimb/_search.py",
        "return n_cuts - 1 - np.argmax(gain[:, ::-1], axis=1)",
        "return np.argmax(gain, axis=1)",
        ("tests/test_search.py",),
        "the general search (per-label, fold-mean, shared, micro) picks the lowest of "
        "equally good cuts",
    ),
    Mutation(
        "tie-mask-removed",
        "skimb/_search.py",
        "gain[(j > 0) & ((keys[flat - 1] ^ keys[flat]) <= np.uint64(1))] = -np.inf",
        "pass",
        ("tests/test_search.py",),
        "the fast path may cut inside a group of tied positives",
    ),
    Mutation(
        "fast-tie-break-lowest",
        "skimb/_search.py",
        "last = hit[np.r_[row[hit][1:] != row[hit][:-1], True]]",
        "last = hit[np.r_[True, row[hit][1:] != row[hit][:-1]]]",
        ("tests/test_search.py",),
        "the fast path picks the lowest of equally good cuts",
    ),
    Mutation(
        "fast-none-loses-ties",
        "skimb/_search.py",
        "wins = top[row[last]] > best[row[last]]",
        "wins = top[row[last]] >= best[row[last]]",
        ("tests/test_search.py",),
        "on the fast path 'predict none' no longer wins a tie (it is the highest cut)",
    ),
    Mutation(
        "batches-never-shuffled",
        "skimb/_batching.py",
        "    if not shuffle:\n        return None",
        "    if True:\n        return None",
        ("tests/test_classifier.py::test_batches_are_shuffled",),
        "the in-memory batch iterator ignores shuffle=True",
    ),
    Mutation(
        "batches-always-shuffled",
        "skimb/classifier.py",
        'params.setdefault("shuffle", True)',
        'params["shuffle"] = True',
        ("tests/test_classifier.py::test_batches_are_shuffled",),
        "iterator_train__shuffle=False is overridden",
    ),
    Mutation(
        "tuning-ignored",
        "skimb/thresholds.py",
        "thresholds = np.where(guarded, fallback, tuned)",
        "thresholds = np.where(guarded, fallback, self.default_thresholds_)",
        ("tests/test_thresholds.py::test_wrapped_estimators",),
        "ThresholdOptimizer keeps the default threshold on every unguarded label",
    ),
    Mutation(
        "auto-pos-weight-inverted",
        "skimb/diagnostics.py",
        "ratio = (n_samples - counts) / np.maximum(counts, 1.0)",
        "ratio = counts / np.maximum(n_samples - counts, 1.0)",
        ("tests/test_classifier.py::test_default_is_far_better_than_the_classic_mistake",),
        "pos_weight='auto' computes n_pos / n_neg (the classic mistake as the default)",
    ),
    Mutation(
        "cli-usage-error-exits-0",
        "skimb/cli.py",
        'parser.error("--n-samples must be at least 20")',
        "parser.exit(0)",
        ("tests/test_cli.py::test_too_few_demo_rows_is_a_usage_error",),
        "`skimb demo --n-samples 3` exits with status 0 and no message",
    ),
    Mutation(
        "holdout-not-stratified",
        "skimb/thresholds.py",
        "splitter = MultilabelStratifiedShuffleSplit(",
        'splitter = __import__("sklearn.model_selection").model_selection.ShuffleSplit(',
        ("tests/test_thresholds.py::test_cv_options",),
        "cv=0.3 draws a plain random hold-out",
    ),
    Mutation(
        "criterion-gamma-dropped",
        "skimb/classifier.py",
        "kwargs.update(user_params)",
        'kwargs.update({k: v for k, v in user_params.items() if k != "gamma"})',
        ("tests/test_losses_classifier.py::"
         "test_grid_search_over_loss_names_and_their_parameters",),
        "criterion__gamma never reaches the loss",
    ),
    Mutation(
        "frames-become-arrays",
        "skimb/thresholds.py",
        "validate_data(self, X, skip_check_array=True, reset=True)",
        "validate_data(self, X, skip_check_array=True, reset=True); X = np.asarray(X)",
        ("tests/test_thresholds.py::test_feature_names_and_frames",),
        "ThresholdOptimizer hands the wrapped estimator an array instead of the frame",
    ),
    Mutation(
        "splitter-not-stratified",
        "skimb/model_selection.py",
        "    while True:\n        active = np.flatnonzero(remaining > 0)",
        "    while False:\n        active = np.flatnonzero(remaining > 0)",
        ("tests/test_model_selection.py", "tests/test_thresholds.py::test_cv_options"),
        "iterative stratification off: rows are assigned by part size, then repaired",
    ),
    Mutation(
        "flood-check-off",
        "skimb/thresholds.py",
        "low &= _floods(truth, scores, weight, objective, folds, current, fallback)",
        "pass",
        ("tests/test_thresholds.py", "-k", "flood or low_score"),
        "min_score is a bare floor again: every label below it falls back",
    ),
    Mutation(
        "flood-check-never-fires",
        "skimb/thresholds.py",
        "low &= _floods(truth, scores, weight, objective, folds, current, fallback)",
        "low &= False",
        ("tests/test_thresholds.py", "-k", "flood or low_score"),
        "no label below min_score ever falls back",
    ),
    Mutation(
        "flood-check-macro-share",
        "skimb/thresholds.py",
        "own / n_labels + micro",
        "own + micro",
        ("tests/test_thresholds.py", "-k", "flood or low_score"),
        "the label's own gain counts fully instead of its 1/n_labels share of macro",
    ),
]


# Appended to the copy's tests/conftest.py: hypothesis would otherwise spend
# minutes shrinking each counterexample a mutant produces; a failure is all
# this check needs.
_NO_SHRINK = """
from hypothesis import Phase, settings as _settings
_settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate],
                           database=None)
_settings.load_profile("mutation")
"""


def copy_repo(dest: Path, root: Path = ROOT) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in ("skimb", "tests"):
        shutil.copytree(root / name, dest / name, ignore=ignore)
    shutil.copy2(root / "setup.cfg", dest / "setup.cfg")
    with open(dest / "tests" / "conftest.py", "a") as conftest:
        conftest.write(_NO_SHRINK)


def run_tests(where: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    """pytest's exit status and its summary line (the copy first on sys.path)."""
    env = {**os.environ, "PYTHONPATH": str(where), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", "--no-header", "-W", "ignore"]
    done = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return done.returncode, (lines[-1].strip("= ") if lines else done.stdout[-300:])


def apply(where: Path, mutation: Mutation) -> None:
    path = where / mutation.file
    text = path.read_text()
    count = text.count(mutation.old)
    if count != 1:
        raise SystemExit(
            f"{mutation.name}: the text to mutate occurs {count} times in {mutation.file} "
            "(expected once); update the mutation to the current code."
        )
    path.write_text(text.replace(mutation.old, mutation.new))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutation (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout to copy (default: this one), e.g. an older "
                             "commit's `git archive` to see which mutations its tests missed")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.only and len(chosen) != len(set(args.only)):
        unknown = set(args.only) - {m.name for m in MUTATIONS}
        parser.error(f"unknown mutations {sorted(unknown)}; see --list")
    if args.list:
        for m in chosen:
            print(f"{m.name:<26} {m.file:<26} {m.what}")
        return 0

    all_tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests if t != "-k"))
    with tempfile.TemporaryDirectory(prefix="skimb-mutation-") as tmp:
        base = Path(tmp) / "base"
        copy_repo(base, args.root)
        start = time.perf_counter()
        # the -k selections are subsets of their files: run the files whole
        files = tuple(t for t in all_tests if t.startswith("tests/") and "::" not in t)
        nodes = tuple(t for t in all_tests if "::" in t and t.split("::")[0] not in files)
        code, summary = run_tests(base, files + nodes)
        print(f"baseline (no mutation): {summary}  [{time.perf_counter() - start:.0f} s]")
        if code != 0:
            print("the baseline fails: fix the suite before reading mutation results")
            return 1
        survived = []
        print(f"{'mutation':<26} {'result':<9} tests run: summary")
        for m in chosen:
            where = Path(tmp) / m.name
            copy_repo(where, args.root)
            apply(where, m)
            start = time.perf_counter()
            code, summary = run_tests(where, m.tests)
            # pytest: 0 all passed, 1 some failed; anything else is an error of the run
            result = {0: "SURVIVED", 1: "killed"}.get(code, f"error {code}")
            if code != 1:
                survived.append(m.name)
            print(f"{m.name:<26} {result:<9} {' '.join(m.tests)}: {summary}  "
                  f"[{time.perf_counter() - start:.0f} s]")
            shutil.rmtree(where)
    print(f"{len(chosen) - len(survived)} of {len(chosen)} mutations killed"
          + (f"; not killed: {survived}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
