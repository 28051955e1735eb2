"""Sphinx configuration of ecoopt's documentation (MyST Markdown pages, furo theme).

Built strictly (``python -m sphinx -W --keep-going -b html docs docs/_build/html``): every
warning — a broken reference, a docstring autodoc cannot parse, a missing page — fails the
build, and ``tests/test_docs.py`` runs that build. The notebooks are rendered from their
committed outputs (``nb_execution_mode = "off"``), copied from ``../notebooks`` at each build.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))

import ecoopt  # noqa: E402

project = "ecoopt"
author = "the ecoopt developers"
copyright = "2026, the ecoopt developers"
release = version = ecoopt.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.doctest",
    "ecoopt_docs",
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
html_theme = "furo"
html_title = f"ecoopt {release}"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"exclude-members": "model_config, model_fields, model_computed_fields"}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
nitpicky = False
suppress_warnings = ["myst.header"]


def _copy_notebooks(app) -> None:  # noqa: ANN001
    """The committed, executed notebooks, copied in so that they render as pages."""
    out = HERE / "notebooks"
    out.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        target = out / nb.name
        if not target.exists() or target.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, target)


def setup(app) -> None:  # noqa: ANN001
    app.connect("builder-inited", _copy_notebooks)
