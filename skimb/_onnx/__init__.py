"""ONNX export (``_export``: skl2onnx converters, imports torch) and inference
(``_runtime``: onnxruntime and NumPy only, never torch).

The public names are :func:`skimb.to_onnx`, :func:`skimb.load_onnx` and
:class:`skimb.OnnxModel`; nothing else in skimb imports this package except the
command line.
"""
