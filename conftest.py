"""Collection settings for the doctests of ``skimb/`` (``--doctest-modules``)."""

import importlib.util

# The ONNX modules need the `onnx` extra; without it, their doctests are not
# collected (tests/test_onnx.py and tests/test_cli_onnx.py skip themselves).
collect_ignore_glob = (
    []
    if all(importlib.util.find_spec(m) for m in ("onnx", "skl2onnx", "onnxruntime"))
    else ["skimb/_onnx/*"]
)
