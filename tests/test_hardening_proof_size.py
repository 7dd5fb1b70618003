"""Hardening of the proof (issue #19, item 4): a rule set whose situation space is past the stated bound is
refused before the space is enumerated, naming a rule, the size and the limit (exit 1, no traceback); a fact
compared with too many distinct thresholds is refused while loading, at the rule's file, line and field."""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT, run_cli
from reform_rules.answer.check import CheckReport
from reform_rules.law.ruleset import MAX_THRESHOLDS
from reform_rules.logic.situations import MAX_CELLS, Bands, family_keys, probes, space_size


def _with_threshold_rules(tmp_path: Path, count: int, padding: int = 0) -> Path:
    """A copy of rules/ and one more file of ``count`` rules, each comparing age, months and weeks into the
    spell with thresholds of its own (the shape of the issue's 200 rules of 80 kB)."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns(".certificate.json"))
    lines = [f"# {'x' * 70}" for _ in range(padding)]
    lines += ["subject: extra-thresholds", 'title: {da: "Ekstra", en: "Extra"}', "rules:"]
    for i in range(count):
        lines += [f"  - id: extra-{i:03d}",
                  f'    title: {{da: "Ekstra regel {i}", en: "Extra rule {i}"}}',
                  "    valid: {from: 2026-07-01}",
                  "    status: law",
                  '    source: [{ref: LAB, at: "§ 31"}]',
                  f"    when: {{benefit: dagpenge, age: {{at_least: {20 + i}}}, months_into_spell: {{under: {30 + i}}}, "
                  f"weeks_into_spell: {{under: {100 + i}}}}}",
                  "    then: {obligation: {kind: meeting, count: 1, within_months: 3, by_whom: kommune}}"]
    (rules / "extra-thresholds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return rules


def test_a_space_past_the_bound_is_refused_before_it_is_enumerated(tmp_path):
    """40 rules with thresholds of their own: each under the per-fact limit, but their product is millions of
    cells; the check refuses it from the band counts alone (the enumeration would take minutes and GBs)."""
    assert 40 < MAX_THRESHOLDS
    rules = _with_threshold_rules(tmp_path, 40)
    r = run_cli("check", "--rules", str(rules))
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout + r.stderr
    assert "Traceback" not in out and "MemoryError" not in out
    refusal = next(line for line in out.splitlines() if "situation × date cells" in line)
    assert refusal.startswith(f"{rules / 'extra-thresholds.yaml'}:"), refusal
    # named at the last rule comparing the widest fact (months: 6 thresholds in rules/ and 40 new ones)
    assert ": extra-039: when.months_into_spell: the proof of the contact requirements would check " in refusal
    assert f"the limit is {MAX_CELLS:,}" in refusal
    size = int(refusal.split("would check ")[1].split(" ")[0].replace(",", ""))
    assert size > MAX_CELLS
    assert "The widest facts: months_into_spell 48 values, age 43 values, weeks_into_spell 42 values" in refusal
    assert "completeness not checked" in out


def test_too_many_thresholds_on_one_fact_are_refused_while_loading(tmp_path):
    """One rule more than the limit: the rule that brings a fact past it is named, with its file and line."""
    rules = _with_threshold_rules(tmp_path, MAX_THRESHOLDS + 1, padding=10)
    r = run_cli("check", "--rules", str(rules), "--quick")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    line = next(line for line in out.splitlines() if "distinct thresholds" in line and "when.weeks" in line)
    # weeks_into_spell has no threshold in rules/: the last new rule is the one past the limit
    assert line.startswith(f"{rules / 'extra-thresholds.yaml'}:")
    file_line = int(line.split(":")[1])
    assert (rules / "extra-thresholds.yaml").read_text().splitlines()[file_line - 1].lstrip().startswith("when:")
    assert (f": extra-{MAX_THRESHOLDS:03d}: when.weeks_into_spell: weeks_into_spell is compared with more than "
            f"{MAX_THRESHOLDS} distinct thresholds across the rules (this rule brings it to {MAX_THRESHOLDS + 1})") in line
    assert "nothing was loaded" in out


def test_the_size_is_computed_exactly_as_the_enumeration_would_count(base):
    bands = Bands([base.program], base.ruleset.vocabulary)
    for family in ("phase", "target_group", "programme"):
        keys = family_keys(base.ruleset, family) | {base.ruleset.vocabulary.current.kind}
        size, widths = space_size(base.ruleset, bands, keys)
        assert size == sum(1 for _ in probes(base.ruleset, bands, keys))
    assert widths["age"] == len(base.program.thresholds["age"]) + 1 + 1   # every band, and unknown (optional)


def test_verbose_shows_the_size_against_the_limit():
    report = CheckReport(directory="rules", rules=1, completeness=True, space=329_400, space_field="obligation")
    text = "\n".join(report.lines(verbose=True, lang="en"))
    assert f"checks at most 329,400 situation × date cells; the limit is {MAX_CELLS:,}" in text
    assert "329,400" not in "\n".join(report.lines(verbose=False))
    assert report.to_json()["space"] == 329_400 and report.to_json()["space_limit"] == MAX_CELLS
