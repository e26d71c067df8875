"""The command line."""

import io
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skimb import MultiLabelImbalancedClassifier, make_long_tail_multilabel
from skimb.cli import MODEL_KEY, demo, main
from skimb.diagnostics import label_report
from skimb.io import save_data


def test_demo_reports_every_label_and_beats_chance():
    out = io.StringIO()
    scores = demo(n_samples=1200, random_state=0, out=out)
    text = out.getvalue()
    assert all(f"label{j}" in text for j in range(12))
    assert "macro-F1" in text and "pos_weight" in text and "pass_rate" in text
    assert scores["micro_f1"] > 0.4  # measured 0.6 at 6,000 rows; chance is far lower
    assert f"macro-F1 {scores['macro_f1']:.3f}" in text


def test_module_entry_point_and_bad_arguments():
    done = subprocess.run(
        [sys.executable, "-m", "skimb", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in done.stdout and "predict" in done.stdout and "report" in done.stdout
    with pytest.raises(SystemExit):
        main(["demo", "--n-samples", "3"])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A model file as `skimb fit --out` writes it, and a labelled CSV."""
    tmp = tmp_path_factory.mktemp("cli")
    X, Y = make_long_tail_multilabel(300, 5, 3, min_prevalence=0.1, random_state=0)
    features, labels = [f"f{i}" for i in range(5)], ["a", "b", "c"]
    model = make_pipeline(
        StandardScaler(), MultiLabelImbalancedClassifier(max_epochs=3, random_state=0)
    ).fit(X, Y)
    path = tmp / "model.joblib"
    joblib.dump(
        {MODEL_KEY: model, "feature_names": features, "label_names": labels}, path
    )
    save_data(tmp / "data.csv", X, Y, features, labels)
    return tmp, model, X, Y


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_predict_writes_labels_or_probabilities(saved, capsys):
    tmp, model, X, _ = saved
    code, out, err = run(["predict", tmp / "model.joblib", tmp / "data.csv"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "a,b,c"
    np.testing.assert_array_equal(np.loadtxt(lines[1:], delimiter=",", ndmin=2),
                                  model.predict(X))
    target = tmp / "proba.csv"
    code, out, _ = run(["predict", tmp / "model.joblib", tmp / "data.csv", "--proba",
                        "--out", target], capsys)
    assert code == 0 and f"to {target}" in out
    np.testing.assert_allclose(np.loadtxt(target, delimiter=",", skiprows=1),
                               model.predict_proba(X), atol=1e-6)


def test_predict_selects_the_model_features_by_name(saved, capsys, tmp_path):
    tmp, model, X, _ = saved
    # columns reordered, labels absent, an extra column: the features are found by name
    path = tmp_path / "reordered.csv"
    header = "extra,f4,f3,f2,f1,f0"
    rows = [",".join(["9", *(f"{v:.9g}" for v in x[::-1])]) for x in X]
    path.write_text("\n".join([header, *rows]) + "\n")
    code, out, _ = run(["predict", tmp / "model.joblib", path], capsys)
    assert code == 0
    np.testing.assert_array_equal(np.loadtxt(out.splitlines()[1:], delimiter=","),
                                  model.predict(X))


def test_report_prints_the_label_report(saved, capsys):
    tmp, model, X, Y = saved
    code, out, _ = run(["report", tmp / "model.joblib", tmp / "data.csv"], capsys)
    assert code == 0
    expected = label_report(Y, model.predict_proba(X), 0.5, ["a", "b", "c"])
    assert str(expected) in out
    assert out.startswith("300 rows of data.csv")


@pytest.mark.parametrize(
    "argv, match",
    [
        (["report", "{tmp}/model.joblib", "{tmp}/nope.csv"], "nope.csv: no such file"),
        (["report", "{tmp}/nope.joblib", "{tmp}/data.csv"], "no such model file"),
        (["report", "{tmp}/data.csv", "{tmp}/data.csv"], "not a skimb model file"),
        (["report", "{tmp}/other.joblib", "{tmp}/data.csv"], "holds a list"),
        (["report", "{tmp}/model.joblib", "{tmp}/nolabels.csv"],
         r"unknown label columns \['a', 'b', 'c'\]"),
        (["report", "{tmp}/model.joblib", "{tmp}/soft.csv"],
         r"soft.csv: the label data has values other than 0 and 1 in columns \['b'\]"),
        (["predict", "{tmp}/model.joblib", "{tmp}/nolabels.csv", "--rows", "test"],
         "only npz files have"),
        (["predict", "{tmp}/model.joblib", "{tmp}/nofeature.csv"],
         r"lacks the feature columns \['f4'\]"),
        (["predict", "{tmp}/model.joblib", "{tmp}/data.csv", "--out", "{tmp}/no/dir/p.csv"],
         "No such file or directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(saved, capsys, argv, match):
    tmp = saved[0]
    joblib.dump([1, 2], tmp / "other.joblib")
    (tmp / "nolabels.csv").write_text("f0,f1,f2,f3,f4\n" + "0,1,2,3,4\n" * 3)
    (tmp / "nofeature.csv").write_text("f0,f1,f2,f3,a\n" + "0,1,2,3,1\n" * 3)
    (tmp / "soft.csv").write_text("f0,f1,f2,f3,f4,a,b,c\n" + "0,1,2,3,4,1,0.7,0\n" * 3)
    code, _, err = run([a.format(tmp=tmp) for a in argv], capsys)
    assert code == 1
    assert err.startswith("skimb: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert re.search(match, err), err
