"""
Per-label thresholds: the objective against the threshold
=========================================================

Fits a scaler, then :class:`~skimb.ThresholdOptimizer` around
:class:`~skimb.MultiLabelImbalancedClassifier`, on generated long-tail data and
draws, for a common, a mid and a rare label, the F1 of the held-out rows at
every threshold: the chosen
per-label threshold (dot), the 0.5 default (dashed), and the thresholds the
five cross-validation folds chose (band and ticks). pos_weight="auto" inflates
the probabilities of rare labels, so here their best thresholds sit well above
0.5; without it they would sit below. Either way 0.5 is not the best threshold,
and the folds' spread shows how precisely each one is known.

Run it as a script with an output path to save the figure:
``python examples/plot_thresholds.py threshold_curves.png``.
"""

import sys

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.diagnostics import label_report
from skimb.display import ThresholdCurveDisplay

X, Y = make_long_tail_multilabel(4000, 20, 8, min_prevalence=0.02, random_state=0)
X_tr, X_te, Y_tr, Y_te = X[:2000], X[2000:], Y[:2000], Y[2000:]

model = make_pipeline(
    StandardScaler(),
    ThresholdOptimizer(MultiLabelImbalancedClassifier(random_state=0), cv=5, random_state=0),
).fit(X_tr, Y_tr)
optimizer = model[-1]
print("held-out rows, learned thresholds:")
print(label_report(Y_te, model.predict_proba(X_te), optimizer.thresholds_))

fig, ax = plt.subplots(figsize=(10, 5), layout="constrained")
ThresholdCurveDisplay.from_estimator(model, X_te, Y_te, labels=[0, 4, 7], ax=ax)
ax.set_title("F1 of held-out rows against the threshold, per label\n"
             "dots: learned thresholds; bands and ticks: the 5 folds' choices",
             fontsize="medium")
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
