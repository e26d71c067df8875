"""Every Python block of the user guide (docs/*.md) runs.

Each page's ``python`` blocks run in order in one namespace, in a temporary
directory, the way a reader pastes them one after the other. The pages use
small generated data, so this stays a few seconds.
"""

import re
import sys
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: str) -> list[str]:
    return _FENCE.findall((DOCS / page).read_text(encoding="utf-8"))


def test_the_user_guide_has_python_blocks():
    assert {"classifier.md", "thresholds.md", "losses.md", "diagnostics.md"} <= set(PAGES)
    assert sum(len(python_blocks(p)) for p in PAGES) >= 8


@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page[:-3]}"}
    try:
        for i, block in enumerate(python_blocks(page)):
            code = compile(block, f"{page} python block {i + 1}", "exec")
            with warnings.catch_warnings():
                # the pages show warnings on purpose (a collapse, double weighting)
                warnings.simplefilter("ignore")
                exec(code, namespace)
    finally:
        # accelerate keeps one process-wide state: a page's Accelerator(mixed_precision="bf16")
        # would otherwise make every later Accelerator() in this process bf16
        state = sys.modules.get("accelerate.state")
        if state is not None:
            state.AcceleratorState._reset_state(True)


def test_api_reference_lists_every_public_name():
    import importlib

    listed = set()
    module = None
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        if line.startswith(".. currentmodule:: "):
            module = line.split(":: ")[1].strip()
        elif line.startswith("   ") and line.strip() and not line.strip().startswith(":"):
            listed.add(f"{module}.{line.strip()}")
    for name in ("skimb", "skimb.callbacks", "skimb.datasets", "skimb.diagnostics",
                 "skimb.display", "skimb.io", "skimb.losses", "skimb.model_selection",
                 "skimb.modules", "skimb.objectives", "skimb._search",
                 "skimb._calibration"):
        public = importlib.import_module(name).__all__
        home = "skimb" if name == "skimb.datasets" else name
        missing = [n for n in public if n != "__version__" and f"{home}.{n}" not in listed
                   and f"skimb.{n}" not in listed]
        assert not missing, f"{name}: {missing} have no API page"
