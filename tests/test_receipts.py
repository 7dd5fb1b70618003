"""Receipts, 'as known on' and verify, on a small git repository of rule sets made here."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

LONE = str(ROOT / "scenarios" / "examples" / "dagpenge-aarhus-2027.yaml")


def git(repo: Path, *args: str, when: str | None = None) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    if when:
        env.update(GIT_AUTHOR_DATE=f"{when}T12:00:00+00:00", GIT_COMMITTER_DATE=f"{when}T12:00:00+00:00")
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """Two commits: the rules as they are (1 March 2026), then phase 2 moved to 1 July 2027 (1 June 2026)."""
    repo = tmp_path_factory.mktemp("history")
    shutil.copytree(ROOT / "rules", repo / "rules")
    git(repo, "init", "-q")
    git(repo, "add", "rules")
    git(repo, "commit", "-q", "-m", "The rules as enacted", when="2026-03-01")
    p = repo / "rules" / "phases.yaml"
    p.write_text(p.read_text().replace("valid: {from: 2026-07-01, to: 2026-12-31}", "valid: {from: 2026-07-01, to: 2027-06-30}")
                 .replace("valid: {from: 2027-01-01}", "valid: {from: 2027-07-01}"))
    git(repo, "commit", "-q", "-am", "Phase 2 postponed to 1 July 2027", when="2026-06-01")
    return repo


def query(repo: Path, *extra: str) -> dict:
    r = run_cli("query", LONE, "--date", "2027-03-01", "--json", "--rules", str(repo / "rules"), *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_receipt_hash_differs_between_commits_and_is_stable_across_checkouts(repo, tmp_path):
    now = query(repo)["receipt"]
    before = query(repo, "--as-known-on", "2026-05-31")["receipt"]
    assert now["rules_hash"] != before["rules_hash"]
    other = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(other)], check=True)
    assert query(other)["receipt"]["rules_hash"] == now["rules_hash"]
    assert now["rules_revision"] == git(repo, "rev-parse", "HEAD") and now["rules_dirty"] is False
    assert now["query_date"] == "2027-03-01" and now["input"]["id"] and now["engine"]


@pytest.mark.parametrize("day, phase", [("2026-05-31", "phase-2"), ("2026-06-01", "phase-1b"), ("2026-06-02", "phase-1b")])
def test_as_known_on_picks_the_commit_of_that_day(repo, day, phase):
    assert query(repo, "--as-known-on", day)["phase"] == phase


def test_as_known_on_before_any_history_or_without_git(repo, tmp_path):
    r = run_cli("query", LONE, "--date", "2027-03-01", "--rules", str(repo / "rules"), "--as-known-on", "2026-02-28")
    assert r.returncode == 1 and "no commit" in r.stderr and "Traceback" not in r.stderr
    plain = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", plain)
    r = run_cli("query", LONE, "--date", "2027-03-01", "--rules", str(plain), "--as-known-on", "2026-06-01", cwd=tmp_path)
    assert r.returncode == 1 and "not in a git repository" in r.stderr


def test_verify_still_stands_and_changed_by(repo, tmp_path):
    fresh = tmp_path / "fresh.json"
    fresh.write_text(json.dumps(query(repo)))
    ok = run_cli("verify", str(fresh), "--lang", "en", "--rules", str(repo / "rules"))
    assert ok.returncode == 0 and ok.stdout.startswith("still stands"), ok.stdout + ok.stderr
    old = tmp_path / "old.json"
    old.write_text(json.dumps(query(repo, "--as-known-on", "2026-05-31")))
    changed = run_cli("verify", str(old), "--lang", "en", "--rules", str(repo / "rules"))
    assert changed.returncode == 1 and changed.stdout.startswith("changed"), changed.stdout + changed.stderr
    assert "changed by phase-2" in changed.stdout and "phase" in changed.stdout


def test_verify_refuses_an_edited_answer(repo, tmp_path):
    a = query(repo)
    a["target_group"] = {"id": "jobparate", "structure": "new-5"}
    f = tmp_path / "edited.json"
    f.write_text(json.dumps(a))
    r = run_cli("verify", str(f), "--lang", "en", "--rules", str(repo / "rules"))
    assert r.returncode == 1 and "does not reproduce" in r.stdout


def test_history_lists_the_date_change_with_its_message(repo):
    r = run_cli("history", "phase-2", "--rules", str(repo / "rules"))
    assert r.returncode == 0, r.stderr
    assert "Phase 2 postponed to 1 July 2027" in r.stdout and "~ phase-2 [valid_from]" in r.stdout
    assert "2027-01-01 → 2027-07-01" in r.stdout

