"""``reform query``, ``reform timeline`` and ``reform verify``: one citizen's answer, its periods, a saved answer checked."""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from reform_rules.basics.errors import CitizenError, ReformError
from reform_rules.answer.explain import render_text
from reform_rules.answer.rulebase import default_rules_dir

from reform_rules.cli.common import (LANG, fail, gate, load_rules, option_date, rules_option, unchecked_option)

# Each command imports what it uses when it runs (no cycle to avoid: cli is the last stage), so that
# `reform --help` and every command start without loading the others' modules. The web modules
# below need the `web` extra (FastAPI), which `reform query` does not.


@click.command()
@click.argument("citizen_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--date", "day", required=True, help="The date to answer for (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (the contract).")
@click.option("--lang", type=LANG, default="da", show_default=True, help="Language of the text.")
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
        gate(base, unchecked)
    try:
        citizen = base.load_citizen(citizen_file)
        answer = base.evaluate(citizen, on, lang=lang, receipt=True)
        changes = missing = None
        if what_if:
            from reform_rules.answer.counterfactual import what_would_change
            from reform_rules.answer.missing import missing_facts
            changes = what_would_change(base, citizen, on, lang)
            missing = missing_facts(base.ruleset, citizen, on, answer, lang)
    except ReformError as exc:
        fail(exc)
    if as_json:
        data = answer.to_json()
        if commit:
            data["receipt"]["as_known_on"] = known_on
        if changes is not None:
            data["what_would_change"] = [c.to_json() for c in changes]
            data["missing"] = missing
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if commit:
            click.echo(_known_line(known_on, commit, lang) + "\n")
        click.echo(render_text(answer, base.ruleset, lang))
        r = answer.receipt
        rev = (r["rules_revision"] or "")[:12] + ("+" if r["rules_dirty"] else "")
        click.echo(f"\n{'Kvittering' if lang == 'da' else 'Receipt'}: reform {r['engine']}, "
                   f"{'regler' if lang == 'da' else 'rules'} {r['rules_hash'][:12]}"
                   f"{' @ ' + rev if rev else ''}, {r['made_at']}")
        if changes is not None:
            from reform_rules.answer.counterfactual import lines
            if missing:
                click.echo("\n" + ("Oplysninger, der mangler" if lang == "da" else "Information that is missing") + ":")
                for item in missing:
                    click.echo(f"  - {item['text']} ({', '.join(item['rules'])}): {item['help']}")
            click.echo("\n" + "\n".join(lines(changes, lang)))


def _load_known(rules_dir: Path | None, known_on: str | None, tmp: Path):
    """The rule base, or the one of --as-known-on and the commit it came from."""
    if not known_on:
        return load_rules(rules_dir), None
    from reform_rules.answer.past import rules_as_known_on
    day = option_date(known_on, "--as-known-on")
    try:
        return rules_as_known_on(rules_dir or default_rules_dir(), day, tmp)
    except ReformError as exc:
        fail(exc)
        raise


def _known_line(known_on: str, commit: tuple, lang: str) -> str:
    rev, when, subject = commit
    if lang == "da":
        return f"Regler som kendt den {known_on}: revision {rev[:12]} af {when[:10]} ({subject})"
    return f"Rules as known on {known_on}: revision {rev[:12]} of {when[:10]} ({subject})"




@click.command()
@click.argument("citizen_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", default=None, help="First day (default: the rules' horizon, or the first spell if earlier).")
@click.option("--to", "end", default=None, help="Last day (default: the end of the rules' horizon).")
@click.option("--json", "as_json", is_flag=True, help="Print the periods as JSON.")
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the timeline as SVG into this file.")
@click.option("--lang", type=LANG, default="da", show_default=True)
@rules_option
def timeline(citizen_file: Path, start: str | None, end: str | None, as_json: bool, svg_file: Path | None,
             lang: str, rules_dir: Path | None) -> None:
    """What changes for the citizen, and when: periods of constant answer, and their causes."""
    from reform_rules.answer.explain import _names
    from reform_rules.answer.timeline import timeline as build
    from reform_rules.answer.timeline_svg import render_svg
    base = load_rules(rules_dir)
    try:
        citizen = base.load_citizen(citizen_file)
    except ReformError as exc:
        fail(exc)
    first = min([s.start for s in citizen.spells], default=None)
    horizon = base.ruleset.vocabulary.horizon or (first or date.today(), date.today())
    on = option_date(start, "--from") if start else min(d for d in [horizon[0], first] if d)
    off = option_date(end, "--to") if end else horizon[1]
    if off < on:
        fail(CitizenError("--to: must not be before --from"))
    tl = build(base, citizen, on, off, lang=lang)
    names = _names(base.ruleset, lang)
    shape = base.ruleset.answer
    open_rules = frozenset(r.id for f in shape.of_kind("obligation") for r in base.ruleset.in_family(f.then)
                           if r.undetermined)
    if svg_file:
        svg_file.write_text(render_svg(tl, names, lang, open_rules, shape=shape), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(tl.to_json(), ensure_ascii=False, indent=2))
        return
    from reform_rules.answer.timeline_svg import _label, lanes
    from reform_rules.web.i18n import UI
    from reform_rules.web.timeline_view import cause_text
    words = UI[lang]
    click.echo(f"{citizen.id}: {on} – {off}, {words['tl_n_periods'].format(n=len(tl.periods))}")
    for p in tl.periods:
        a = p.answer
        click.echo(f"\n{p.start} – {p.end}")
        for f in lanes(shape):
            click.echo(f"  {f.label[lang]}: {_label(f, a, names, lang, open_rules, shape)}")
        for f in shape.fields:
            if not f.in_lanes and a.get(f.id):
                click.echo(f"  {f.label[lang]}: {names.get(a[f.id], a[f.id]) if isinstance(a[f.id], str) else a[f.id]}")
        if p.changed:
            changed = [shape.by_id(c).label[lang] if shape.by_id(c) else words.get(c, c) for c in p.changed]
            click.echo(f"  {words['cli_changed']}: {', '.join(changed)}")
        for e in p.causes:
            click.echo(f"    {words['because'].lower()}: {cause_text(e, base.ruleset, lang)}")




DECISION_COMMON = ("status", "open_questions")


@click.command()
@click.argument("answer_file", type=click.Path(dir_okay=False, path_type=Path))
@rules_option
def verify(answer_file: Path, rules_dir: Path | None) -> None:
    """Check a saved answer (reform query --json) against its receipt and against today's rules.

    Exit 0: it reproduces and still stands. Exit 1: it no longer stands, or does not reproduce.
    """
    from reform_rules.law.citizen import parse_citizen
    from reform_rules.answer.diff import rule_changes
    from reform_rules.answer.past import rule_set_of_receipt
    from reform_rules.answer.receipt import check_receipt
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
    lang = receipt["lang"]
    day = option_date(receipt["query_date"], "receipt.query_date")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            then = rule_set_of_receipt(receipt, current, Path(tmp))
            citizen = parse_citizen(receipt["input"], then.ruleset.vocabulary, "receipt.input")
        except ReformError as exc:
            fail(exc)
    again = then.evaluate(citizen, day, lang=lang).to_json()
    strip = lambda a: {k: v for k, v in a.items() if k not in ("receipt",)}  # noqa: E731
    if strip(again) != strip(saved):
        click.echo(f"does not reproduce: the rules of the receipt ({receipt['rules_hash'][:12]}) give another answer "
                   "than the one saved (edited file, or another engine version)")
        sys.exit(1)
    now = current.evaluate(parse_citizen(receipt["input"], current.ruleset.vocabulary, "receipt.input"), day,
                           lang=lang).to_json()
    decision = tuple(f.id for f in current.ruleset.answer.fields) + DECISION_COMMON
    differing = [k for k in decision if now.get(k) != saved.get(k)]
    if not differing:
        same = "the same rules" if then is current else f"the current rules ({current.rules_hash[:12]})"
        click.echo(f"still stands: reproduced with the receipt's rules ({receipt['rules_hash'][:12]}) and unchanged "
                   f"under {same}")
        return
    used = {e["rule"] for e in saved.get("explanation", [])} | {e["rule"] for e in now.get("explanation", [])}
    changed = [c for c in rule_changes(then, current) if c.rule in used]
    click.echo(f"changed: {', '.join(differing)} differ under the current rules ({current.rules_hash[:12]})")
    for k in differing:
        click.echo(f"  {k}: {json.dumps(saved.get(k), ensure_ascii=False)} → {json.dumps(now.get(k), ensure_ascii=False)}")
    for c in changed:
        click.echo(f"  changed by {c.rule} ({c.kind}{': ' + ', '.join(c.fields) if c.fields else ''})")
    sys.exit(1)
