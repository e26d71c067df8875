"""skimb: imbalanced multi-label classification with PyTorch, the scikit-learn way."""

from ._search import find_thresholds
from .datasets import make_long_tail_multilabel
from .thresholds import ThresholdOptimizer

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiLabelImbalancedClassifier",
    "ThresholdOptimizer",
    "__version__",
    "find_thresholds",
    "make_long_tail_multilabel",
]


def __getattr__(name: str):
    # The classifier is the torch side: import it (and torch) on first use only, so
    # the NumPy side (ThresholdOptimizer, find_thresholds, and the joblib workers
    # that fit ThresholdOptimizer's folds) does not pay for importing torch.
    if name == "MultiLabelImbalancedClassifier":
        from .classifier import MultiLabelImbalancedClassifier

        return MultiLabelImbalancedClassifier
    raise AttributeError(f"module 'skimb' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
