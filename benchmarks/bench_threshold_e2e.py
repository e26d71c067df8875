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

``--variants`` prints instead the threshold rules and guard settings tried
against the yeast gap ("Why it is not ahead" in benchmarks/README.md), on yeast
and enron over the same SEEDS: each rule is applied to the out-of-fold scores
and the refitted model of ``ThresholdOptimizer(OneVsRestClassifier(
LogisticRegression()), cv=3, fallback=None, random_state=seed)`` and compared
seed by seed with that model's own thresholds (the exact search on the pooled
out-of-fold F1, guards off):

- ``smooth +-k``: the pooled F1 curve over the distinct out-of-fold scores,
  averaged over the k neighbouring cuts on each side, then its best cut;
- ``bootstrap median``: the median of the exact-search thresholds of 25
  bootstrap resamples of the out-of-fold rows;
- ``fold models averaged``: the mean probability of the three fold models
  instead of the refitted model (same thresholds);
- ``Lipton F1/2``: threshold = best out-of-fold F1 / 2 (Lipton, Elkan &
  Narayanaswamy 2014, for calibrated probabilities);
- ``Platt, then F1/2``: the same rule on out-of-fold scores first calibrated
  per label by a one-feature logistic regression (Platt scaling), the test
  scores passed through the same calibration.

A second table gives the guard settings over the same seeds ("bare floor":
the defaults with the flood check switched off, so that every label below
``min_score`` falls back), then which labels the ``low_score`` guard sends to
the fallback, and the numbers of the flood check for the labels below
``min_score`` on the first seed.

    python benchmarks/bench_threshold_e2e.py            # the README table
    python benchmarks/bench_threshold_e2e.py --only yeast
    python benchmarks/bench_threshold_e2e.py --variants
"""

import argparse
import warnings

import numpy as np
from _common import CachedFit, Timer, bare_floor, load
from scipy.ndimage import uniform_filter1d
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.multioutput import MultiOutputClassifier

from skimb import ThresholdOptimizer, find_thresholds
from skimb.model_selection import MultilabelStratifiedKFold


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
    parser.add_argument("--variants", action="store_true",
                        help="the threshold rules and guard settings tried against the gap")
    args = parser.parse_args()
    names = [args.only] if args.only else ["yeast", "enron"]
    warnings.simplefilter("ignore")  # lbfgs convergence, constant labels, few-member classes
    if args.variants:
        for name in names:
            variants(name)
        return
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


def f1_curve(y, s):
    """Every cut of one label's scores, ascending, with its F1 (the last: predict none)."""
    u = np.unique(s)
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    tp = np.r_[pos.size - np.searchsorted(pos, u), 0]  # predict s >= u[k]
    fp = np.r_[neg.size - np.searchsorted(neg, u), 0]
    denominator = 2 * tp + fp + (pos.size - tp)
    f1 = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)
    cuts = np.r_[np.nextafter(u[0], -np.inf), 0.5 * (u[:-1] + u[1:]), np.nextafter(u[-1], np.inf)]
    return cuts, f1


def smoothed_thresholds(Y, S, k):
    """Best cut of each label's F1 curve averaged over +-k neighbouring cuts."""
    out = np.empty(Y.shape[1])
    for c in range(Y.shape[1]):
        cuts, f1 = f1_curve(Y[:, c], S[:, c])
        if k:
            f1 = uniform_filter1d(f1, 2 * k + 1, mode="nearest")
        out[c] = cuts[np.flatnonzero(f1 == f1.max())[-1]]  # ties: the highest cut
    return out


def platt_lipton(Y, S, S_test):
    """Predictions at F1/2 on per-label Platt-calibrated scores."""
    pred = np.zeros(S_test.shape, dtype=bool)
    for c in range(Y.shape[1]):
        if Y[:, c].min() == Y[:, c].max():
            continue
        platt = LogisticRegression().fit(S[:, [c]], Y[:, c])
        calibrated = platt.predict_proba(S[:, [c]])[:, 1]
        best = find_thresholds(Y[:, c], calibrated)[1]
        pred[:, c] = platt.predict_proba(S_test[:, [c]])[:, 1] >= best / 2
    return pred


def paired(values, reference):
    diff = np.asarray(values) - np.asarray(reference)
    return (f"{diff.mean():+8.4f} +- {diff.std(ddof=1) / np.sqrt(diff.size):.4f}"
            f"  {(diff > 0).sum():2d}/{diff.size}")


def variants(name):
    X, Y, test = load(name)
    Xtr, Ytr, Xte, Yte = X[~test], Y[~test], X[test], Y[test]
    base = CachedFit(OneVsRestClassifier(LogisticRegression()))  # fold models fitted once
    rules = {}
    settings = {"defaults": {}, "defaults, bare floor (no flood check)": {},
                "min_score=0.15": {"min_score": 0.15},
                "min_score=1.0 (flood check on every label)": {"min_score": 1.0}}
    guard = {label: [] for label in settings}
    low_score = {label: np.zeros(Y.shape[1], dtype=int) for label in settings}
    reference = []
    with Timer() as t:
        for seed in SEEDS:
            off = ThresholdOptimizer(base, cv=3, fallback=None, random_state=seed).fit(Xtr, Ytr)
            oof, P = off.oof_scores_, off.estimator_.predict_proba(Xte)
            complete = ~np.isnan(oof).any(axis=0)  # labels skipped in a fold keep theirs
            Yo, So = Ytr[:, complete], oof[:, complete]
            reference.append(scores(Yte, P >= off.thresholds_))

            def with_thresholds(new, off=off, complete=complete, P=P):
                thresholds = off.thresholds_.copy()
                thresholds[complete] = new
                return scores(Yte, P >= thresholds)

            results = {}
            # the unsmoothed curve is the exact search: a check of f1_curve
            exact = smoothed_thresholds(Yo, So, 0)
            np.testing.assert_array_equal(P[:, complete] >= exact,
                                          P[:, complete] >= off.thresholds_[complete])
            for k in (2, 5, 10):
                results[f"smooth +-{k}"] = with_thresholds(smoothed_thresholds(Yo, So, k))
            rng = np.random.default_rng(seed)
            boot = [find_thresholds(Yo[rows], So[rows])[0]
                    for rows in (rng.integers(0, len(Yo), len(Yo)) for _ in range(25))]
            results["bootstrap median (25)"] = with_thresholds(np.median(boot, axis=0))
            folds = MultilabelStratifiedKFold(3, shuffle=True, random_state=seed)
            fold_models = [clone(base).fit(Xtr[train], Ytr[train])
                           for train, _ in folds.split(Xtr, Ytr)]
            P_folds = np.mean([m.predict_proba(Xte) for m in fold_models], axis=0)
            results["fold models averaged"] = scores(Yte, P_folds >= off.thresholds_)
            lipton = P >= np.where(complete, off.best_scores_ / 2, off.thresholds_)
            results["Lipton F1/2"] = scores(Yte, lipton)
            platt = P >= off.thresholds_
            platt[:, complete] = platt_lipton(Yo, So, P[:, complete])
            results["Platt, then F1/2"] = scores(Yte, platt)
            for rule, value in results.items():
                rules.setdefault(rule, []).append(value)
            for label, params in settings.items():
                model = ThresholdOptimizer(base, cv=3, random_state=seed, **params)
                if "bare floor" in label:
                    with bare_floor():
                        model.fit(Xtr, Ytr)
                else:
                    model.fit(Xtr, Ytr)
                guard[label].append(scores(Yte, model.predict(Xte)))
                for c, reason in model.fallback_labels_.items():
                    low_score[label][c] += reason == "low_score"
                if label == "defaults" and seed == SEEDS[0]:
                    first = model
    reference = np.array(reference)
    print(f"\n## {name}: {Xtr.shape[0]} train / {Xte.shape[0]} test rows, {Y.shape[1]} labels, "
          f"fold seeds 0-{SEEDS[-1]}; {t.seconds:.0f} s")
    print("threshold rule vs the exact pooled search, guards off: test macro-F1 mean, paired "
          "difference (mean +- standard error, seeds ahead), and micro-F1 difference")
    print(f"{'rule':<28} {'macro':>7} {'d macro':>8}             {'d micro':>8}")
    print(f"{'exact pooled search':<28} {reference[:, 0].mean():7.4f}")
    for rule, values in rules.items():
        values = np.array(values)
        print(f"{rule:<28} {values[:, 0].mean():7.4f} {paired(values[:, 0], reference[:, 0])}"
              f"  {(values[:, 1] - reference[:, 1]).mean():+8.4f}")
    print("guard settings: test F1 mean (std); paired macro difference to guards off")
    for label, values in {"guards off": reference, **guard}.items():
        values = np.array(values)
        line = (f"{label:<44} macro {values[:, 0].mean():.4f} ({values[:, 0].std():.4f})  "
                f"micro {values[:, 1].mean():.4f} ({values[:, 1].std():.4f})")
        if label != "guards off":
            line += f"  {paired(values[:, 0], reference[:, 0])}"
        print(line)
    print(f"labels sent to the fallback by low_score: {{label: seeds out of {len(SEEDS)}}}")
    for label, counts in low_score.items():
        print(f"  {label:<42} {({int(c): int(n) for c, n in enumerate(counts) if n})}")
    flood_report(first, Xtr, Ytr, Xte, Yte)


def flood_report(model, Xtr, Ytr, Xte, Yte):
    """The flood check's numbers for the labels below min_score (defaults, first seed)."""
    off = ThresholdOptimizer(model.estimator, cv=3, fallback=None,
                             random_state=SEEDS[0]).fit(Xtr, Ytr)
    oof, tuned = off.oof_scores_, off.thresholds_  # the same folds as ``model``
    enough = Ytr.sum(axis=0) >= model.min_positives
    below = np.flatnonzero(enough & (off.best_scores_ < model.min_score_))
    P = model.estimator_.predict_proba(Xte)
    kept = oof >= model.thresholds_
    print(f"seed {SEEDS[0]}, defaults: labels below min_score={model.min_score_} "
          "(out-of-fold: F1 at the tuned threshold, rows it predicts, its gain over the "
          "fallback as a share of macro-F1 and in micro-F1; test F1 at the tuned threshold; "
          "the verdict)")
    for c in below:
        rows = ~np.isnan(oof[:, c])
        with_tuned, with_fallback = kept[rows], kept[rows]
        with_tuned[:, c] = oof[rows, c] >= tuned[c]
        with_fallback[:, c] = oof[rows, c] >= model.default_thresholds_[c]
        own = (f1_score(Ytr[rows, c], with_tuned[:, c], zero_division=0)
               - f1_score(Ytr[rows, c], with_fallback[:, c], zero_division=0))
        micro = (f1_score(Ytr[rows], with_tuned, average="micro")
                 - f1_score(Ytr[rows], with_fallback, average="micro"))
        test_f1 = f1_score(Yte[:, c], P[:, c] >= tuned[c], zero_division=0)
        verdict = model.fallback_labels_.get(int(c), "kept")
        print(f"  label {c:2d}: {Ytr[:, c].sum():3d} train positives, F1 "
              f"{off.best_scores_[c]:.3f}, {with_tuned[:, c].sum():4d} of {rows.sum()} rows, "
              f"macro share {own / Ytr.shape[1]:+.4f}, micro {micro:+.4f}, test F1 "
              f"{test_f1:.3f} -> {verdict}")


if __name__ == "__main__":
    main()
