"""Sphinx configuration: the site is generated from rules/ by the extension in _ext/reformdocs.py."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))          # the engine package, for autodoc and the extension

project = "reform-rules"
author = "reform-rules"
copyright = "reform-rules contributors"
language = "en"

extensions = ["sphinx.ext.autodoc", "reformdocs"]
exclude_patterns = ["_build", "guide-files", "_ext", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

html_theme = "alabaster"
html_title = "reform-rules"
html_static_path = ["_static"]
html_css_files = ["reform.css"]
html_theme_options = {
    "description": "The Danish employment reform of 2025 as rules-as-code",
    "page_width": "1240px",
    "body_max_width": "none",
    "sidebar_width": "240px",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
# Type hints name `date` (datetime.date) beside attributes called `date`; an ambiguous hint links to neither,
# which is right, so that one kind of warning is not an error.
suppress_warnings = ["ref.python"]
