"""Sphinx configuration of skimb's documentation site.

Build (no network needed):  python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import sys
import warnings
from datetime import date

# Build from this checkout, whatever skimb is installed elsewhere.
sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import skimb

project = "skimb"
author = "The skimb developers"
copyright = f"{date.today().year}, {author}"
release = skimb.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]

# --- API reference -------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# --- Markdown user guide (MyST) --------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# --- Gallery: examples/ run at build time ------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 1,
    "show_memory": False,
    "reference_url": {"skimb": None},
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skimb",),
}

# --- HTML ---------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skimb {release}"
html_static_path = ["_static"]
html_css_files = ["skimb.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "icon_links": [],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
# Pages without sub-pages: no empty "Section Navigation" column.
html_sidebars = {page: [] for page in
                 ("index", "install", "comparison", "architecture", "changelog")}

# No network at build time: no intersphinx, no remote images, no external link checks.
suppress_warnings = []

warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_fit_request & co. per class; their docstrings point
    # into scikit-learn's own site (no network here). The API pages link to
    # scikit-learn's metadata-routing guide in prose instead.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
