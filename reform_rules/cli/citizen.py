"""``reform query``, ``reform timeline`` and ``reform verify``: one citizen's answer, its periods, a saved answer
checked."""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from reform_rules.answer.counterfactual import lines, what_would_change
from reform_rules.answer.diff import rule_changes
from reform_rules.answer.explain import names_by_id, render_text
from reform_rules.answer.missing import missing_facts
from reform_rules.answer.past import rule_set_of_receipt, rules_as_known_on
from reform_rules.answer.receipt import check_receipt
from reform_rules.answer.rulebase import default_rules_dir
from reform_rules.answer.timeline import timeline as build
from reform_rules.answer.timeline_svg import render_svg
from reform_rules.answer.timeline_text import timeline_lines
from reform_rules.basics.errors import CitizenError, ReformError
from reform_rules.basics.i18n import translator
from reform_rules.cli.common import (
    fail,
    gate,
    lang_option,
    load_rules,
    option_date,
    rules_option,
    tool_lang_option,
    unchecked_option,
)
from reform_rules.law.citizen import parse_citizen


@click.command()
@click.argument("citizen_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--date", "day", required=True, help="The date to answer for (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the contract).")
@lang_option
@click.option("--as-known-on", "known_on", default=None,
              help="Answer with the rules as they stood in the repository's history on this date.")
@click.option("--what-if", "what_if", is_flag=True,
              help="Also list the nearest facts and dates that would change the answer, with the rules that "
                   "make the difference, and the facts left empty that the answer depends on (with --json: the "
                   "keys what_would_change and missing).")
@unchecked_option
@rules_option
def query(citizen_file: Path, day: str, as_json: bool, lang: str, known_on: str | None, what_if: bool,
          unchecked: bool, rules_dir: Path | None) -> None:
    """What applies to the citizen in CITIZEN_FILE on --date, and why."""
    on = option_date(day)
    with tempfile.TemporaryDirectory() as tmp:
        base, commit = _load_known(rules_dir, known_on, Path(tmp))
        gate(base, unchecked, lang)
    try:
        citizen = base.load_citizen(citizen_file)
        answer = base.evaluate(citizen, on, lang=lang, receipt=True)
        changes = missing = None
        if what_if:
            changes = what_would_change(base, citizen, on, lang)
            missing = missing_facts(base.ruleset, citizen, on, answer, lang)
    except ReformError as exc:
        fail(exc, lang)
    if as_json:
        data = answer.to_json()
        if commit:
            data["receipt"]["as_known_on"] = known_on
        if changes is not None:
            data["what_would_change"] = [c.to_json() for c in changes]
            data["missing"] = missing
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if commit and known_on:   # a commit only with --as-known-on
            click.echo(_known_line(known_on, commit, lang) + "\n")
        click.echo(render_text(answer, base.ruleset, lang))
        t = translator(lang)
        r = answer.receipt
        rev = (r["rules_revision"] or "")[:12] + ("+" if r["rules_dirty"] else "")
        click.echo("\n" + t.gettext("Receipt: reform {engine}, rules {hash}{revision}, {made_at}").format(
            engine=r["engine"], hash=r["rules_hash"][:12], revision=f" @ {rev}" if rev else "", made_at=r["made_at"]))
        if changes is not None:
            if missing:
                click.echo("\n" + t.gettext("Information that is missing") + ":")
                for item in missing:
                    click.echo(f"  - {item['text']} ({', '.join(item['rules'])}): {item['help']}")
            click.echo("\n" + "\n".join(lines(changes, lang)))


def _load_known(rules_dir: Path | None, known_on: str | None, tmp: Path):
    """The rule base, or the one of --as-known-on and the commit it came from."""
    if not known_on:
        return load_rules(rules_dir), None
    day = option_date(known_on, "--as-known-on")
    try:
        return rules_as_known_on(rules_dir or default_rules_dir(), day, tmp)
    except ReformError as exc:
        fail(exc)
        raise


def _known_line(known_on: str, commit: tuple, lang: str) -> str:
    rev, when, subject = commit
    return translator(lang).gettext("Rules as known on {date}: revision {revision} of {when} ({subject})").format(
        date=known_on, revision=rev[:12], when=when[:10], subject=subject)




@click.command()
@click.argument("citizen_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", default=None,
              help="First day (default: the rules' horizon, or the first spell if earlier).")
@click.option("--to", "end", default=None, help="Last day (default: the end of the rules' horizon).")
@click.option("--json", "as_json", is_flag=True, help="Print the periods as JSON.")
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the timeline as SVG into this file.")
@lang_option
@rules_option
def timeline(citizen_file: Path, start: str | None, end: str | None, as_json: bool, svg_file: Path | None,
             lang: str, rules_dir: Path | None) -> None:
    """What changes for the citizen, and when: periods of constant answer, and their causes."""
    base = load_rules(rules_dir)
    try:
        citizen = base.load_citizen(citizen_file)
    except ReformError as exc:
        fail(exc, lang)
    first = min([s.start for s in citizen.spells], default=None)
    horizon = base.ruleset.vocabulary.horizon or (first or date.today(), date.today())
    on = option_date(start, "--from") if start else min(d for d in [horizon[0], first] if d)
    off = option_date(end, "--to") if end else horizon[1]
    if off < on:
        fail(CitizenError("--to: must not be before --from"))
    tl = build(base, citizen, on, off, lang=lang)
    names = names_by_id(base.ruleset, lang)
    shape = base.ruleset.answer
    open_rules = frozenset(r.id for f in shape.of_kind("obligation") for r in base.ruleset.in_family(f.then)
                           if r.undetermined)
    if svg_file:
        svg_file.write_text(render_svg(tl, names, lang, open_rules, shape=shape), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(tl.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(timeline_lines(tl, base.ruleset, lang)))




DECISION_COMMON = ("status", "open_questions")


@click.command()
@click.argument("answer_file", type=click.Path(dir_okay=False, path_type=Path))
@tool_lang_option
@rules_option
def verify(answer_file: Path, lang: str, rules_dir: Path | None) -> None:
    """Check a saved answer (reform query --json) against its receipt and against today's rules.

    Exit 0: it reproduces and still stands. Exit 1: it no longer stands, or does not reproduce.
    """
    t = translator(lang)   # the words of this report; the answer is evaluated in the receipt's language
    try:
        saved = json.loads(answer_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(CitizenError(f"{answer_file}: not a saved JSON answer ({exc})"))
    except RecursionError:
        fail(CitizenError(f"{answer_file}: not a saved JSON answer (nested too deeply)"))
    try:
        receipt = check_receipt(saved.get("receipt") if isinstance(saved, dict) else None, str(answer_file))
    except ReformError as exc:
        fail(exc)
    current = load_rules(rules_dir)
    answer_lang = receipt["lang"]
    day = option_date(receipt["query_date"], "receipt.query_date")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            then = rule_set_of_receipt(receipt, current, Path(tmp))
            citizen = parse_citizen(receipt["input"], then.ruleset.vocabulary, "receipt.input")
        except ReformError as exc:
            fail(exc)
    again = then.evaluate(citizen, day, lang=answer_lang).to_json()
    strip = lambda a: {k: v for k, v in a.items() if k not in ("receipt",)}  # noqa: E731
    if strip(again) != strip(saved):
        click.echo(t.gettext("does not reproduce: the rules of the receipt ({hash}) give another answer than the one "
                             "saved (edited file, or another engine version)").format(hash=receipt["rules_hash"][:12]))
        sys.exit(1)
    now = current.evaluate(parse_citizen(receipt["input"], current.ruleset.vocabulary, "receipt.input"), day,
                           lang=answer_lang).to_json()
    decision = tuple(f.id for f in current.ruleset.answer.fields) + DECISION_COMMON
    differing = [k for k in decision if now.get(k) != saved.get(k)]
    if not differing:
        same = t.gettext("still stands: reproduced with the receipt's rules ({hash}) and unchanged under the same "
                         "rules")
        other = t.gettext("still stands: reproduced with the receipt's rules ({hash}) and unchanged under the current "
                          "rules ({current})")
        click.echo((same if then is current else other).format(hash=receipt["rules_hash"][:12],
                                                               current=current.rules_hash[:12]))
        return
    used = {e["rule"] for e in saved.get("explanation", [])} | {e["rule"] for e in now.get("explanation", [])}
    changed = [c for c in rule_changes(then, current) if c.rule in used]
    click.echo(t.gettext("changed: {fields} differ under the current rules ({hash})").format(
        fields=", ".join(differing), hash=current.rules_hash[:12]))
    for k in differing:
        click.echo(f"  {k}: {json.dumps(saved.get(k), ensure_ascii=False)} → "
                   f"{json.dumps(now.get(k), ensure_ascii=False)}")
    for c in changed:
        what = f"{c.kind}: {', '.join(c.fields)}" if c.fields else c.kind
        click.echo("  " + t.gettext("changed by {rule} ({what})").format(rule=c.rule, what=what))
    sys.exit(1)
