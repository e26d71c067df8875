"""The files a user of a scikit-learn-contrib project expects, and what they say."""

import configparser
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_license_is_the_bsd_3_clause_text_setup_cfg_declares():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert cfg["metadata"]["license"] == "BSD-3-Clause"
    text = read("LICENSE")
    assert text.startswith("BSD 3-Clause License")
    assert "Neither the name of the copyright holder nor the names of its" in text


def test_package_metadata_and_typed_marker():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    meta = cfg["metadata"]
    assert meta["author"]
    # no project URLs until the project has a public address: none is invented
    assert "url" not in meta and "project_urls" not in meta
    classifiers = meta["classifiers"]
    low = cfg["options"]["python_requires"].removeprefix(">=")
    assert f"Programming Language :: Python :: {low}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert (ROOT / "skimb" / "py.typed").exists()
    assert cfg["options.package_data"]["skimb"].strip() == "py.typed"
    assert "sphinx" in cfg["options.extras_require"]["docs"]


def test_changelog_citation_and_contributing():
    changelog = read("CHANGELOG.md")
    assert "keepachangelog.com" in changelog and "## [Unreleased]" in changelog
    assert re.search(r"^## \[\d+\.\d+\.\d+[^\]]*\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    citation = read("CITATION.cff")
    assert "cff-version: 1.2.0" in citation
    import skimb

    assert f"version: {skimb.__version__}" in citation
    contributing = read("CONTRIBUTING.md")
    for step in ("python -m pytest -n 2", "python -m sphinx -W", "benchmarks/", CPU_TORCH):
        assert step in contributing


def test_readme_works_on_a_package_index_page():
    readme = read("README.md")
    assert "../shared" not in readme
    # every link and image is absolute (a package index page has no repository around
    # it); the repository's own files are named by path, since it has no public address
    targets = re.findall(r"\]\(([^)]+)\)", readme)
    assert all(t.startswith("https://") for t in targets)
    assert not any("github.com" in t or "githubusercontent" in t for t in targets)
    for page in ("docs/classifier.md", "docs/thresholds.md", "docs/deployment.md"):
        assert f"`{page}`" in readme
    assert CPU_TORCH in readme and "CI installs" in readme


def test_readme_test_command_is_the_one_ci_runs_and_ci_builds_the_docs():
    ci = read(".ci/run")
    command = re.search(r"```bash\n(pip install -e .*)\n```", read("README.md")).group(1)
    test = command.split(" && ")[1]
    assert test in ci.splitlines()              # the README's exact test command
    # the pinned CPU build first (CI's index serves it), before the package pulls torch in
    assert ci.index("pip install -q torch==2.13.0") < ci.index('pip install -q -e ".[dev')
    assert re.search(r"python -m sphinx -W .*docs docs/_build/html", ci)
    assert ci.index("python -m pytest") < ci.index("python -m sphinx")


@pytest.mark.parametrize("folder", ["docs", "examples"])
def test_no_unexplained_or_internal_wording(folder):
    files = [ROOT / "README.md", *sorted((ROOT / folder).glob("*.md")),
             *sorted((ROOT / folder).glob("*.py"))]
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        for phrase in ("the article", "article's", "mission", "../shared"):
            assert phrase not in text, f"{path.name} says {phrase!r}"
