"""Every expectation in scenarios/**/*.yaml is one test: ``scenarios/transition/x.yaml::2026-07-01``."""
from __future__ import annotations

from pathlib import Path

import pytest

from reform_rules import RuleBase
from reform_rules.basics.errors import ReformError
from reform_rules.answer.scenarios import load_scenario, run_expectation, scenario_files

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
_base = RuleBase.load(ROOT / "rules")


def _cases():
    for path in scenario_files([SCENARIOS]):
        rel = path.relative_to(ROOT).as_posix()
        try:
            sc = load_scenario(path, _base, root=SCENARIOS)
        except ReformError as exc:
            yield pytest.param(None, None, "\n".join(exc.messages), id=f"{rel}::load")
            continue
        for exp in sc.expectations:
            yield pytest.param(sc, exp, None, id=f"{rel}::{exp.date}")


CASES = list(_cases())


@pytest.mark.skipif(not CASES, reason="no scenario files")
@pytest.mark.parametrize("scenario, expectation, load_error", CASES)
def test_scenario(scenario, expectation, load_error):
    if load_error:
        pytest.fail(f"scenario file does not load:\n{load_error}", pytrace=False)
    outcome = run_expectation(_base, scenario, expectation)
    if not outcome.passed:
        lines = [f"{expectation.name} (line {expectation.line}): {scenario.title}"]
        if expectation.note:
            lines.append(f"  note: {expectation.note}")
        lines += [f"  {d}" for d in outcome.differences] + ["  explanation:"]
        lines += [f"    {i}. {e}" for i, e in enumerate(outcome.explanation, 1)]
        pytest.fail("\n".join(lines), pytrace=False)


def test_a_malformed_scenario_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("citizen: {id: x, spells: []}\nexpect:\n  - date: 2026-13-01\n    phase: pre-reform\n"
                   "  - date: 2026-01-01\n    colour: blue\n")
    with pytest.raises(ReformError) as err:
        load_scenario(bad, _base)
    text = "\n".join(err.value.messages)
    assert f"{bad}:3: expect[0].date: '2026-13-01' is not a date" in text
    assert f"{bad}:6: expect[1].colour: unknown field 'colour'" in text


def test_compare_reports_only_named_fields():
    from reform_rules.answer.scenarios import compare
    answer = {"phase": "phase-2", "target_group": {"id": "x", "structure": "new-5"},
              "programmes": [{"id": "p", "status": "abolished"}], "obligations": [], "open_questions": []}
    assert compare({"phase": "phase-2", "programmes": {"p": "abolished"}}, answer) == []
    diffs = compare({"target_group": {"id": "y"}, "obligations": [{"kind": "meeting"}]}, answer)
    assert len(diffs) == 2 and diffs[0].startswith("target_group")


def test_a_malformed_timeline_names_its_field(tmp_path):
    bad = tmp_path / "tl.yaml"
    bad.write_text("citizen: {id: x, spells: []}\ntimeline:\n  from: 2025-01-01\n  to: 2026-02-30\n"
                   "  periods:\n    - {from: 2025-01-01, colour: blue}\n")
    with pytest.raises(ReformError) as err:
        load_scenario(bad, _base)
    text = "\n".join(err.value.messages)
    assert f"{bad}:4: timeline.to: '2026-02-30' is not a date" in text
    assert f"{bad}:6: timeline.periods[0].colour: unknown field 'colour'" in text


def test_reform_scenarios_and_pytest_agree(cli):
    r = cli("scenarios")
    assert r.returncode == 0, r.stdout + r.stderr
    passed = int(r.stdout.strip().splitlines()[-1].split()[0])
    assert passed == len([c for c in CASES if c.values[2] is None])
