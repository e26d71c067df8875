"""
Many labels: which thresholds to look at
========================================

With dozens or hundreds of labels, one plot per label is too many and one
Axes for all of them is a tangle. By default (``labels="auto"``) the Displays
draw 16 labels chosen by their number of positives -- the 8 rarest, the 4
most frequent and 4 in between, so the rare labels skimb is for are always
there -- one small panel each, and the title says what is shown. Pass
``labels="all"`` for every label, or a list of indices.

The labels here are named: when ``Y`` is a pandas DataFrame,
:class:`~skimb.ThresholdOptimizer` keeps its column names (``label_names_``),
and the report and the plots use them.

The model is a one-vs-rest logistic regression, so that the example runs in
seconds; :class:`~skimb.MultiLabelImbalancedClassifier` goes in its place.

Run it as a script with an output path to save the figure:
``python examples/plot_many_labels.py many_labels.png``.
"""

import sys

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from skimb import ThresholdOptimizer, make_long_tail_multilabel
from skimb.diagnostics import label_report
from skimb.display import ThresholdCurveDisplay

X, Y = make_long_tail_multilabel(3000, 20, 50, min_prevalence=0.005, random_state=0)
Y = pd.DataFrame(Y, columns=[f"tag{j:02d}" for j in range(Y.shape[1])])
X_tr, X_te, Y_tr, Y_te = X[:2000], X[2000:], Y[:2000], Y[2000:]

model = ThresholdOptimizer(OneVsRestClassifier(LogisticRegression()), cv=5, random_state=0)
model.fit(X_tr, Y_tr)
print(model.label_names_[:5], "...")

# %%
# The per-label report of the held-out rows names the labels too; here its
# five rarest labels and the averages, at the learned thresholds:
report = label_report(Y_te, model.predict_proba(X_te), model.thresholds_).to_frame()
columns = ["support", "threshold", "precision", "recall", "f1", "average_precision"]
print(report[columns].iloc[:-2].sort_values("support").head(5).round(3))
print(report[columns].tail(2).round(3))

# %%
# The F1 of the held-out rows against the threshold, per label: the dot is
# the learned threshold, the dashed line 0.5, and the band and ticks the
# thresholds the five folds chose. The rarest labels' bands are wide: their
# thresholds rest on a handful of positives.
disp = ThresholdCurveDisplay.from_estimator(model, X_te, Y_te)
if len(sys.argv) > 1:
    disp.figure_.savefig(sys.argv[1], dpi=100)
