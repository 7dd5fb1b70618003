"""The wheel works on its own: built, installed in a fresh virtualenv outside the checkout, and run from a
directory without ``rules/``, ``reform`` answers from the rules inside the package and ``reform serve``
serves them (the seeds too)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]  # one virtualenv, on one worker

GUARD = 600  # seconds: only keeps a hung pip or server from holding the run forever


def _run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GUARD)


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """No REFORM_RULES, no PYTHONPATH into the checkout, no virtualenv of ours."""
    env = {k: v for k, v in os.environ.items() if k not in ("REFORM_RULES", "PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = env.get("HOME", str(tmp_path))
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """(the fresh virtualenv's bin directory, an empty working directory, the environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = _clean_env(tmp)
    dist = tmp / "dist"
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT, cwd=tmp, env=env)
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("reform_rules-*.whl")
    venv = tmp / "venv"
    # never --system-site-packages; without pip of its own: our pip installs into it (--python), which
    # saves bootstrapping one
    made = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp, env=env)
    assert made.returncode == 0, made.stderr
    bin_ = venv / "bin"
    # the wheel and its dependencies, from the indexes pip is configured with here (no byte-compiling of
    # the dependencies: most of the install's time, and not what is tested)
    got = _run(sys.executable, "-m", "pip", "--python", bin_ / "python", "install", "-q", "--no-compile",
               f"{wheel}[web]", cwd=tmp, env=env)
    assert got.returncode == 0, got.stderr[-3000:]
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_, work, env


def test_the_installed_package_is_not_the_checkout(installed):
    bin_, work, env = installed
    r = _run(bin_ / "python", "-c", "import reform_rules, reform_rules.law.rules_dir as d; "
             "print(reform_rules.__file__); print(d.default_rules_dir())", cwd=work, env=env)
    assert r.returncode == 0, r.stderr
    package, rules = r.stdout.splitlines()
    assert not Path(package).resolve().is_relative_to(ROOT)
    assert Path(rules).resolve().is_relative_to(bin_.parent) and Path(rules).name == "rules"
    assert (Path(rules) / "the-answer.yaml").is_file() and (Path(rules) / "seeds").is_dir()


def test_query_from_a_directory_without_rules(installed):
    bin_, work, env = installed
    citizen = work / "anna.yaml"
    citizen.write_text((EXAMPLES / "anna.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert not (work / "rules").exists()
    got = _run(bin_ / "reform", "query", citizen, "--date", "2027-03-01", "--json", cwd=work, env=env)
    assert got.returncode == 0, got.stderr
    want = run_cli("query", str(EXAMPLES / "anna.yaml"), "--date", "2027-03-01", "--json")
    assert want.returncode == 0, want.stderr
    got_answer, want_answer = json.loads(got.stdout), json.loads(want.stdout)
    for answer in (got_answer, want_answer):
        answer.pop("receipt", None)   # made_at and the git revision differ; the answer must not
    assert got_answer == want_answer
    assert got_answer["phase"] == "phase-2"
    text = _run(bin_ / "reform", "query", citizen, "--date", "2027-03-01", cwd=work, env=env)
    assert text.returncode == 0 and "not certified" not in text.stderr, text.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_answers_health_and_serves_the_seeds(installed):
    bin_, work, env = installed
    port = _free_port()
    server = subprocess.Popen([str(bin_ / "reform"), "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + GUARD   # a guard against a server that never starts, not a limit
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                status, body = _get(f"http://127.0.0.1:{port}/api/health")
                break
            except (ConnectionError, urllib.error.URLError):
                assert time.monotonic() < deadline, "reform serve never answered"
                time.sleep(0.2)
        health = json.loads(body)
        assert status == 200 and health["rules"] > 0 and health["checked"] is True
        status, seed = _get(f"http://127.0.0.1:{port}/sources/seed-000.txt")
        assert status == 200 and "borgmestre" in seed.decode("utf-8")
    finally:
        server.terminate()
        server.wait(GUARD)
