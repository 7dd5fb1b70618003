"""The ``reform`` command line: a thin face over the Python API.

Exit codes: 0 success; 1 broken rule files or a failed check; 2 bad input (citizen, date, flags).
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from . import __version__
from .errors import CitizenError, ReformError
from .explain import render_text, status_label
from .query import RuleBase, default_rules_dir, parse_query_date

LANG = click.Choice(["da", "en"])


def _rules_option(f):
    return click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Rules directory (default: $REFORM_RULES or ./rules).")(f)


def _fail(exc: ReformError) -> None:
    for line in exc.messages:
        click.echo(line, err=True)
    if len(exc.messages) > 1:
        click.echo(f"{len(exc.messages)} errors; nothing was loaded.", err=True)
    sys.exit(exc.exit_code)


def _load(rules_dir: Path | None) -> RuleBase:
    try:
        return RuleBase.load(rules_dir or default_rules_dir())
    except ReformError as exc:
        _fail(exc)
        raise  # unreachable


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
@_rules_option
def query(citizen_file: Path, day: str, as_json: bool, lang: str, rules_dir: Path | None) -> None:
    """What applies to the citizen in CITIZEN_FILE on --date, and why."""
    on = _date(day)
    base = _load(rules_dir)
    try:
        citizen = base.load_citizen(citizen_file)
        answer = base.evaluate(citizen, on, lang=lang)
    except ReformError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(answer, base.ruleset, lang))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--quick", is_flag=True, help="Skip the completeness and uniqueness check (schema, references only).")
@click.option("-v", "--verbose", is_flag=True, help="Also list the declared undetermined answers.")
@_rules_option
def check(as_json: bool, quick: bool, verbose: bool, rules_dir: Path | None) -> None:
    """Validate the rule files and prove them complete; exit 0 when clean."""
    from .check import run_check
    report = run_check(rules_dir or default_rules_dir(), completeness=not quick)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines(verbose):
            click.echo(line, err=not report.ok)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--date", "day", required=True, help="The date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--lang", type=LANG, default="da", show_default=True)
@_rules_option
def parameters(day: str, as_json: bool, lang: str, rules_dir: Path | None) -> None:
    """Municipality-level parameters in force on --date (jobpræmie, savings, goals …)."""
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


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="List every expectation, not only failures.")
@_rules_option
def scenarios(paths: tuple[Path, ...], verbose: bool, rules_dir: Path | None) -> None:
    """Run scenario files (default: every scenario under ./scenarios)."""
    from .scenarios import load_scenario, run_expectation, scenario_files
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
    from .explain import _names
    from .timeline import timeline as build
    from .timeline_svg import render_svg
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
    open_rules = frozenset(r.id for r in base.ruleset.in_family("obligation") if r.undetermined)
    if svg_file:
        svg_file.write_text(render_svg(tl, names, lang, open_rules), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(tl.to_json(), ensure_ascii=False, indent=2))
        return
    from .timeline_svg import _label
    click.echo(f"{citizen.id}: {on} – {off}, {len(tl.periods)} periods")
    for p in tl.periods:
        a = p.answer
        click.echo(f"\n{p.start} – {p.end}")
        for lane in ("phase", "target_group", "obligations", "sanctionable"):
            click.echo(f"  {lane}: {_label(lane, a, names, lang, open_rules)}")
        if a.get("trial"):
            click.echo(f"  trial: {a['trial']}")
        if p.changed:
            click.echo(f"  changed: {', '.join(p.changed)}")
        for e in p.causes:
            what = e.get("rule") or e.get("id") or ""
            extra = f" ({e['months']} months)" if "months" in e else (f" (age {e['age']})" if "age" in e else "")
            click.echo(f"    because: {e['kind']} {what}{extra}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; there is no login).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@_rules_option
def serve(host: str, port: int, rules_dir: Path | None) -> None:
    """Serve the caseworker page (/), the rules page (/rules) and the JSON API (/api, /docs)."""
    try:
        from .web import serve as run_server
    except ImportError as exc:  # the web extra is not installed
        click.echo(f"reform serve needs the web extra ({exc.name} is missing): pip install -e '.[web]'", err=True)
        sys.exit(1)
    base = _load(rules_dir)
    click.echo(f"reform serve: http://{host}:{port}/ ({len(base.ruleset.rules)} rules from "
               f"{rules_dir or default_rules_dir()}; read-only; Ctrl-C stops)", err=True)
    run_server(base, host=host, port=port, rules_dir=rules_dir or default_rules_dir())


@main.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def diff_command(old: str, new: str, as_json: bool) -> None:
    """What changes from the rules OLD to NEW (directories or git revisions), and for whom."""
    from .diff import diff
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
