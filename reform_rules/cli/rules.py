"""``reform check``, ``parameters``, ``schema``, ``scenarios``, ``diff`` and ``history``: the rules themselves."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from reform_rules.answer.check import run_check
from reform_rules.answer.diff import RULE_FIELDS, diff
from reform_rules.answer.explain import status_label
from reform_rules.answer.receipt import HistoryError, RulesLocation
from reform_rules.answer.rulebase import default_rules_dir
from reform_rules.answer.scenarios import load_scenario, run_expectation, scenario_files
from reform_rules.basics.errors import ReformError
from reform_rules.basics.i18n import translator
from reform_rules.basics.version import __version__
from reform_rules.cli.common import (
    fail,
    lang_option,
    load_rules,
    option_date,
    proof_progress,
    rules_option,
    tool_lang_option,
)
from reform_rules.law.answer_schema import answer_schema
from reform_rules.law.citizen_schema import citizen_schema
from reform_rules.law.ruleset import read_rules
from reform_rules.logic.certificate import record

# Each command imports what it uses when it runs (no cycle to avoid: cli is the last stage), so that
# `reform --help` and every command start without loading the others' modules.

@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quick", is_flag=True, help="Skip the completeness and uniqueness check (schema, references only).")
@click.option("-v", "--verbose", is_flag=True,
              help="Also list the declared undetermined answers and the proof's size against its limit.")
@tool_lang_option
@rules_option
def check(as_json: bool, quick: bool, verbose: bool, lang: str, rules_dir: Path | None) -> None:
    """Validate the rule files and prove them complete; exit 0 when clean."""
    t = translator(lang)
    directory = rules_dir or default_rules_dir()
    with proof_progress("reform check") as progress:
        report = run_check(directory, completeness=not quick, progress=progress)
    try:
        written, problem = record(directory, report, __version__), None
    except OSError as exc:
        written = None
        problem = t.gettext("warning: the certificate was not written ({reason})").format(reason=exc.strerror or exc)
    if as_json:
        click.echo(json.dumps({**report.to_json(), "certificate": str(written) if written else None},
                              ensure_ascii=False, indent=2))
    else:
        for line in report.lines(verbose, lang):
            click.echo(line, err=not report.ok)
        if written and report.rules_hash:   # a certificate is written only for rules with a hash
            clean = t.gettext("certificate: {path} records these rules ({hash}) as clean; commit it with the rules")
            broken = t.gettext("certificate: {path} records these rules ({hash}) as broken; reform query and serve "
                               "refuse them until reform check passes")
            click.echo((clean if report.ok else broken).format(path=written, hash=report.rules_hash[:12]),
                       err=not report.ok)
    if problem:
        click.echo(problem, err=True)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.option("--date", "day", required=True, help="The date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@lang_option
@rules_option
def parameters(day: str, as_json: bool, lang: str, rules_dir: Path | None) -> None:
    """Parameters in force on --date for municipalities and the country (jobpræmie, national savings, goals …)."""
    on = option_date(day)
    base = load_rules(rules_dir)
    rows = []
    for p in base.ruleset.parameters:
        value = p.value_on(on)
        if value is None:
            continue
        rows.append({"id": p.id, "title": p.title[lang], "value": value, "unit": p.unit, "status": p.status,
                     "source": "; ".join(f"{c.ref}, {c.at}" if c.at else c.ref for c in p.source)})
    if as_json:
        click.echo(json.dumps({"date": on.isoformat(), "parameters": rows}, ensure_ascii=False, indent=2))
        return
    for r in rows:
        value = ", ".join(map(str, r["value"])) if isinstance(r["value"], list) else r["value"]
        unit = f" {r['unit']}" if r["unit"] else ""
        click.echo(f"{r['id']}: {value}{unit}  [{status_label(r['status'], lang)}]")
        click.echo(f"    {r['title']}  ({r['source']})")


@click.command()
@click.option("--citizen", "what", flag_value="citizen", help="The citizen record's schema instead of the answer's.")
@click.option("--answer", "what", flag_value="answer", default=True, help="The answer's schema (the default).")
@rules_option
def schema(what: str, rules_dir: Path | None) -> None:
    """The JSON Schema of the answer (or of a citizen record), generated from the rules' declarations."""
    base = load_rules(rules_dir)
    if what == "citizen":
        data = citizen_schema(base.ruleset.vocabulary)
    else:
        data = answer_schema(base.ruleset)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="List every expectation, not only failures.")
@tool_lang_option
@rules_option
def scenarios(paths: tuple[Path, ...], verbose: bool, lang: str, rules_dir: Path | None) -> None:
    """Run scenario files (default: every scenario under ./scenarios)."""
    t = translator(lang)   # the verdicts; the differences found are the scenario runner's (English)
    base = load_rules(rules_dir)
    files = scenario_files(paths or [Path("scenarios")])
    passed = failed = 0
    broken: list[str] = []
    for f in files:
        try:
            sc = load_scenario(f, base, root=Path("scenarios"))
        except ReformError as exc:
            broken += exc.messages
            continue
        for exp in sc.expectations:
            out = run_expectation(base, sc, exp)
            if out.passed:
                passed += 1
                if verbose:
                    click.echo(t.gettext("PASS {name}").format(name=exp.name))
            else:
                failed += 1
                click.echo(t.gettext("FAIL {name} (line {line})").format(name=exp.name, line=exp.line))
                for d in out.differences:
                    click.echo(f"    {d}")
    for line in broken:
        click.echo(line, err=True)
    total = t.gettext("{passed} passed, {failed} failed").format(passed=passed, failed=failed)
    if broken:
        total += ", " + t.ngettext("{n} file error", "{n} file errors", len(broken)).format(n=len(broken))
    click.echo(total)
    sys.exit(0 if not failed and not broken else 1)




@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@tool_lang_option
def diff_command(old: str, new: str, as_json: bool, lang: str) -> None:
    """What changes from the rules OLD to NEW (directories or git revisions), and for whom."""
    t = translator(lang)
    try:
        with proof_progress("reform diff") as progress:
            changes, answers, pairs = diff(old, new, progress=progress)
    except ReformError as exc:
        fail(exc, lang)
    if as_json:
        click.echo(json.dumps({
            "rules": [c.__dict__ for c in changes],
            "answers": [{"field": a.field, "old": a.old, "new": a.new, "dates": sorted(d.isoformat() for d in a.dates),
                         "situations": sorted(a.situations)} for a in answers],
            "pairs_compared": pairs}, ensure_ascii=False, indent=2))
        return
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("edited", "added", "removed")}
    click.echo(t.gettext("Rules: {edited} edited, {added} added, {removed} removed").format(**counts))
    for c in changes:
        mark = {"edited": "~", "added": "+", "removed": "-"}[c.kind]
        extra = f" [{', '.join(c.fields)}]" if c.fields else ""
        click.echo(f"  {mark} {c.rule} ({c.file}){extra}")
        for d in c.detail:
            click.echo(f"      {d}")
    click.echo(t.ngettext("Answers: {n} change over {pairs} situation-date pairs compared",
                          "Answers: {n} changes over {pairs} situation-date pairs compared", len(answers)).format(
        n=len(answers), pairs=pairs))
    example = t.gettext("e.g. {situation}")
    for a in answers:
        click.echo(f"  {a.line(lang)}")
        for s in sorted(a.situations)[:3]:
            click.echo("      " + example.format(situation=s))


# Beside the declared fields, what carries an answer's decision (the explanation follows from the rules used).


@click.command()
@click.argument("rule_id", required=False)
@tool_lang_option
@rules_option
def history(rule_id: str | None, lang: str, rules_dir: Path | None) -> None:
    """When each rule's dates, status or content changed, from git, with the commit message."""
    t = translator(lang)   # the program's words; the rule ids, field names and commit messages as they are
    directory = rules_dir or default_rules_dir()
    loc = RulesLocation.of(directory)
    if loc is None:
        fail(HistoryError(f"{directory}: not in a git repository; there is no history"))
    previous: dict = {}
    shown = 0
    for rev, when, subject in loc.commits():
        with tempfile.TemporaryDirectory() as tmp:
            try:
                rules = {r.id: r for r in read_rules(loc.checkout(rev, Path(tmp))).rules}
            except ReformError:
                click.echo(f"{when[:10]} {rev[:10]} {subject}\n    "
                           + t.gettext("(the rules did not load at this commit)"))
                continue
        lines = []
        for rid in sorted(set(previous) | set(rules)):
            if rule_id and rid != rule_id:
                continue
            a, b = previous.get(rid), rules.get(rid)
            if a is None and b is not None:
                valid = t.gettext("valid {first} – {last}").format(first=b.valid_from or "…", last=b.valid_to or "…")
                lines.append(f"+ {rid} ({b.status}, {valid})")
            elif b is None and a is not None:
                lines.append(f"- {rid}")
            elif a and b:
                fields = [f for f in RULE_FIELDS if getattr(a, f) != getattr(b, f)]
                if fields:
                    detail = "; ".join(f"{f}: {getattr(a, f)} → {getattr(b, f)}" for f in fields
                                       if f in ("valid_from", "valid_to", "status"))
                    lines.append(f"~ {rid} [{', '.join(fields)}]" + (f" {detail}" if detail else ""))
        previous = rules
        if lines:
            shown += 1
            click.echo(f"{when[:10]} {rev[:10]} {subject}")
            for line in lines[:200]:
                click.echo(f"    {line}")
    if rule_id and not shown:
        click.echo(t.gettext("{rule}: no change found in the history of {directory}").format(rule=rule_id,
                                                                                             directory=directory))
