"""Shared fixtures: the real rule base, and the CLI run as a user runs it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = ROOT / "scenarios" / "examples"
FICTIONAL = ROOT / "tests" / "fixtures" / "fictional"   # the Lending Library Act: the engine's tests (tests/engine)

# Rule sets read once are kept (reform_rules/law/kept.py): in a directory of this run's own, not in the home
# directory of whoever runs the tests; the commands the tests start inherit it.
if "REFORM_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["REFORM_CACHE_DIR"] = tempfile.mkdtemp(prefix="reform-test-kept-")


def sampled(n: int, sample: int | None, seed: object) -> range | list[int]:
    """All of ``range(n)``, or a seeded sample of ``sample`` of them (a proof too big to check cell by cell)."""
    import random
    return range(n) if sample is None or n <= sample else random.Random(str(seed)).sample(range(n), sample)


@pytest.fixture(scope="session")
def base():
    from reform_rules import RuleBase
    return RuleBase.load(RULES)


@pytest.fixture(scope="session")
def vocab(base):
    return base.ruleset.vocabulary


@pytest.fixture(scope="session")
def real_proof(base):
    """The completeness proof of the real law over its horizon, made once for every test that reads it."""
    from reform_rules.logic.completeness import check_completeness
    lo, hi = base.ruleset.vocabulary.horizon
    return check_completeness(base, lo, hi)


@pytest.fixture(scope="session")
def fictional_dir(tmp_path_factory) -> Path:
    """A copy of the fictional law (``reform check`` writes its certificate beside the rules)."""
    copy = tmp_path_factory.mktemp("fictional") / "rules"
    shutil.copytree(FICTIONAL, copy)
    return copy


@pytest.fixture(scope="session")
def library(fictional_dir):
    """The fictional law, loaded and compiled."""
    from reform_rules import RuleBase
    return RuleBase.load(fictional_dir)


@pytest.fixture(scope="session")
def library_proof(library):
    """The completeness proof of the fictional law over its horizon (made once)."""
    from reform_rules.logic.completeness import check_completeness
    lo, hi = library.ruleset.vocabulary.horizon
    return check_completeness(library, lo, hi)


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 900, env: dict[str, str] | None = None,
            process: bool = False) -> subprocess.CompletedProcess:
    """``reform ARGS`` as a user runs it (``env`` added to the environment, REFORM_RULES and REFORM_LANG unset);
    stdout and stderr captured as text.

    In this process through click's test runner (a fresh interpreter and rule load cost about a second a call),
    an exception that escapes the command rendered as a traceback on stderr as Python would; with ``process``
    (or ``REFORM_TEST_CLI=process`` in the environment) in a fresh ``python -m reform_rules`` (the timeout only
    guards against a hang)."""
    if process or os.environ.get("REFORM_TEST_CLI") == "process":
        base_env = dict(os.environ, PYTHONPATH=str(ROOT))
        base_env.pop("REFORM_RULES", None)
        base_env.pop("REFORM_LANG", None)
        return subprocess.run([sys.executable, "-m", "reform_rules", *args], cwd=cwd, env={**base_env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout)
    return _run_in_process([str(a) for a in args], cwd, env or {})


def _run_in_process(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    from click.testing import CliRunner

    from reform_rules.cli.main import main
    before = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, env={"REFORM_RULES": None, "REFORM_LANG": None, **env},
                                    prog_name="reform")
    finally:
        os.chdir(before)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit) and result.exc_info:
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["reform", *args], result.exit_code, result.stdout, stderr)


@pytest.fixture
def cli():
    return run_cli


# Hypothesis explores new examples on every local run; in CI it is derandomised so that a run is
# reproducible (a failure found locally is kept in .hypothesis/ and replayed).
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hsettings.load_profile("ci")
