"""skimb: imbalanced multi-label classification with PyTorch, the scikit-learn way."""

from ._search import find_thresholds
from .datasets import make_long_tail_multilabel
from .thresholds import ThresholdOptimizer

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiLabelImbalancedClassifier",
    "OnnxModel",
    "ThresholdOptimizer",
    "__version__",
    "find_thresholds",
    "load_onnx",
    "make_long_tail_multilabel",
    "to_onnx",
]


def __getattr__(name: str):
    # The classifier is the torch side: import it (and torch) on first use only, so
    # the NumPy side (ThresholdOptimizer, find_thresholds, and the joblib workers
    # that fit ThresholdOptimizer's folds) does not pay for importing torch.
    if name == "MultiLabelImbalancedClassifier":
        from .classifier import MultiLabelImbalancedClassifier

        return MultiLabelImbalancedClassifier
    # ONNX: export needs onnx, skl2onnx and torch; running an exported model needs
    # onnxruntime only (pip install 'skimb[onnx]').
    if name == "to_onnx":
        from ._onnx._export import to_onnx

        return to_onnx
    if name in ("load_onnx", "OnnxModel"):
        from ._onnx import _runtime

        return getattr(_runtime, name)
    raise AttributeError(f"module 'skimb' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
