"""Fuzzing: random citizen input and mutated rule files never crash; every failure is a clean error."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reform_rules import CitizenError, RuleFileError, parse_citizen
from reform_rules.law.citizen import parse_citizen_text
from reform_rules.basics.errors import ReformError
from reform_rules.logic.compiler import compile_rules
from reform_rules.law.ruleset import read_rules

ROOT = Path(__file__).resolve().parent.parent
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["2026-02-30", "2026-13-01", "2026-07-01", "1850-01-01",
                                                           "9999-12-31", "dagpenge", "kontanthjaelp", "sygedagpenge",
                                                           "jobparat", "employment", "fleksjob", ""]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
SPELL_KEYS = ["benefit", "programme", "from", "to", "assessment", "sick_from", "expected_absence_weeks",
              "uncomplicated", "colour"]
SPELLS = st.lists(st.dictionaries(st.sampled_from(SPELL_KEYS), VALUES, max_size=6), max_size=4)
CITIZENS = st.fixed_dictionaries({"id": VALUES, "spells": st.one_of(SPELLS, VALUES)},
                                 optional={"born": VALUES, "municipality": VALUES, "exempted": VALUES,
                                           "work_duty": VALUES, "vocational_education": VALUES, "cpr": VALUES})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(CITIZENS, VALUES), day=st.dates(date(2024, 1, 1), date(2031, 12, 31)))
def test_random_citizen_input_is_answered_or_refused_cleanly(base, data, day):
    try:
        citizen = parse_citizen(data, base.ruleset.vocabulary)
    except CitizenError as exc:
        assert exc.messages and all(isinstance(m, str) and m for m in exc.messages)
        return
    answer = base.evaluate(citizen, day).to_json()
    assert answer["citizen"] == citizen.id


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_as_a_citizen_file(base, text):
    try:
        parse_citizen_text(text, base.ruleset.vocabulary, "c.yaml")
    except CitizenError as exc:
        assert all(m.startswith("c.yaml") for m in exc.messages), exc.messages


RULE_FILES = sorted(p.name for p in (ROOT / "rules").glob("*.yaml"))


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(RULE_FILES))
    lines = (ROOT / "rules" / name).read_text().splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["delete", "duplicate", "truncate", "replace-char", "swap-value", "indent", "insert"]))
    line = lines[i]
    if kind == "delete":
        lines.pop(i)
    elif kind == "duplicate":
        lines.insert(i, line)
    elif kind == "truncate":
        lines[i] = line[: draw(st.integers(0, max(len(line) - 1, 0)))]
    elif kind == "replace-char" and line:
        j = draw(st.integers(0, len(line) - 1))
        lines[i] = line[:j] + draw(st.sampled_from(list(":-[]{}&*!|>'\"#\t 0x"))) + line[j + 1:]
    elif kind == "swap-value" and ":" in line:
        key = line.split(":", 1)[0]
        lines[i] = f"{key}: {draw(st.sampled_from(['2026-13-01', 'null', '[]', '{}', 'yes', '-1', 'x y', '1.5']))}"
    elif kind == "indent":
        lines[i] = "  " + line
    else:
        lines.insert(i, draw(st.sampled_from(["foo: bar", "- id: x", "  when: {benefit: dagpnege}", "&a [*a]"])))
    return name, "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_mutated_rule_files_load_or_are_refused_cleanly(tmp_path_factory, mutation):
    name, text = mutation
    rules = tmp_path_factory.mktemp("mut") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / name).write_text(text)
    try:
        compile_rules(read_rules(rules))  # what loads must also compile
    except RuleFileError as exc:
        assert exc.messages
        for m in exc.messages:
            assert isinstance(m, str) and m and "Traceback" not in m
    except ReformError as exc:  # pragma: no cover - any other user error is still clean
        assert exc.messages
