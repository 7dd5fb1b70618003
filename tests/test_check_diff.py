"""reform check proves completeness; deleting a target-group rule opens a gap; reform diff sees an edit."""
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from reform_rules import RuleBase, RuleFileError
from reform_rules.logic.completeness import check_completeness
from reform_rules.answer.diff import answer_changes, rule_changes

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_real_rules_are_complete_and_unique(real_proof):
    cov = real_proof
    assert cov.count("gap") == 0 and cov.count("overlap") == 0
    assert cov.pairs > 1000 and cov.count("undetermined") > 0


def _without(tmp_path: Path, *rule_ids: str) -> Path:
    """A copy of rules/ with rules removed from their files (text edit, as a legal editor would)."""
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    for rule_id in rule_ids:
        _remove(copy, rule_id)
    return copy


def _remove(copy: Path, rule_id: str) -> None:
    for f in sorted(copy.glob("*.yaml")):
        lines = f.read_text().splitlines(keepends=True)
        start = next((i for i, l in enumerate(lines) if l.strip() == f"- id: {rule_id}"), None)
        if start is None:
            continue
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")), len(lines))
        f.write_text("".join(lines[:start] + lines[end:]))
        break
    else:
        raise AssertionError(rule_id)
    for f in copy.glob("*.yaml"):  # and drop it from every `overrides` list, as a careful editor would
        out = []
        for line in f.read_text().splitlines(keepends=True):
            if line.lstrip().startswith("overrides:"):
                line = re.sub(rf"(\[|, )?\b{re.escape(rule_id)}\b(, )?", lambda m: ", " if m.group(1) == ", " and m.group(2) else (m.group(1) if m.group(1) == "[" else ""), line)
                line = line.replace("[, ", "[").replace(", ]", "]")
                if re.match(r"\s*overrides:\s*(\[\s*\])?\s*$", line):
                    continue
            out.append(line)
        f.write_text("".join(out))


TG_RULES = [r.id for r in RuleBase.load(ROOT / "rules").ruleset.in_family("target_group")
            if not r.overrides or r.id.startswith("lab6")]


@pytest.mark.slow
@pytest.mark.parametrize("rule_id", TG_RULES)
def test_deleting_a_target_group_rule_leaves_situations_without_a_group(tmp_path, rule_id):
    """The check fails either way: situations left without a group, or a rule still naming the group."""
    try:
        base = RuleBase.load(_without(tmp_path, rule_id))
    except RuleFileError as exc:  # e.g. a sanction rule still names the deleted group
        assert any(rule_id in m and "is not a target group decided by any rule" in m for m in exc.messages), exc
        return
    cov = check_completeness(base, date(2025, 1, 1), date(2030, 12, 31), families=("target_group",))
    gaps = [f for f in cov.findings if f.kind == "gap"]
    assert gaps, f"deleting {rule_id} left no gap"
    assert all(g.situation and g.dates for g in gaps)


def test_diff_reports_a_moved_phase_date(tmp_path, base):
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    p = copy / "phases.yaml"
    p.write_text(p.read_text().replace("valid: {from: 2026-07-01, to: 2026-12-31}", "valid: {from: 2026-07-01, to: 2027-06-30}")
                 .replace("valid: {from: 2027-01-01}", "valid: {from: 2027-07-01}"))
    new = RuleBase.load(copy)
    changes = rule_changes(base, new)
    assert sorted(c.rule for c in changes) == ["phase-1b", "phase-2"]
    answers, pairs = answer_changes(base, new, changes, date(2025, 1, 1), date(2030, 12, 31))
    [moved] = answers
    assert (moved.field, moved.old, moved.new) == ("phase", "phase-2", "phase-1b")
    assert sorted(moved.dates) == [date(2027, 1, 1)]
    assert len(moved.situations) == pairs // len(sorted({*moved.dates})) or len(moved.situations) > 0


def test_cli_diff_against_a_directory(cli, tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy)
    p = copy / "jobpraemie.yaml"
    p.write_text(p.read_text().replace("valid: {from: 2026-01-01}", "valid: {from: 2026-07-01}"))
    r = cli("diff", "rules", str(copy))
    assert r.returncode == 0, r.stderr
    assert "~ jobpraemie-maalgruppe" in r.stdout and "2026-01-01" in r.stdout and "jobpraemie" in r.stdout


# Contact rules that alone decide the contact requirements of some citizens: deleting one leaves them silent.
SOLE_CONTACT_RULES = ["kontakt-uden-kontaktforloeb", "kontakt-sygemeldte-efter-6-maaneder", "kontakt-aktivitetsparate-aarlig"]


@pytest.mark.slow
def test_deleting_the_sole_contact_rules_makes_the_check_name_the_silent_situations(tmp_path):
    """No silent answers, proved: without them, reform check fails and names where no rule decides the
    contact requirements (a missing requirement is never an answer). One full proof with the three rules gone
    (a proof each cost 15 s of the suite)."""
    r = run_cli("check", "--rules", str(_without(tmp_path, *SOLE_CONTACT_RULES)))
    assert r.returncode == 1, r.stdout + r.stderr
    silent = [line for line in (r.stdout + r.stderr).splitlines()
              if "(silent): no rule decides the contact requirements for " in line]
    assert silent and all(" on " in line for line in silent)
