"""Command-line options: --version, --cv, --loss, --batch-size, --lr, --help without
torch, a quiet broken pipe, scipy.sparse.save_npz files."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import skimb
from skimb import make_long_tail_multilabel
from skimb.cli import LOSSES, main
from skimb.io import load_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python(code_or_args, **kwargs):
    """Run Python in a fresh process with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, *code_or_args], capture_output=True, text=True,
                          env=env, **kwargs)


def usage(argv, capsys):
    """Exit status and stderr of an argparse error (or of --version, on stdout)."""
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


def test_version_and_help_import_no_torch(capsys):
    code, out, _ = usage(["--version"], capsys)
    assert code == 0 and out == f"skimb {skimb.__version__}\n"
    # in a fresh process: --version and --help do not import torch (or skorch)
    script = ("import sys\nfrom skimb.cli import main\n"
              "for argv in (['--version'], ['fit', '--help']):\n"
              "    try:\n        main(argv)\n"
              "    except SystemExit as e:\n        print('exit', e.code)\n"
              "print('torch' in sys.modules, 'skorch' in sys.modules)")
    done = python(["-c", script])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"skimb {skimb.__version__}", "exit 0"]
    assert "--loss LOSS" in done.stdout and "focal" in done.stdout  # the choices are listed
    assert lines[-2:] == ["exit 0", "False False"]


def test_loss_choices_are_the_registry():
    from skimb.losses import available_losses

    assert list(LOSSES) == available_losses()


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("options")
    X, Y = make_long_tail_multilabel(200, 4, 3, min_prevalence=0.1, random_state=0)
    lines = ["f0,f1,f2,f3,a,b,c"]
    lines += [",".join([*(f"{v:.6g}" for v in x), *(str(v) for v in y)]) for x, y in zip(X, Y)]
    path = tmp / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--loss", "nope", r"argument --loss: invalid choice: 'nope' \(choose from "
         r"'?asymmetric'?, '?bce'?, .*zlpr'?\)"),
        ("--cv", "1", r"argument --cv: 1 fold: give at least 2 folds, or the share of rows"),
        ("--cv", "1.5", r"argument --cv: '1.5': give a number of folds \(at least 2, e.g. 5\) "
         r"or the share of rows held out"),
        ("--cv", "x", r"argument --cv: 'x': give a number of folds"),
        ("--batch-size", "0", r"argument --batch-size: '0': give a whole number of rows above 0"),
        ("--batch-size", "2.5", r"argument --batch-size: '2.5': give a whole number"),
        ("--lr", "-1", r"argument --lr: '-1': give a learning rate above 0"),
        ("--lr", "nan", r"argument --lr: 'nan': give a learning rate above 0"),
        ("--threads", "0", r"argument --threads: '0': give 'auto' or a whole number of threads"),
        ("--threads", "many", r"argument --threads: 'many': give 'auto' or a whole number"),
    ],
)
def test_bad_option_values_exit_2_naming_the_option(csv, capsys, option, value, message):
    code, _, err = usage(["fit", csv, "--labels", "3", option, value], capsys)
    assert code == 2
    assert re.search(message, err), err


def test_cv_float_batch_size_and_lr_reach_the_model(csv, capsys, monkeypatch):
    from skimb import cli

    built = {}
    build_model = cli.build_model

    def spy(*args, **kwargs):
        built["model"] = build_model(*args, **kwargs)
        return built["model"]

    monkeypatch.setattr(cli, "build_model", spy)
    code = main(["fit", str(csv), "--labels", "3", "--cv", "0.3", "--batch-size", "32",
                 "--lr", "0.01", "--epochs", "2", "--threads", "2", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    optimizer = built["model"][-1]
    assert optimizer.cv == 0.3 and isinstance(optimizer.cv, float)
    params = optimizer.estimator_.get_params()
    assert params["batch_size"] == 32 and params["lr"] == 0.01
    assert params["num_threads"] == 2
    # one validation split of 30% of the 200 rows: the report covers those rows only
    held_out = int(np.ceil(0.3 * 200))
    assert f"validation report ({held_out} of 200 rows held out by --cv 0.3" in out
    assert "batch_size=32, lr=0.01, num_threads=2" in out


def test_scipy_save_npz_files_are_read(tmp_path):
    rng = np.random.default_rng(0)
    features = sp.random(30, 4, density=0.4, format="csr", random_state=0)
    labels = (rng.random((30, 2)) < 0.3).astype(float)  # the last 2 columns are labels
    M = sp.hstack([features, sp.csr_matrix(labels)], format="csr")
    path = tmp_path / "m.npz"
    sp.save_npz(path, M)
    data = load_data(path, ["2"])
    assert sp.issparse(data.X) and data.X.shape == (30, 4)
    assert data.feature_names == ["x0", "x1", "x2", "x3"] and data.label_names == ["x4", "x5"]
    np.testing.assert_array_equal(data.X.toarray(), M[:, :4].toarray().astype(np.float32))
    np.testing.assert_array_equal(data.Y, M[:, 4:].toarray())
    # a model's feature names: the columns are taken by position
    features = load_data(path, None, feature_names=list("abcdef"), require_labels=False)
    assert features.feature_names == list("abcdef") and features.X.shape == (30, 6)
    with pytest.raises(ValueError, match=r"m\.npz: has 6 columns, but the model takes 5 "
                       r"features; a scipy\.sparse\.save_npz file has no column names"):
        load_data(path, None, feature_names=list("abcde"), require_labels=False)


def test_fit_reads_a_save_npz_file(tmp_path, capsys):
    X, Y = make_long_tail_multilabel(120, 4, 2, min_prevalence=0.2, random_state=0)
    path = tmp_path / "m.npz"
    sp.save_npz(path, sp.csr_matrix(np.hstack([X, Y])))
    code = main(["fit", str(path), "--labels", "2", "--cv", "2", "--epochs", "1", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    assert "read m.npz: 120 rows, 4 features, 2 labels" in out
    assert "out-of-fold report (120 rows" in out and "x4" in out and "x5" in out
