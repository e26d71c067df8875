"""
Precision-recall per label: the classic mistakes against the default
=====================================================================

Left: a model trained with the classic mistakes of imbalanced multi-label
training -- ``pos_weight`` inverted (``n_pos / n_neg`` instead of
``n_neg / n_pos``), ``criterion__weight=0.5`` stacked on it, and a fixed 0.5
threshold. The rare labels' operating points sit at recall 0 (the model
predicts all zeros for them, and skimb warns about it after fit), and their
curves show that the ranking itself was barely learned. Right: the default
(``pos_weight="auto"``); its operating points at 0.5 have recall, at a modest
precision that per-label thresholds (:class:`~skimb.ThresholdOptimizer`)
would trade back.

Run it as a script with an output path to save the figure:
``python examples/plot_precision_recall.py precision_recall.png``.
"""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb.diagnostics import label_report
from skimb.display import LabelPrecisionRecallDisplay

X, Y = make_long_tail_multilabel(4000, 20, 8, min_prevalence=0.02, random_state=0)
X_tr, X_te, Y_tr, Y_te = X[:2000], X[2000:], Y[:2000], Y[2000:]
inverted = (Y_tr.sum(0) / (len(Y_tr) - Y_tr.sum(0))).astype(np.float32)

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mistake = MultiLabelImbalancedClassifier(
        criterion=torch.nn.BCEWithLogitsLoss, criterion__weight=torch.tensor(0.5),
        pos_weight=inverted, random_state=0,
    ).fit(X_tr, Y_tr)
for w in caught:
    print(f"{w.category.__name__}: {str(w.message)[:160]}...")
default = MultiLabelImbalancedClassifier(random_state=0).fit(X_tr, Y_tr)

fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True, layout="constrained")
labels = [3, 5, 7]
panels = [("inverted pos_weight + weight", mistake), ("default", default)]
for ax, (title, model) in zip(axes, panels):
    print(f"\n{title}, test rows, threshold 0.5:")
    print(label_report(Y_te, model.predict_proba(X_te)))
    LabelPrecisionRecallDisplay.from_estimator(model, X_te, Y_te, labels=labels, ax=ax)
    ax.set_title(f"{title}: operating points at 0.5", fontsize="medium")
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=110)
