"""Scenario files: a citizen and dated expectations on the answer, compared field by field.

A scenario file (YAML)::

    title: a citizen across a change of rules
    citizen: examples/someone.yaml     # a file beside scenarios/, or an inline citizen mapping
    expect:
      - date: 2019-06-30
        target_group: {id: some-group, structure: old-13}
        sanctionable: old-rules
      - date: 2019-07-01
        obligations: [{kind: meeting, count: 1, waived: true}]

A scenario may also pin down its timeline: the periods of constant answer, in order, each with
the first day and any answer fields to compare (the list of first days must match exactly)::

    timeline:
      from: 2018-06-01
      to: 2019-12-31
      periods:
        - {from: 2018-06-01, phase: some-phase}
        - {from: 2019-02-01, target_group: {id: another-group}}

Only the fields named are compared. Mappings compare the keys given; a list of mappings matches
when it has the same length and every expected item matches a different actual item;
``programmes`` may also be written as ``{id: status}``; ``open_questions`` as a list of rule ids.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from reform_rules.answer.rulebase import RuleBase
from reform_rules.answer.timeline import timeline
from reform_rules.basics import dates
from reform_rules.basics.errors import ReformError
from reform_rules.law.citizen import Citizen, parse_citizen
from reform_rules.law.loader import Document, LoadError, format_path, load_file

COMMON_FIELDS = {"date", "status", "open_questions", "note"}   # beside the answer's declared fields


def expect_fields(base: RuleBase) -> set[str]:
    """What an expectation may pin: the answer's declared fields, and what every answer has."""
    return COMMON_FIELDS | {f.id for f in base.ruleset.answer.fields}
TOP_FIELDS = {"title", "citizen", "expect", "note", "timeline"}


class ScenarioError(ReformError):
    exit_code = 2


@dataclass
class Expectation:
    file: str
    line: int
    date: str
    fields: dict[str, Any]
    note: str | None = None

    @property
    def name(self) -> str:
        return f"{self.file}::{self.date}"


@dataclass
class TimelineExpectation:
    file: str
    line: int
    start: str
    end: str
    periods: list[dict]

    @property
    def name(self) -> str:
        return f"{self.file}::timeline"

    date = "timeline"
    note = None
    fields: dict = field(default_factory=dict)


@dataclass
class Scenario:
    file: str
    title: str
    citizen: Citizen
    expectations: list[Expectation | TimelineExpectation] = field(default_factory=list)


@dataclass
class Outcome:
    expectation: Expectation | TimelineExpectation
    differences: list[str]
    explanation: list[str]

    @property
    def passed(self) -> bool:
        return not self.differences


def _err(doc: Document, path: tuple, message: str) -> str:
    """``file:line: field: message`` for a field of the scenario file."""
    return f"{doc.file}:{doc.line(path)}: {format_path(path)}: {message}"


def load_scenario(path: str | Path, base: RuleBase, root: str | Path | None = None) -> Scenario:
    """Read and check a scenario file; ScenarioError names file, line and field."""
    path = Path(path)
    label = str(path)
    allowed = expect_fields(base)
    doc = _scenario_document(path, label)
    data = doc.data
    citizen = _citizen(doc, path, base, root)
    expect = data.get("expect", [])
    if "expect" in data and (not isinstance(expect, list) or not expect):
        raise ScenarioError(_err(doc, ("expect",), "must be a non-empty list of dated expectations"))
    errors: list[str] = []
    out: list[Expectation | TimelineExpectation] = []
    for i, item in enumerate(expect):
        exp = _expectation(doc, i, item, allowed, errors)
        if exp is not None:
            out.append(exp)
    if "timeline" in data:
        tl = _timeline_expectation(doc, data["timeline"], errors, allowed)
        if tl:
            out.append(tl)
    if errors:
        raise ScenarioError(errors)
    return Scenario(file=label, title=str(data.get("title", path.stem)), citizen=citizen, expectations=out)


def _scenario_document(path: Path, label: str) -> Document:
    """The scenario file, parsed: a mapping with the top-level fields it needs and no others."""
    try:
        doc = load_file(path, label)
    except LoadError as exc:
        raise ScenarioError(str(exc)) from None
    data = doc.data
    if not isinstance(data, dict):
        raise ScenarioError(f"{label}:1: (document): a scenario is a mapping with 'citizen' and 'expect'")
    errors = [_err(doc, (k,), f"unknown field '{k}' (a scenario has: {', '.join(sorted(TOP_FIELDS))})")
              for k in data if k not in TOP_FIELDS]
    if "citizen" not in data:
        errors.append(_err(doc, (), "missing field 'citizen'"))
    if "expect" not in data and "timeline" not in data:
        errors.append(_err(doc, (), "missing field 'expect' (or 'timeline')"))
    if errors:
        raise ScenarioError(errors)
    return doc


def _citizen(doc: Document, path: Path, base: RuleBase, root: str | Path | None) -> Citizen:
    """The scenario's citizen: a file (beside the scenario, under ``root``, or as given), or inline."""
    raw = doc.data["citizen"]
    if isinstance(raw, str):
        top = Path(root) if root else path.parent
        candidates = [path.parent / raw, top / raw, Path(raw)]
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            raise ScenarioError(_err(doc, ("citizen",), f"no citizen file '{raw}'"))
        return base.load_citizen(target)
    sub = Document(file=doc.file, data=raw, lines={k[1:]: v for k, v in doc.lines.items() if k[:1] == ("citizen",)})
    try:
        return parse_citizen(raw, base.ruleset.vocabulary, doc.file, sub)
    except ReformError as exc:
        raise ScenarioError(exc.messages) from None


def _expectation(doc: Document, i: int, item: Any, allowed: set[str], errors: list[str]) -> Expectation | None:
    """The dated expectation ``expect[i]`` (None when it cannot be compared; the problems go to ``errors``)."""
    if not isinstance(item, dict):
        errors.append(_err(doc, ("expect", i), "an expectation is a mapping with 'date' and answer fields"))
        return None
    for k in item:
        if k not in allowed:
            errors.append(_err(doc, ("expect", i, k), f"unknown field '{k}' (allowed: {', '.join(sorted(allowed))})"))
    if "date" not in item:
        errors.append(_err(doc, ("expect", i), "missing field 'date'"))
        return None
    try:
        day = dates.parse_date(item["date"]).isoformat()
    except ValueError as exc:
        errors.append(_err(doc, ("expect", i, "date"), str(exc)))
        return None
    fields = {k: v for k, v in item.items() if k not in ("date", "note")}
    if not fields:
        errors.append(_err(doc, ("expect", i), "names no answer field to compare"))
    return Expectation(file=doc.file, line=doc.line(("expect", i)), date=day, fields=fields, note=item.get("note"))


def _timeline_expectation(doc: Document, raw: Any, errors: list[str], allowed: set[str]) -> TimelineExpectation | None:
    if not isinstance(raw, dict):
        errors.append(_err(doc, ("timeline",), "a mapping with 'from', 'to' and 'periods'"))
        return None
    for k in raw:
        if k not in ("from", "to", "periods"):
            errors.append(_err(doc, ("timeline", k), f"unknown field '{k}' (allowed: from, periods, to)"))
    bounds = {}
    for k in ("from", "to"):
        try:
            bounds[k] = dates.parse_date(raw.get(k)).isoformat()
        except ValueError as exc:
            errors.append(_err(doc, ("timeline", k), str(exc) if raw.get(k) is not None else "missing"))
    periods = raw.get("periods")
    if not isinstance(periods, list) or not periods:
        errors.append(_err(doc, ("timeline", "periods"), "must be a non-empty list of periods"))
        return None
    out = []
    for i, p in enumerate(periods):
        if not isinstance(p, dict) or "from" not in p:
            errors.append(_err(doc, ("timeline", "periods", i), "a period is a mapping with 'from'"))
            continue
        for k in p:
            if k not in allowed - {"date"} | {"from"}:
                errors.append(_err(doc, ("timeline", "periods", i, k), f"unknown field '{k}'"))
        try:
            start = dates.parse_date(p["from"]).isoformat()
        except ValueError as exc:
            errors.append(_err(doc, ("timeline", "periods", i, "from"), str(exc)))
            continue
        out.append({"from": start, **{k: v for k, v in p.items() if k not in ("from", "note")}})
    if len(bounds) < 2:
        return None
    return TimelineExpectation(file=doc.file, line=doc.line(("timeline",)), start=bounds["from"], end=bounds["to"],
                               periods=out)


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return False
        free = list(actual)
        for item in expected:
            hit = next((a for a in free if _matches(item, a)), None)
            if hit is None:
                return False
            free.remove(hit)
        return True
    if hasattr(expected, "isoformat"):
        expected = expected.isoformat()
    return expected == actual


def compare(fields: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """Differences between expected fields and a JSON answer, one line per field."""
    diffs = []
    for key, want in fields.items():
        got = answer.get(key)
        if key == "programmes" and isinstance(want, dict):
            got = {p["id"]: p["status"] for p in got or []}
            bad = {k: got.get(k) for k, v in want.items() if got.get(k) != v}
            if bad:
                diffs.append(f"programmes: expected {want}, got {{{', '.join(f'{k}: {v}' for k, v in got.items())}}}")
            continue
        if key == "open_questions" and isinstance(want, list) and all(isinstance(w, str) for w in want):
            got = sorted(q["rule"] for q in got or [])
            if sorted(want) != got:
                diffs.append(f"open_questions: expected {sorted(want)}, got {got}")
            continue
        if not _matches(want, got):
            diffs.append(f"{key}: expected {want!r}, got {got!r}")
    return diffs


def run_expectation(base: RuleBase, scenario: Scenario, exp: Expectation | TimelineExpectation) -> Outcome:
    """Evaluate the scenario's citizen for one expectation and compare."""
    if isinstance(exp, TimelineExpectation):
        return _run_timeline(base, scenario, exp)
    answer = base.evaluate(scenario.citizen, dates.parse_date(exp.date), lang="en")
    data = answer.to_json()
    return Outcome(exp, compare(exp.fields, data), [f"{r.rule}: {r.text}" for r in answer.explanation])


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.yaml") if "examples" not in f.parts)
        else:
            files.append(p)
    return files


def _run_timeline(base: RuleBase, scenario: Scenario, exp: TimelineExpectation) -> Outcome:
    """Compare a scenario's timeline with the expected periods and their fields."""
    tl = timeline(base, scenario.citizen, dates.parse_date(exp.start), dates.parse_date(exp.end), lang="en")
    got = [p.start.isoformat() for p in tl.periods]
    want = [p["from"] for p in exp.periods]
    diffs = []
    if got != want:
        diffs.append(f"periods start on {got}, expected {want}")
    by_start = {p.start.isoformat(): p for p in tl.periods}
    for p in exp.periods:
        period = by_start.get(p["from"])
        if period is None:
            continue
        fields = {k: v for k, v in p.items() if k != "from"}
        diffs += [f"period from {p['from']}: {d}" for d in compare(fields, period.answer)]
    explanation = [f"{p.start} – {p.end}: changed {', '.join(p.changed) or '-'}" for p in tl.periods]
    return Outcome(exp, diffs, explanation)
