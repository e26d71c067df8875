"""The command line with ONNX model files, and its refusal to load untrusted pickles."""

import importlib.util
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

from skimb import load_onnx, make_long_tail_multilabel
from skimb.cli import BROKEN_PIPE_EXIT, MODEL_KEY, main
from skimb.io import save_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIT = ["--labels", "3", "--cv", "2", "--epochs", "2", "--seed", "0", "-q"]
NO_TORCH = """
import sys

class Block:  # an import hook: `import torch` (or skorch) raises ImportError
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "skorch"):
            raise ImportError(f"{name} is blocked in this process")

sys.meta_path.insert(0, Block())
from skimb.cli import main
"""


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def fresh_python(args, **kwargs):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          **kwargs)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A CSV, the model `skimb fit` pickles, its `skimb export`, and `fit --out x.onnx`."""
    tmp = tmp_path_factory.mktemp("onnx_cli")
    X, Y = make_long_tail_multilabel(300, 5, 3, min_prevalence=0.05, random_state=0)
    save_data(tmp / "d.csv", X, Y, [f"f{i}" for i in range(5)], ["a", "b", "c"])
    assert main(["fit", str(tmp / "d.csv"), *FIT, "--out", str(tmp / "m.joblib")]) == 0
    assert main(["export", str(tmp / "m.joblib"), str(tmp / "m.onnx"), "--trust-model"]) == 0
    assert main(["fit", str(tmp / "d.csv"), *FIT, "--out", str(tmp / "direct.onnx")]) == 0
    pipeline = joblib.load(tmp / "m.joblib")[MODEL_KEY]
    return tmp, pipeline, np.asarray(X, dtype=np.float32)


def test_export_and_fit_out_onnx_match_the_pickled_model(models, capsys):
    tmp, pipeline, X = models
    capsys.readouterr()
    for name in ("m.onnx", "direct.onnx"):  # same data and seed: the same model
        code, out, err = run(["predict", tmp / name, tmp / "d.csv"], capsys)
        assert code == 0 and err == ""
        lines = out.splitlines()
        assert lines[0] == "a,b,c"
        np.testing.assert_array_equal(np.loadtxt(lines[1:], delimiter=","),
                                      pipeline.predict(X))
        code, out, _ = run(["predict", tmp / name, tmp / "d.csv", "--proba"], capsys)
        np.testing.assert_allclose(np.loadtxt(out.splitlines()[1:], delimiter=","),
                                   pipeline.predict_proba(X), atol=1e-5)
    model = load_onnx(tmp / "m.onnx")
    assert model.label_names_ == ["a", "b", "c"]
    assert model.feature_names_ == [f"f{i}" for i in range(5)]
    np.testing.assert_array_equal(model.thresholds_, pipeline[-1].thresholds_)


def test_report_on_an_onnx_model(models, capsys):
    tmp, pipeline, _ = models
    code, out, _ = run(["report", tmp / "m.onnx", tmp / "d.csv"], capsys)
    assert code == 0 and out.startswith("300 rows of d.csv")
    thresholds = [float(line.split()[5]) for line in out.splitlines()
                  if line.split()[:1] in (["a"], ["b"], ["c"])]
    np.testing.assert_allclose(thresholds, pipeline[-1].thresholds_, atol=5e-5)


def test_predict_and_report_run_where_torch_cannot_be_imported(models):
    tmp, pipeline, X = models
    onnx_model, pickle_model, data = tmp / "m.onnx", tmp / "m.joblib", tmp / "d.csv"
    script = NO_TORCH + f"""
assert main(["predict", {str(onnx_model)!r}, {str(data)!r}, "--out", {str(tmp / "p.csv")!r}]) == 0
assert main(["report", {str(onnx_model)!r}, {str(data)!r}]) == 0
# the check has teeth: the pickle, which needs torch, cannot be loaded here
assert main(["predict", {str(pickle_model)!r}, {str(data)!r}, "--trust-model"]) == 1
assert "torch" not in sys.modules and "skorch" not in sys.modules
"""
    done = fresh_python(["-c", script])
    assert done.returncode == 0, done.stderr
    assert "macro" in done.stdout  # the report
    assert done.stderr.startswith("skimb: error: ")  # the pickle
    np.testing.assert_array_equal(np.loadtxt(tmp / "p.csv", delimiter=",", skiprows=1),
                                  pipeline.predict(X))


class Crafted:
    """A pickle that runs code when loaded: here, it makes a directory."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.mark.parametrize("command", ["predict", "report", "export"])
def test_a_pickle_is_not_loaded_without_trust(models, tmp_path, capsys, command):
    tmp = models[0]
    marker = tmp_path / "code_ran"
    joblib.dump(Crafted(marker), tmp_path / "evil.joblib")
    second = tmp_path / "out.onnx" if command == "export" else tmp / "d.csv"
    code, out, err = run([command, tmp_path / "evil.joblib", second], capsys)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "evil.joblib is a pickle (joblib) model file, and loading a pickle runs any " \
        "code it holds, so skimb loads one only with --trust-model" in err
    assert "skimb export" in err and "model.onnx" in err
    assert not marker.exists()
    # a text (protocol 0) pickle does not look like one; it is still never unpickled
    (tmp_path / "evil.txt").write_bytes(pickle.dumps(Crafted(marker), protocol=0))
    code, out, err = run([command, tmp_path / "evil.txt", second], capsys)
    assert code == 1 and "evil.txt: not a skimb model file (neither ONNX nor a joblib " \
        "pickle)" in err
    assert not marker.exists()
    # with the flag the pickle is loaded, and its code runs: the marker is made
    code, _, err = run([command, tmp_path / "evil.joblib", second, "--trust-model"], capsys)
    assert marker.exists()
    assert code == 1 and "not a skimb model file" in err


def test_fit_out_onnx_without_the_extra_fails_before_training(models, capsys, monkeypatch):
    tmp = models[0]
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skl2onnx" else find_spec(name, *a))
    code, out, err = run(["fit", tmp / "d.csv", *FIT, "--out", tmp / "x.onnx"], capsys)
    assert code == 1 and out == ""
    assert err == f"skimb: error: --out {tmp / 'x.onnx'} needs skl2onnx: pip install " \
        "'skimb[onnx]'.\n"


def test_predict_into_a_closed_pipe_ends_quietly(models, tmp_path):
    tmp = models[0]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 5)).astype(np.float32)  # ~600 KB of probabilities
    save_data(tmp_path / "big.csv", X, np.zeros((20000, 3), int),
              [f"f{i}" for i in range(5)], ["a", "b", "c"])
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "skimb", "predict", str(tmp / "m.onnx"),
         str(tmp_path / "big.csv"), "--proba"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    head = [process.stdout.readline() for _ in range(3)]  # like `| head -n 3`
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=120)
    assert head[0] == b"a,b,c\n"
    assert stderr == ""  # no "Broken pipe", no traceback
    assert process.returncode == BROKEN_PIPE_EXIT
