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

from skimb import MultiLabelImbalancedClassifier, ThresholdOptimizer, make_long_tail_multilabel
from skimb.cli import MODEL_KEY, demo, main
from skimb.diagnostics import label_report
from skimb.io import save_data


def test_demo_reports_every_label_and_beats_chance():
    out = io.StringIO()
    scores = demo(n_samples=3000, random_state=0, out=out)
    text = out.getvalue()
    assert all(f"label{j}" in text for j in range(12))
    assert "macro-F1" in text and "pos_weight" in text and "pass_rate" in text
    assert "F1@0.5" in text and "threshold" in text
    assert scores["micro_f1_05"] > 0.4  # measured 0.6 at 6,000 rows; chance is far lower
    # The learned thresholds beat 0.5 on the held-out half (measured at 3,000 rows,
    # seed 0: macro-F1 0.445 -> 0.500, micro-F1 0.612 -> 0.682). At 1,200 rows,
    # where max_epochs="auto" trains 75 epochs, the 0.5 cut is already as good
    # (0.433 -> 0.415): too few held-out positives to tell them apart.
    assert scores["macro_f1"] > scores["macro_f1_05"] + 0.02
    assert scores["micro_f1"] > scores["micro_f1_05"]
    assert f"macro-F1 {scores['macro_f1_05']:.3f} -> {scores['macro_f1']:.3f}" in text


def test_module_entry_point_and_bad_arguments():
    done = subprocess.run(
        [sys.executable, "-m", "skimb", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in done.stdout and "predict" in done.stdout and "report" in done.stdout
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--n-samples", "3"])
    assert exit_.value.code == 2


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


TRUST = "--trust-model"


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_predict_writes_labels_or_probabilities(saved, capsys):
    tmp, model, X, _ = saved
    code, out, err = run(["predict", tmp / "model.joblib", tmp / "data.csv", TRUST], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "a,b,c"
    np.testing.assert_array_equal(np.loadtxt(lines[1:], delimiter=",", ndmin=2),
                                  model.predict(X))
    target = tmp / "proba.csv"
    code, out, _ = run(["predict", tmp / "model.joblib", tmp / "data.csv", "--proba",
                        "--out", target, TRUST], capsys)
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
    code, out, _ = run(["predict", tmp / "model.joblib", path, TRUST], capsys)
    assert code == 0
    np.testing.assert_array_equal(np.loadtxt(out.splitlines()[1:], delimiter=","),
                                  model.predict(X))


def test_report_prints_the_label_report(saved, capsys):
    tmp, model, X, Y = saved
    code, out, _ = run(["report", tmp / "model.joblib", tmp / "data.csv", TRUST], capsys)
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
         r"nolabels.csv: lacks the label columns \['a', 'b', 'c'\]; `skimb report` compares "
         r"the model's predictions with these labels, so the file needs them, named as in "
         r"training, next to the features \(for predictions without labels, use `skimb "
         r"predict`\)"),
        (["report", "{tmp}/model.joblib", "{tmp}/soft.csv"],
         r"soft.csv: the label data has values other than 0 and 1 in columns \['b'\]"),
        (["predict", "{tmp}/model.joblib", "{tmp}/nolabels.csv", "--rows", "test"],
         "only npz files have"),
        (["predict", "{tmp}/model.joblib", "{tmp}/nofeature.csv"],
         r"lacks the feature columns \['f4'\]"),
        (["predict", "{tmp}/model.joblib", "{tmp}/data.csv", "--out", "{tmp}/no/dir/p.csv"],
         "the folder .*no.dir does not exist; create it first"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(saved, capsys, argv, match):
    tmp = saved[0]
    joblib.dump([1, 2], tmp / "other.joblib")
    (tmp / "nolabels.csv").write_text("f0,f1,f2,f3,f4\n" + "0,1,2,3,4\n" * 3)
    (tmp / "nofeature.csv").write_text("f0,f1,f2,f3,a\n" + "0,1,2,3,1\n" * 3)
    (tmp / "soft.csv").write_text("f0,f1,f2,f3,f4,a,b,c\n" + "0,1,2,3,4,1,0.7,0\n" * 3)
    code, _, err = run([*(a.format(tmp=tmp) for a in argv), TRUST], capsys)
    assert code == 1
    assert err.startswith("skimb: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert re.search(match, err), err


# ---------------------------------------------------------------- end to end
DENSE_HEADER = "@relation 'toy'\n"


def write_dense_arff(path, X, Y, features, labels):
    """A dense MULAN ARFF written by hand (not by skimb.io), labels last."""
    lines = [DENSE_HEADER, *(f"@attribute {f} numeric" for f in features),
             *(f"@attribute {lab} {{0,1}}" for lab in labels), "@data"]
    lines += [",".join([*(f"{v:.9g}" for v in x), *(str(v) for v in y)]) for x, y in zip(X, Y)]
    path.write_text("\n".join(lines) + "\n")


def write_sparse_arff(path, X, Y, features, labels):
    lines = ["@relation sparse", *(f"@attribute {f} numeric" for f in features),
             *(f"@attribute {lab} {{0,1}}" for lab in labels), "@data"]
    d = len(features)
    for x, y in zip(X, Y):
        entries = [f"{j} {x[j]:.9g}" for j in np.flatnonzero(x)]
        entries += [f"{d + j} 1" for j in np.flatnonzero(y)]
        lines.append("{" + ",".join(entries) + "}")
    path.write_text("\n".join(lines) + "\n")


def test_too_few_demo_rows_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--n-samples", "3"])
    assert exit_info.value.code == 2  # argparse's usage error, not a success
    assert "--n-samples must be at least 20" in capsys.readouterr().err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    X, Y = make_long_tail_multilabel(160, 5, 3, min_prevalence=0.1, random_state=0)
    X = np.where(np.abs(X) > 0.5, X, 0).astype(np.float32)  # zeros for the sparse file
    features, labels = [f"f{i}" for i in range(5)], ["a", "b", "c"]
    lines = [",".join(features + labels)]
    lines += [",".join([*(f"{v:.9g}" for v in x), *(str(v) for v in y)]) for x, y in zip(X, Y)]
    (tmp / "d.csv").write_text("\n".join(lines) + "\n")
    write_dense_arff(tmp / "dense.arff", X, Y, features, labels)
    write_sparse_arff(tmp / "sparse.arff", X, Y, features, labels)
    np.savez(tmp / "d.npz", X=X, Y=Y.astype(np.uint8), label_names=np.array(labels),
             feature_names=np.array(features), is_test=np.arange(160) >= 120)
    return tmp, X, Y


FIT = ["--cv", "2", "--epochs", "2", "--seed", "0", "-q"]


@pytest.mark.parametrize(
    "name, labels", [("d.csv", ["a", "b", "c"]), ("dense.arff", ["3"]),
                     ("sparse.arff", ["3"]), ("d.npz", [])],
)
def test_fit_predict_report_on_every_format(files, capsys, name, labels):
    tmp, X, _ = files
    model = tmp / f"{name}.joblib"
    label_args = ["--labels", *labels] if labels else []
    code, out, err = run(["fit", tmp / name, *label_args, *FIT, "--out", model], capsys)
    assert code == 0, err
    rows = 120 if name.endswith(".npz") else 160  # npz: the training rows of is_test
    assert f"out-of-fold report ({rows} rows" in out and f"saved {model}" in out
    bundle = joblib.load(model)
    opt = bundle[MODEL_KEY][-1]
    assert bundle["label_names"] == ["a", "b", "c"]
    # the report's macro-F1 is the optimizer's own out-of-fold score
    macro_line = next(line for line in out.splitlines() if line.startswith("macro"))
    assert float(macro_line.split()[-2]) == pytest.approx(opt.best_score_, abs=5e-4)

    code, out, _ = run(["predict", model, tmp / name, TRUST], capsys)
    assert code == 0
    X_pred = X[120:] if name.endswith(".npz") else X
    np.testing.assert_array_equal(np.loadtxt(out.splitlines()[1:], delimiter=","),
                                  bundle[MODEL_KEY].predict(X_pred))
    code, out, _ = run(["report", model, tmp / name, TRUST], capsys)
    assert code == 0 and f"{len(X_pred)} rows of {name}" in out
    thresholds_line = [line.split()[5] for line in out.splitlines() if line.startswith("a ")]
    assert float(thresholds_line[0]) == pytest.approx(opt.thresholds_[0], abs=5e-5)


def test_fit_matches_the_python_api_on_the_same_data_and_seed(files, capsys):
    tmp, X, Y = files
    code, out, _ = run(["fit", tmp / "d.csv", "--labels", "3", *FIT], capsys)
    assert code == 0 and "not saved" in out
    api = make_pipeline(
        StandardScaler(),
        ThresholdOptimizer(MultiLabelImbalancedClassifier(max_epochs=2, random_state=0),
                           cv=2, random_state=0),
    ).fit(X, Y)
    opt = api[-1]
    expected = label_report(Y, opt.oof_scores_, opt.thresholds_, ["a", "b", "c"])
    assert str(expected) in out


def test_fit_errors_are_one_line(files, capsys):
    tmp = files[0]
    for argv, match in [
        (["fit", tmp / "d.csv", "--labels", "zzz"], r"unknown label columns \['zzz'\]"),
        (["fit", tmp / "d.csv"], "which columns are the labels"),
    ]:
        code, _, err = run(argv, capsys)
        assert code == 1 and err.count("\n") == 1 and re.search(match, err), err
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(tmp / "d.csv"), "--labels", "a", "--objective", "accuracy"])
    assert exit_.value.code == 2
    assert "invalid choice: 'accuracy'" in capsys.readouterr().err
