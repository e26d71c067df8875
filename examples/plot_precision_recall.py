"""The article's mistake next to the default, as precision-recall curves per label.

Left: inverted pos_weight (n_pos / n_neg), criterion__weight=0.5 stacked on it,
threshold 0.5 -- the setup that made a team lose days. The rare labels'
operating points sit at recall 0 (the model predicts all zeros for them, and
skimb warns about it after fit), and their curves show that the ranking
itself was barely learned. Right: the default (pos_weight="auto"); its
operating points at 0.5 have recall, at a modest precision that per-label
thresholds (ThresholdOptimizer) would trade back.

Run: python examples/plot_precision_recall.py  (writes examples/precision_recall.png)
"""

import os
import warnings

import matplotlib

matplotlib.use("Agg")

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

fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
labels = [3, 5, 7]
for ax, (title, model) in zip(axes, [("the article's mistake", mistake), ("default", default)]):
    print(f"\n{title}, test rows, threshold 0.5:")
    print(label_report(Y_te, model.predict_proba(X_te)))
    LabelPrecisionRecallDisplay.from_estimator(model, X_te, Y_te, labels=labels, ax=ax)
    ax.set_title(f"{title}: operating points at threshold 0.5")
fig.tight_layout()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "precision_recall.png")
fig.savefig(out, dpi=110)
print(f"\nsaved {out}")
