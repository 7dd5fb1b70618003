"""Where the law is read from when no directory is named: ``$REFORM_RULES``, else ``./rules``, else the
rules installed with the package (the wheel ships ``rules/`` as the package ``reform_rules.rules``)."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE = "reform_rules.rules"


def installed_rules_dir() -> Path | None:
    """The rules directory shipped inside the installed package (None: not installed with its rules)."""
    try:
        found = resources.files(PACKAGE)
    except (ModuleNotFoundError, TypeError):
        return None
    if isinstance(found, Path):
        return found
    # ``rules/`` has no __init__.py, so it is a namespace package: a MultiplexedPath over its directories
    for part in getattr(found, "_paths", ()):
        if isinstance(part, Path) and part.is_dir():
            return part
    return None


def default_rules_dir() -> Path:
    """``$REFORM_RULES``, else ``./rules``, else the rules installed with the package."""
    env = os.environ.get("REFORM_RULES")
    if env:
        return Path(env)
    here = Path("rules")
    try:
        if here.is_dir():
            return here
    except OSError:  # a working directory that cannot be searched: loading ./rules names the problem
        return here
    return installed_rules_dir() or here
