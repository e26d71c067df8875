"""skimb: imbalanced multi-label classification with PyTorch, the scikit-learn way."""

from .classifier import MultiLabelImbalancedClassifier
from .datasets import make_long_tail_multilabel

__version__ = "0.1.0.dev0"

__all__ = ["MultiLabelImbalancedClassifier", "__version__", "make_long_tail_multilabel"]
