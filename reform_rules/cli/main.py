"""The ``reform`` command line: a thin face over the Python API.

Exit codes: 0 success; 1 broken rule files or a failed check; 2 bad input (citizen, date, flags).
"""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import click

from reform_rules.basics.version import __version__
from reform_rules.basics.errors import CitizenError, ReformError
from reform_rules.answer.explain import render_text, status_label
from reform_rules.answer.rulebase import RuleBase, default_rules_dir, parse_query_date

LANG = click.Choice(["da", "en"])


def _rules_option(f):
    return click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Rules directory (default: $REFORM_RULES or ./rules).")(f)


def _fail(exc: ReformError) -> None:
    """Print the error's messages (CPR-like numbers hidden) and exit with its code."""
    from reform_rules.basics.privacy import redact_cpr
    for line in exc.messages:
        click.echo(redact_cpr(line), err=True)
    if len(exc.messages) > 1:
        click.echo(f"{len(exc.messages)} errors; nothing was loaded.", err=True)
    sys.exit(exc.exit_code)


def _load(rules_dir: Path | None) -> RuleBase:
    try:
        return RuleBase.load(rules_dir or default_rules_dir())
    except ReformError as exc:
        _fail(exc)
        raise  # unreachable


def _unchecked_option(f):
    return click.option("--unchecked", is_flag=True,
                        help="Use the rules even when reform check found them broken (see .certificate.json).")(f)


def _gate(base: RuleBase, unchecked: bool) -> None:
    """One line on stderr when the rules are not certified by reform check; exit 1 when it found them broken."""
    status = base.certificate
    if status.kind == "broken" and not unchecked:
        click.echo(status.line(), err=True)
        sys.exit(1)
    if status.kind == "broken":
        click.echo(f"warning: reform check found the rules in {status.path.parent} ({status.rules_hash[:12]}) "
                   "broken; using them anyway (--unchecked)", err=True)
    elif not status.checked:
        click.echo(status.line(), err=True)


def _date(value: str, field: str = "--date"):
    try:
        return parse_query_date(value, field)
    except CitizenError as exc:
        _fail(exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reform")
def main() -> None:
    """The Danish employment reform of 2025 as rules: cited answers per citizen and date."""


@main.command()
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
@_unchecked_option
@_rules_option
def query(citizen_file: Path, day: str, as_json: bool, lang: str, known_on: str | None, what_if: bool,
          unchecked: bool, rules_dir: Path | None) -> None:
    """What applies to the citizen in CITIZEN_FILE on --date, and why."""
    on = _date(day)
    with tempfile.TemporaryDirectory() as tmp:
        base, commit = _load_known(rules_dir, known_on, Path(tmp))
        _gate(base, unchecked)
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
        _fail(exc)
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
        return _load(rules_dir), None
    from reform_rules.answer.receipt import rules_as_known_on
    day = _date(known_on, "--as-known-on")
    try:
        return rules_as_known_on(rules_dir or default_rules_dir(), day, tmp)
    except ReformError as exc:
        _fail(exc)
        raise


def _known_line(known_on: str, commit: tuple, lang: str) -> str:
    rev, when, subject = commit
    if lang == "da":
        return f"Regler som kendt den {known_on}: revision {rev[:12]} af {when[:10]} ({subject})"
    return f"Rules as known on {known_on}: revision {rev[:12]} of {when[:10]} ({subject})"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quick", is_flag=True, help="Skip the completeness and uniqueness check (schema, references only).")
@click.option("-v", "--verbose", is_flag=True, help="Also list the declared undetermined answers and the proof's size against its limit.")
@_rules_option
def check(as_json: bool, quick: bool, verbose: bool, rules_dir: Path | None) -> None:
    """Validate the rule files and prove them complete; exit 0 when clean."""
    from reform_rules.logic.certificate import record
    from reform_rules.answer.check import run_check
    directory = rules_dir or default_rules_dir()
    report = run_check(directory, completeness=not quick)
    try:
        written, problem = record(directory, report, __version__), None
    except OSError as exc:
        written, problem = None, f"warning: the certificate was not written ({exc.strerror or exc})"
    if as_json:
        click.echo(json.dumps({**report.to_json(), "certificate": str(written) if written else None},
                              ensure_ascii=False, indent=2))
    else:
        for line in report.lines(verbose):
            click.echo(line, err=not report.ok)
        if written:
            click.echo(f"certificate: {written} records these rules ({report.rules_hash[:12]}) as clean; commit it "
                       "with the rules" if report.ok else
                       f"certificate: {written} records these rules ({report.rules_hash[:12]}) as broken; "
                       "reform query and serve refuse them until reform check passes", err=not report.ok)
    if problem:
        click.echo(problem, err=True)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--date", "day", required=True, help="The date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--lang", type=LANG, default="da", show_default=True)
@_rules_option
def parameters(day: str, as_json: bool, lang: str, rules_dir: Path | None) -> None:
    """Parameters in force on --date for municipalities and the country (jobpræmie, national savings, goals …)."""
    on = _date(day)
    base = _load(rules_dir)
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


@main.command()
@click.option("--citizen", "what", flag_value="citizen", help="The citizen record's schema instead of the answer's.")
@click.option("--answer", "what", flag_value="answer", default=True, help="The answer's schema (the default).")
@_rules_option
def schema(what: str, rules_dir: Path | None) -> None:
    """The JSON Schema of the answer (or of a citizen record), generated from the rules' declarations."""
    base = _load(rules_dir)
    if what == "citizen":
        from reform_rules.law.citizen_schema import citizen_schema
        data = citizen_schema(base.ruleset.vocabulary)
    else:
        from reform_rules.law.answer_schema import answer_schema
        data = answer_schema(base.ruleset)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="List every expectation, not only failures.")
@_rules_option
def scenarios(paths: tuple[Path, ...], verbose: bool, rules_dir: Path | None) -> None:
    """Run scenario files (default: every scenario under ./scenarios)."""
    from reform_rules.answer.scenarios import load_scenario, run_expectation, scenario_files
    base = _load(rules_dir)
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
                    click.echo(f"PASS {exp.name}")
            else:
                failed += 1
                click.echo(f"FAIL {exp.name} (line {exp.line})")
                for d in out.differences:
                    click.echo(f"    {d}")
    for line in broken:
        click.echo(line, err=True)
    click.echo(f"{passed} passed, {failed} failed" + (f", {len(broken)} file errors" if broken else ""))
    sys.exit(0 if not failed and not broken else 1)


@main.command()
@click.argument("citizen_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", default=None, help="First day (default: the rules' horizon, or the first spell if earlier).")
@click.option("--to", "end", default=None, help="Last day (default: the end of the rules' horizon).")
@click.option("--json", "as_json", is_flag=True, help="Print the periods as JSON.")
@click.option("--svg", "svg_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also draw the timeline as SVG into this file.")
@click.option("--lang", type=LANG, default="da", show_default=True)
@_rules_option
def timeline(citizen_file: Path, start: str | None, end: str | None, as_json: bool, svg_file: Path | None,
             lang: str, rules_dir: Path | None) -> None:
    """What changes for the citizen, and when: periods of constant answer, and their causes."""
    from reform_rules.answer.explain import _names, safe_text
    from reform_rules.answer.timeline import timeline as build
    from reform_rules.answer.timeline_svg import render_svg
    base = _load(rules_dir)
    try:
        citizen = base.load_citizen(citizen_file)
    except ReformError as exc:
        _fail(exc)
    first = min([s.start for s in citizen.spells], default=None)
    horizon = base.ruleset.vocabulary.horizon or (first or date.today(), date.today())
    on = _date(start, "--from") if start else min(d for d in [horizon[0], first] if d)
    off = _date(end, "--to") if end else horizon[1]
    if off < on:
        _fail(CitizenError("--to: must not be before --from"))
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
    # the id and anything else from input go through safe_text: escapes and newlines are shown, not obeyed
    click.echo(f"{safe_text(citizen.id)}: {on} – {off}, {words['tl_n_periods'].format(n=len(tl.periods))}")
    for p in tl.periods:
        a = p.answer
        click.echo(f"\n{p.start} – {p.end}")
        for f in lanes(shape):
            click.echo(f"  {f.label[lang]}: {safe_text(_label(f, a, names, lang, open_rules, shape))}")
        for f in shape.fields:
            if not f.in_lanes and a.get(f.id):
                value = names.get(a[f.id], a[f.id]) if isinstance(a[f.id], str) else a[f.id]
                click.echo(f"  {f.label[lang]}: {safe_text(value)}")
        if p.changed:
            changed = [shape.by_id(c).label[lang] if shape.by_id(c) else words.get(c, c) for c in p.changed]
            click.echo(f"  {words['cli_changed']}: {', '.join(changed)}")
        for e in p.causes:
            click.echo(f"    {words['because'].lower()}: {safe_text(cause_text(e, base.ruleset, lang))}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; there is no login).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@_unchecked_option
@_rules_option
def serve(host: str, port: int, unchecked: bool, rules_dir: Path | None) -> None:
    """Serve the caseworker page (/), the rules page (/rules) and the JSON API (/api, /docs)."""
    try:
        from reform_rules.web import serve as run_server
    except ImportError as exc:  # the web extra is not installed
        click.echo(f"reform serve needs the web extra ({exc.name} is missing): pip install -e '.[web]'", err=True)
        sys.exit(1)
    base = _load(rules_dir)
    _gate(base, unchecked)
    click.echo(f"reform serve: http://{host}:{port}/ ({len(base.ruleset.rules)} rules from "
               f"{rules_dir or default_rules_dir()}; read-only; Ctrl-C stops)", err=True)
    run_server(base, host=host, port=port, rules_dir=rules_dir or default_rules_dir())


@main.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def diff_command(old: str, new: str, as_json: bool) -> None:
    """What changes from the rules OLD to NEW (directories or git revisions), and for whom."""
    from reform_rules.answer.diff import diff
    try:
        changes, answers, pairs = diff(old, new)
    except ReformError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps({
            "rules": [c.__dict__ for c in changes],
            "answers": [{"field": a.field, "old": a.old, "new": a.new, "dates": sorted(d.isoformat() for d in a.dates),
                         "situations": sorted(a.situations)} for a in answers],
            "pairs_compared": pairs}, ensure_ascii=False, indent=2))
        return
    counts = {k: sum(1 for c in changes if c.kind == k) for k in ("edited", "added", "removed")}
    click.echo(f"Rules: {counts['edited']} edited, {counts['added']} added, {counts['removed']} removed")
    for c in changes:
        mark = {"edited": "~", "added": "+", "removed": "-"}[c.kind]
        extra = f" [{', '.join(c.fields)}]" if c.fields else ""
        click.echo(f"  {mark} {c.rule} ({c.file}){extra}")
        for d in c.detail:
            click.echo(f"      {d}")
    click.echo(f"Answers: {len(answers)} change(s) over {pairs} situation-date pairs compared")
    for a in answers:
        click.echo(f"  {a.line()}")
        for s in sorted(a.situations)[:3]:
            click.echo(f"      e.g. {s}")


# Beside the declared fields, what carries an answer's decision (the explanation follows from the rules used).
DECISION_COMMON = ("status", "open_questions")


@main.command()
@click.argument("answer_file", type=click.Path(dir_okay=False, path_type=Path))
@_rules_option
def verify(answer_file: Path, rules_dir: Path | None) -> None:
    """Check a saved answer (reform query --json) against its receipt and against today's rules.

    Exit 0: it reproduces and still stands. Exit 1: it no longer stands, or does not reproduce.
    """
    from reform_rules.law.citizen import parse_citizen
    from reform_rules.answer.diff import rule_changes
    from reform_rules.answer.receipt import check_receipt, rule_set_of_receipt
    try:
        saved = json.loads(answer_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(CitizenError(f"{answer_file}: not a saved JSON answer ({exc})"))
    except RecursionError:
        _fail(CitizenError(f"{answer_file}: not a saved JSON answer (nested too deeply)"))
    try:
        receipt = check_receipt(saved.get("receipt") if isinstance(saved, dict) else None, str(answer_file))
    except ReformError as exc:
        _fail(exc)
    current = _load(rules_dir)
    lang = receipt["lang"]
    day = _date(receipt["query_date"], "receipt.query_date")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            then = rule_set_of_receipt(receipt, current, Path(tmp))
            citizen = parse_citizen(receipt["input"], then.ruleset.vocabulary, "receipt.input")
        except ReformError as exc:
            _fail(exc)
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


@main.command()
@click.argument("rule_id", required=False)
@_rules_option
def history(rule_id: str | None, rules_dir: Path | None) -> None:
    """When each rule's dates, status or content changed, from git, with the commit message."""
    from reform_rules.answer.diff import RULE_FIELDS
    from reform_rules.answer.receipt import HistoryError, RulesLocation
    from reform_rules.law.ruleset import read_rules
    directory = rules_dir or default_rules_dir()
    loc = RulesLocation.of(directory)
    if loc is None:
        _fail(HistoryError(f"{directory}: not in a git repository; there is no history"))
    previous: dict = {}
    shown = 0
    for rev, when, subject in loc.commits():
        with tempfile.TemporaryDirectory() as tmp:
            try:
                rules = {r.id: r for r in read_rules(loc.checkout(rev, Path(tmp))).rules}
            except ReformError:
                click.echo(f"{when[:10]} {rev[:10]} {subject}\n    (the rules did not load at this commit)")
                continue
        lines = []
        for rid in sorted(set(previous) | set(rules)):
            if rule_id and rid != rule_id:
                continue
            a, b = previous.get(rid), rules.get(rid)
            if a is None and b is not None:
                lines.append(f"+ {rid} ({b.status}, valid {b.valid_from or '…'} – {b.valid_to or '…'})")
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
        click.echo(f"{rule_id}: no change found in the history of {directory}")


_DIALECT_OPTIONS = (
    click.option("--delimiter", default=None,
                 help="The separator of a CSV input: , ; or tab (default: detected from the header)."),
    click.option("--encoding", default="auto", show_default=True,
                 help="The encoding of a CSV input: utf-8, cp1252, latin-1 … (auto: UTF-8 with or without BOM, "
                      "UTF-16 with a BOM, else Windows-1252)."))


def _dialect_options(f):
    for option in reversed(_DIALECT_OPTIONS):
        f = option(f)
    return f


def _internal_error(command: str, exc: BaseException) -> None:
    """One line instead of a traceback, for a failure that is a bug (exit 70, as the analyst guide says)."""
    from reform_rules.caseload.layout import printable
    click.echo(f"reform {command}: internal error ({type(exc).__name__}: {printable(str(exc))[:300]}); "
               f"this is a bug: please report it with the command you ran", err=True)
    sys.exit(70)


@main.command("batch")
@click.argument("input_file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--date", "days", multiple=True, required=True, help="A date to answer for (YYYY-MM-DD); repeatable.")
@click.option("--out", "output", required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Output file: .csv (flat, compact lists), .jsonl (the answer contract), .parquet or .xlsx "
                   "(the CSV's columns); - for stdout.")
@click.option("--format", "out_format", type=click.Choice(["csv", "jsonl", "parquet", "xlsx"]), default=None,
              help="Output format (default: from the extension; csv on stdout).")
@click.option("--labels", type=LANG, default=None,
              help="Also write the Danish or English name beside each id and value (columns <field>_label).")
@click.option("--errors", "errors_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Rows in error go here (default: OUTPUT.errors.csv; on stderr when OUTPUT is -).")
@click.option("--explain", is_flag=True, help="JSON Lines output: keep each answer's explanation.")
@click.option("--lang", type=LANG, default="da", show_default=True, help="Language of texts in the answers.")
@click.option("--engine", "engine_name", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: vectorised, one process (forks a helper per core for Datalog); dask: map_partitions.")
@_dialect_options
@click.option("-v", "--verbose", is_flag=True, help="Also print where the evaluation time went.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: on a terminal, off when $CI is set).")
@_rules_option
def batch_command(input_file: Path, days: tuple[str, ...], output: Path, out_format: str | None,
                  labels: str | None, errors_file: Path | None, explain: bool, lang: str, engine_name: str,
                  delimiter: str | None, encoding: str, verbose: bool, progress: bool | None,
                  rules_dir: Path | None) -> None:
    """Answer every citizen in INPUT_FILE (.csv or .parquet flat layout, a directory of Parquet files, or .jsonl
    citizen objects) on every --date.

    Rows in error never stop the run: they go to the errors file with their row number and message.
    The summary line on stderr counts rows in, rows out and rows in errors. The output appears only
    when the run is complete (it is written beside it first); a second batch to the same output is
    refused while the first runs.
    """
    from reform_rules.caseload.files import StopOnSignal
    from reform_rules.basics.errors import BatchError
    on = []
    for d in days:
        day = _date(d)
        if day not in on:
            on.append(day)
    try:
        with StopOnSignal("batch"):
            summary, notes = _run_batch(input_file, on, output, out_format, errors_file, explain, lang,
                                        engine_name, delimiter, encoding, progress, rules_dir, labels)
    except (BatchError, ReformError) as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - no traceback, ever: one line, exit 70
        _internal_error("batch", exc)
    for note in notes:
        click.echo(f"reform batch: {note}", err=True)
    click.echo(summary.line(), err=True)
    if verbose and engine_name == "local":
        click.echo(summary.stages(), err=True)


def _run_batch(input_file, on, output, out_format, errors_file, explain, lang, engine_name, delimiter, encoding,
               progress, rules_dir, labels=None):
    """The batch into temporary files beside the locked targets, renamed into place when it is done."""
    from reform_rules.caseload.files import Dialect, Targets, _csv_header, check_paths, errors_file_for
    from reform_rules.caseload.formats import input_format, output_format, prefetch
    from reform_rules.basics.errors import BatchError
    dialect = Dialect.of(delimiter, encoding)
    fmt = output_format(output, out_format)
    errors_path = errors_file_for(output, errors_file)
    in_fmt = input_format(input_file)
    if not (input_file.is_file() or (in_fmt == "parquet" and input_file.is_dir())):
        raise BatchError(f"{input_file}: no such file")
    check_paths(input_file, output, errors_path)
    with Targets(output, errors_path) as targets:
        if engine_name == "dask":
            if labels:
                raise BatchError("--labels goes with --engine local")
            from reform_rules.caseload.on_dask import run_dask
            _load(rules_dir)  # refuse broken rules before starting dask
            if in_fmt == "csv":
                _csv_header(input_file, dialect)
            targets.clear()
            summary = run_dask(rules_dir or default_rules_dir(), input_file, targets.out_partial, on,
                               targets.errors_partial, explain=explain, lang=lang, out_format=fmt, dialect=dialect)
        else:
            from reform_rules.caseload.batch import run_batch
            from reform_rules.caseload.files import pyarrow_without_pandas
            pyarrow_without_pandas()
            early = prefetch(input_file, dialect)  # read the input while the rules load
            try:
                base = _load(rules_dir)
            finally:
                if early is not None:
                    early.join()   # broken rules: the read ends before the process does
            if early is not None:
                early.get()   # an unreadable input stops the run here, before anything is written
            if in_fmt == "csv":   # the columns the rules' vocabulary gives the layout, checked before writing
                from reform_rules.caseload.layout import Layout
                _csv_header(input_file, Dialect(dialect.delimiter if delimiter is None else dialect.delimiter,
                                                dialect.encoding, fields=Layout(base.ruleset.vocabulary).fields))
            targets.clear()
            summary = run_batch(base, input_file, targets.out_partial, on, targets.errors_partial, explain=explain,
                                lang=lang, progress=progress, prefetched=early, out_format=fmt, labels=labels)
        targets.commit()
    return summary, dialect.notes


@main.command("impact")
@click.argument("input_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--at", "at", default=None,
              help="The change date (default: the first day of the last phase in the rules).")
@click.option("--html", "html_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report (tables and an inline SVG chart).")
@click.option("--from", "first", default=None, help="First month of the monthly counts (YYYY-MM-DD; default: from the rules).")
@click.option("--to", "last", default=None, help="Last month of the monthly counts (YYYY-MM-DD; default: from the rules).")
@click.option("--lang", type=LANG, default="da", show_default=True, help="Language of the report.")
@_dialect_options
@_rules_option
def impact_command(input_file: Path, at: str | None, html_file: Path | None, first: str | None, last: str | None,
                   lang: str, delimiter: str | None, encoding: str, rules_dir: Path | None) -> None:
    """How a caseload moves between target groups on --at, who is grandfathered, and per month."""
    from reform_rules.caseload.files import Dialect, StopOnSignal, Targets, pyarrow_without_pandas
    from reform_rules.basics.errors import BatchError
    from reform_rules.caseload.impact import compute_impact, default_months, month_starts, render_html, render_text
    pyarrow_without_pandas()
    try:
        with StopOnSignal("impact"):
            dialect = Dialect.of(delimiter, encoding)
            base = _load(rules_dir)
            on = _date(at, "--at") if at else None
            months = default_months(base)
            if first or last:
                months = month_starts(_date(first, "--from") if first else months[0],
                                      _date(last, "--to") if last else months[-1])
            result = compute_impact(base, input_file, on, months, dialect=dialect)
            for note in dialect.notes:
                click.echo(f"reform impact: {note}", err=True)
            click.echo(render_text(result, lang))
            if html_file:   # written beside it and renamed into place, as the batch's output
                with Targets(html_file, None) as target:
                    target.clear()
                    try:
                        target.out_partial.write_text(render_html(result, lang), encoding="utf-8")
                    except OSError as exc:
                        raise BatchError(f"{html_file}: cannot write ({exc.strerror or exc})") from None
                    target.commit()
                click.echo(f"\nHTML report: {html_file}", err=True)
    except (BatchError, ReformError) as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - no traceback, ever: one line, exit 70
        _internal_error("impact", exc)


if __name__ == "__main__":  # pragma: no cover
    main()
