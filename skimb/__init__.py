"""skimb: imbalanced multi-label classification with PyTorch, the scikit-learn way."""

from ._search import find_thresholds
from .classifier import MultiLabelImbalancedClassifier
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
