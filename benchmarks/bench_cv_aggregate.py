"""Does the fold aggregation explain the yeast gap to TunedThresholdClassifierCV?

On yeast (MULAN split), OneVsRestClassifier(LogisticRegression()) is fitted on 3
folds for each of SEEDS shuffled fold assignments, and each label's threshold is
chosen from the same out-of-fold scores in three ways:

- ``pooled``: exact search on the pooled out-of-fold counts (ThresholdOptimizer's
  default, ``find_thresholds``);
- ``fold mean``: exact search on the mean of the folds' F1
  (``cv_aggregate="mean"``, ``find_fold_mean_thresholds``);
- ``sklearn grid``: TunedThresholdClassifierCV's rule re-implemented: a
  100-point grid per fold on that fold's score range, the curves interpolated on
  a common 100-point grid, mean over folds, argmax.

Two kinds of folds: multi-label stratified (ThresholdOptimizer's
``MultilabelStratifiedKFold``) and one StratifiedKFold per label (what
``MultiOutputClassifier(TunedThresholdClassifierCV(cv=StratifiedKFold(...)))``
uses). No guards. Test macro-F1 with the thresholds applied to the model
refitted on the whole training split.

A second table fits ``ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()),
cv=3, random_state=seed)`` with its defaults (guards on) and each
``cv_aggregate``, on yeast and enron, over the same seeds.

    python benchmarks/bench_cv_aggregate.py
"""

import warnings

import numpy as np
from _common import Timer, load
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer, find_thresholds
from skimb._search import find_fold_mean_thresholds
from skimb.model_selection import MultilabelStratifiedKFold

SEEDS = range(12)


def f1_curve(y, s, grid):
    predicted = s[:, None] >= grid[None, :]
    tp = (predicted & (y[:, None] == 1)).sum(axis=0)
    fp = (predicted & (y[:, None] == 0)).sum(axis=0)
    fn = y.sum() - tp
    return np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)


def sklearn_grid(y, s, fold):
    """TunedThresholdClassifierCV(thresholds=100): mean of interpolated fold curves."""
    curves = []
    for f in np.unique(fold):
        yf, sf = y[fold == f], s[fold == f]
        grid = np.linspace(sf.min(), sf.max(), 100)
        curves.append((grid, f1_curve(yf, sf, grid)))
    low = min(g.min() for g, _ in curves)
    high = max(g.max() for g, _ in curves)
    target = np.linspace(low, high, 100)
    return target[np.mean([np.interp(target, g, c) for g, c in curves], axis=0).argmax()]


def main():
    warnings.simplefilter("ignore")
    X, Y, test = load("yeast")
    Xtr, Ytr, Xte, Yte = X[~test], Y[~test], X[test], Y[test]
    n_labels = Y.shape[1]
    P = OneVsRestClassifier(LogisticRegression()).fit(Xtr, Ytr).predict_proba(Xte)
    results = {}
    with Timer() as t:
        for seed in SEEDS:
            # multi-label stratified folds, one OvR model per fold
            S, F = np.zeros(Ytr.shape), np.zeros(Ytr.shape, dtype=int)
            splitter = MultilabelStratifiedKFold(3, shuffle=True, random_state=seed)
            for i, (tr, te) in enumerate(splitter.split(Xtr, Ytr)):
                model = OneVsRestClassifier(LogisticRegression()).fit(Xtr[tr], Ytr[tr])
                S[te], F[te] = model.predict_proba(Xtr[te]), i
            folds = {"multi-label folds": (S, F)}
            # one stratified split per label, one binary model per label and fold
            S, F = np.zeros(Ytr.shape), np.zeros(Ytr.shape, dtype=int)
            for c in range(n_labels):
                splitter = StratifiedKFold(3, shuffle=True, random_state=seed)
                for i, (tr, te) in enumerate(splitter.split(Xtr, Ytr[:, c])):
                    model = LogisticRegression().fit(Xtr[tr], Ytr[tr, c])
                    S[te, c], F[te, c] = model.predict_proba(Xtr[te])[:, 1], i
            folds["per-label folds"] = (S, F)
            for kind, (S, F) in folds.items():
                columns = range(n_labels)
                rules = {
                    "pooled": find_thresholds(Ytr, S)[0],
                    "fold mean": np.array([find_fold_mean_thresholds(
                        Ytr[:, c], S[:, c], F[:, c])[0] for c in columns]),
                    "sklearn grid": np.array(
                        [sklearn_grid(Ytr[:, c], S[:, c], F[:, c]) for c in columns]),
                }
                for rule, thresholds in rules.items():
                    macro = f1_score(Yte, P >= thresholds, average="macro", zero_division=0)
                    results.setdefault((kind, rule), []).append(macro)
    print(f"yeast test macro-F1 (no guards), {len(SEEDS)} fold seeds; {t.seconds:.0f} s")
    print(f"{'folds':<18} {'threshold rule':<14} {'mean':>7} {'std':>7} {'min':>7} {'max':>7}")
    for (kind, rule), values in results.items():
        v = np.array(values)
        print(f"{kind:<18} {rule:<14} {v.mean():7.4f} {v.std():7.4f} {v.min():7.4f} {v.max():7.4f}")
    defaults_table()


def defaults_table():
    print(f"\nThresholdOptimizer defaults (guards on), {len(SEEDS)} fold seeds: test F1 mean (std)")
    print(f"{'data':<7} {'cv_aggregate':<13} {'macro-F1':>16} {'micro-F1':>16} "
          f"{'seeds mean > pooled (macro)':>28}")
    for name in ("yeast", "enron"):
        X, Y, test = load(name)
        Xtr, Ytr, Xte, Yte = X[~test], Y[~test], X[test], Y[test]
        f1 = {}
        for aggregate in ("pooled", "mean"):
            for seed in SEEDS:
                model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=3,
                                           cv_aggregate=aggregate, random_state=seed)
                P = model.fit(Xtr, Ytr).predict(Xte)
                f1.setdefault(aggregate, []).append(
                    [f1_score(Yte, P, average=a, zero_division=0) for a in ("macro", "micro")])
        wins = int((np.array(f1["mean"])[:, 0] > np.array(f1["pooled"])[:, 0]).sum())
        for aggregate, values in f1.items():
            v = np.array(values)
            extra = f"{wins}/{len(SEEDS)}" if aggregate == "mean" else ""
            print(f"{name:<7} {aggregate:<13} {v[:, 0].mean():9.4f} ({v[:, 0].std():.4f}) "
                  f"{v[:, 1].mean():9.4f} ({v[:, 1].std():.4f}) {extra:>28}")


if __name__ == "__main__":
    main()
