"""End to end: ThresholdOptimizer vs per-label TunedThresholdClassifierCV.

On yeast and enron (MULAN standard split):

- ``ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3)``: one
  multi-label model per fold, exact per-label search on the pooled out-of-fold
  scores, rare-label guards, one refit;
- ``MultiOutputClassifier(TunedThresholdClassifierCV(LogisticRegression(),
  scoring="f1", cv=3))``: scikit-learn's binary threshold tuner, once per label
  (labels x (3 folds + 1 refit) models, a 100-point grid per fold);
- the plain 0.5 threshold of ``OneVsRestClassifier(LogisticRegression())``.

Wall times are for ``fit`` on the training split; F1 on the test split. When
scikit-learn's tuner raises (a label with too few positives for its folds), the
script says so and runs the same per-label loop that MultiOutputClassifier runs,
catching the error per label: such a label predicts no positive.

Both tuners depend on how the rows fall into folds, so on yeast (where they are
close) a second table repeats them over SEEDS shuffled fold assignments:
``random_state`` for ThresholdOptimizer, ``cv=StratifiedKFold(3, shuffle=True,
random_state=seed)`` for TunedThresholdClassifierCV.

The row "cv_aggregate='mean'" scores each candidate threshold by the mean of the
folds' F1 (TunedThresholdClassifierCV's aggregation) instead of the F1 of the
pooled out-of-fold counts.

    python benchmarks/bench_threshold_e2e.py            # the README table
    python benchmarks/bench_threshold_e2e.py --only yeast
"""

import argparse
import warnings

import numpy as np
from _common import Timer, load
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier

from skimb import ThresholdOptimizer


def scores(Y, P):
    return (
        f1_score(Y, P, average="macro", zero_division=0),
        f1_score(Y, P, average="micro", zero_division=0),
    )


SEEDS = tuple(range(12))


def sklearn_tuned(Xtr, Ytr, Xte, cv=3):
    """MultiOutputClassifier(TunedThresholdClassifierCV); per-label loop if it raises."""
    tuner = TunedThresholdClassifierCV(LogisticRegression(), scoring="f1", cv=cv)
    with Timer() as t:
        try:
            model = MultiOutputClassifier(tuner).fit(Xtr, Ytr)
        except ValueError as error:
            model = error
    if not isinstance(model, Exception):
        return model.predict(Xte), t.seconds, ""
    first_error = str(model).splitlines()[0][:110]
    pred = np.zeros((Xte.shape[0], Ytr.shape[1]), dtype=int)
    failed = []
    with Timer() as t:
        for label in range(Ytr.shape[1]):
            try:
                pred[:, label] = clone(tuner).fit(Xtr, Ytr[:, label]).predict(Xte)
            except ValueError:
                failed.append(label)
    note = (f"MultiOutputClassifier raised ValueError: {first_error!r}. Fitted label by "
            f"label instead; {len(failed)} labels failed {failed} (train positives "
            f"{Ytr[:, failed].sum(axis=0).tolist()}) and predict no positive.")
    return pred, t.seconds, note


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("yeast", "enron"), help="one data set")
    only = parser.parse_args().only
    names = [only] if only else ["yeast", "enron"]
    warnings.simplefilter("ignore")  # lbfgs convergence, constant labels, few-member classes
    for name in names:
        X, Y, test = load(name)
        Xtr, Ytr, Xte, Yte = X[~test], Y[~test], X[test], Y[test]
        rows = []
        with Timer() as t:
            plain = OneVsRestClassifier(LogisticRegression()).fit(Xtr, Ytr)
        rows.append(("threshold 0.5 (OvR LogisticRegression)", t.seconds,
                     scores(Yte, plain.predict_proba(Xte) >= 0.5)))
        ours = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3, random_state=0)
        with Timer() as t:
            ours.fit(Xtr, Ytr)
        ours_seconds = t.seconds
        rows.append(
            ("skimb ThresholdOptimizer(cv=3)", ours_seconds, scores(Yte, ours.predict(Xte)))
        )
        off = clone(ours).set_params(fallback=None)
        with Timer() as t:
            off.fit(Xtr, Ytr)
        rows.append(("  same, guards off", t.seconds, scores(Yte, off.predict(Xte))))
        mean = clone(ours).set_params(cv_aggregate="mean")
        with Timer() as t:
            mean.fit(Xtr, Ytr)
        rows.append(("  same, cv_aggregate='mean'", t.seconds, scores(Yte, mean.predict(Xte))))
        pred, sk_seconds, note = sklearn_tuned(Xtr, Ytr, Xte)
        rows.append(("MultiOutput(TunedThresholdClassifierCV)", sk_seconds, scores(Yte, pred)))
        print(f"\n## {name}: {Xtr.shape[0]} train / {Xte.shape[0]} test rows, {Y.shape[1]} labels")
        print(f"{'method':<42} {'fit (s)':>8} {'macro-F1':>9} {'micro-F1':>9}")
        for label, seconds, (macro, micro) in rows:
            print(f"{label:<42} {seconds:8.2f} {macro:9.4f} {micro:9.4f}")
        print(f"wall-time ratio TunedThresholdClassifierCV / ThresholdOptimizer: "
              f"{sk_seconds / ours_seconds:.1f}x")
        if note:
            print(note)
        print(f"ThresholdOptimizer guarded labels: {ours.fallback_labels_}")
        if name == "yeast":
            seed_table(Xtr, Ytr, Xte, Yte)


def seed_table(Xtr, Ytr, Xte, Yte):
    macro = {"ThresholdOptimizer(cv=3)": [], "  same, guards off": [],
             "  same, cv_aggregate='mean'": [],
             "MultiOutput(TunedThresholdClassifierCV)": []}
    for seed in SEEDS:
        ours = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                                  random_state=seed).fit(Xtr, Ytr)
        macro["ThresholdOptimizer(cv=3)"].append(scores(Yte, ours.predict(Xte))[0])
        off = clone(ours).set_params(fallback=None).fit(Xtr, Ytr)
        macro["  same, guards off"].append(scores(Yte, off.predict(Xte))[0])
        mean = clone(ours).set_params(cv_aggregate="mean").fit(Xtr, Ytr)
        macro["  same, cv_aggregate='mean'"].append(scores(Yte, mean.predict(Xte))[0])
        folds = StratifiedKFold(3, shuffle=True, random_state=seed)
        pred, _, _ = sklearn_tuned(Xtr, Ytr, Xte, cv=folds)
        macro["MultiOutput(TunedThresholdClassifierCV)"].append(scores(Yte, pred)[0])
    print(f"\nyeast test macro-F1 over shuffled folds, seeds 0-{SEEDS[-1]}")
    print(f"{'method':<42} {'mean':>7} {'std':>7} {'min':>7} {'max':>7}")
    for label, values in macro.items():
        print(f"{label:<42} {np.mean(values):7.4f} {np.std(values):7.4f} "
              f"{np.min(values):7.4f} {np.max(values):7.4f}")
    reference = np.array(macro["MultiOutput(TunedThresholdClassifierCV)"])
    print("paired difference to TunedThresholdClassifierCV (same seed): "
          "mean +- standard error, seeds ahead")
    for label, values in list(macro.items())[:-1]:
        diff = np.array(values) - reference
        print(f"{label:<42} {diff.mean():+7.4f} +- {diff.std(ddof=1) / np.sqrt(len(diff)):.4f}"
              f"  {(diff >= 0).sum()}/{len(diff)}")


if __name__ == "__main__":
    main()
