"""Rare labels: threshold tuning with the guards on vs off vs the fixed 0.5 threshold.

On enron and bibtex (MULAN standard split), OneVsRestClassifier(LogisticRegression)
is wrapped in ThresholdOptimizer(cv=3, objective="f1") with the guards off
(``fallback=None``), with the defaults, with a sweep of ``min_score``, with each
``min_positives`` alone (``min_score=None``) and with each combination of
``min_positives`` and ``fallback``; each is compared with the plain
0.5 threshold on test macro-F1 and micro-F1. The fold models are fitted once and
shared by all settings (same folds, same random_state), so the tables isolate the
effect of the threshold rules. A row "fails the bar" when its macro-F1 is not above
the 0.5 threshold's or its micro-F1 is more than 0.02 below it.

The rows "cv_aggregate='mean'" score each threshold by the mean of the folds'
F1 instead of the F1 of the pooled out-of-fold counts. The rows "bare floor"
switch the flood check off: every label below ``min_score`` falls back.

    python benchmarks/bench_rare_labels.py
"""

import warnings

from _common import CachedFit, Timer, bare_floor, load
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer

MIN_POSITIVES = (0, 3, 5, 10, 20)
MIN_SCORES = (None, 0.05, 0.1, 0.15, 0.2)
FALLBACKS = ("default", "max_score", "never")


def f1s(Y, P):
    return (
        f1_score(Y, P, average="macro", zero_division=0),
        f1_score(Y, P, average="micro", zero_division=0),
    )


def main():
    warnings.simplefilter("ignore")  # constant labels (enron) and liblinear chatter
    for name in ("enron", "bibtex"):
        X, Y, test = load(name)
        Xtr, Ytr, Xte, Yte = X[~test], Y[~test], X[test], Y[test]
        base = CachedFit(OneVsRestClassifier(LogisticRegression(solver="liblinear")))
        with Timer() as t:
            plain = base.fit(Xtr, Ytr)
            P05 = (plain.predict_proba(Xte) >= 0.5).astype(int)
        ref_macro, ref_micro = f1s(Yte, P05)
        train_pos = Ytr.sum(axis=0)
        print(f"\n## {name}: {Ytr.shape[0]} train / {Yte.shape[0]} test rows, {Y.shape[1]} labels "
              f"({(train_pos < 10).sum()} with < 10 train positives); model fit {t.seconds:.1f} s")
        print(f"{'setting':<45} {'macro-F1':>8} {'micro-F1':>8} {'d macro':>8} {'d micro':>8}"
              f"  guarded labels")
        print(f"{'threshold 0.5':<45} {ref_macro:8.4f} {ref_micro:8.4f}")
        settings = [("guards off (fallback=None)", {"fallback": None}), ("defaults", {})]
        settings += [
            ("defaults, bare floor (no flood check)", {}),
            ("fallback='max_score', bare floor", {"fallback": "max_score"}),
        ]
        settings += [
            ("guards off, cv_aggregate='mean'", {"fallback": None, "cv_aggregate": "mean"}),
            ("defaults, cv_aggregate='mean'", {"cv_aggregate": "mean"}),
        ]
        settings += [(f"min_score={m}", {"min_score": m}) for m in MIN_SCORES]
        settings += [
            (f"min_positives={m}, min_score=None", {"min_positives": m, "min_score": None})
            for m in MIN_POSITIVES
        ]
        settings += [
            (f"min_positives={m}, fallback={f!r}", {"min_positives": m, "fallback": f})
            for f in FALLBACKS for m in MIN_POSITIVES
        ]
        for label, params in settings:
            model = ThresholdOptimizer(base, cv=3, random_state=0, **params)
            if "bare floor" in label:
                with bare_floor():
                    model.fit(Xtr, Ytr)
            else:
                model.fit(Xtr, Ytr)
            macro, micro = f1s(Yte, model.predict(Xte))
            reasons = list(model.fallback_labels_.values())
            counts = ", ".join(f"{r} {reasons.count(r)}" for r in sorted(set(reasons))) or "-"
            bar = "" if macro > ref_macro and micro >= ref_micro - 0.02 else "  FAILS THE BAR"
            print(f"{label:<45} {macro:8.4f} {micro:8.4f} {macro - ref_macro:+8.4f} "
                  f"{micro - ref_micro:+8.4f}  {counts}{bar}")
            if params.get("fallback", "") is None and "cv_aggregate" not in params:
                tuned_f1 = model.best_scores_  # guards off: every label's tuned F1
            if label == "defaults":
                low = [c for c, r in model.fallback_labels_.items() if r == "low_score"]
                print(f"{'':<4}the {len(low)} low_score labels: {train_pos[low].min()} to "
                      f"{train_pos[low].max()} train positives, out-of-fold F1 "
                      f"{tuned_f1[low].min():.3f} to {tuned_f1[low].max():.3f}")


if __name__ == "__main__":
    main()
