"""``reform batch`` and ``reform impact``: whole caseloads."""
from __future__ import annotations

from pathlib import Path

import click

from reform_rules.answer.rulebase import default_rules_dir
from reform_rules.basics.errors import BatchError, ReformError
from reform_rules.cli.common import (
    LANG,
    dialect_options,
    fail,
    internal_error,
    lang_option,
    load_rules,
    option_date,
    rules_option,
)


@click.command("batch")
@click.argument("input_file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--date", "days", multiple=True, required=True, help="A date to answer for (YYYY-MM-DD); repeatable.")
@click.option("--out", "output", required=True, type=click.Path(dir_okay=True, allow_dash=True, path_type=Path),
              help="Output file: .csv (flat, compact lists), .jsonl (the answer contract), .parquet or .xlsx "
                   "(the CSV's columns); a name without an extension (or a directory) is a Parquet dataset "
                   "directory; - for stdout.")
@click.option("--format", "out_format", type=click.Choice(["csv", "jsonl", "parquet", "xlsx"]), default=None,
              help="Output format (default: from the extension; csv on stdout).")
@click.option("--labels", type=LANG, default=None,
              help="Also write the Danish or English name beside each id and value (columns <field>_label).")
@click.option("--errors", "errors_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Rows in error go here (default: OUTPUT.errors.csv; on stderr when OUTPUT is -).")
@click.option("--explain", is_flag=True, help="JSON Lines output: keep each answer's explanation.")
@lang_option
@click.option("--engine", "engine_name", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: vectorised, one process (forks a helper per core for Datalog); dask: map_partitions.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: run on the dask.distributed cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786).")
@dialect_options
@click.option("-v", "--verbose", is_flag=True, help="Also print where the evaluation time went.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: on a terminal, off when $CI is set).")
@rules_option
def batch_command(input_file: Path, days: tuple[str, ...], output: Path, out_format: str | None,
                  labels: str | None, errors_file: Path | None, explain: bool, lang: str, engine_name: str,
                  scheduler: str | None, delimiter: str | None, encoding: str, verbose: bool, progress: bool | None,
                  rules_dir: Path | None) -> None:
    """Answer every citizen in INPUT_FILE (.csv or .parquet flat layout, a directory of Parquet files, or .jsonl
    citizen objects) on every --date.

    Rows in error never stop the run: they go to the errors file with their row number and message.
    The summary line on stderr counts rows in, rows out and rows in errors. The output appears only
    when the run is complete (it is written beside it first); a second batch to the same output is
    refused while the first runs.
    """
    from reform_rules.caseload.signals import StopOnSignal  # the caseload modules (pyarrow) load only for a batch
    on = []
    for d in days:
        day = option_date(d)
        if day not in on:
            on.append(day)
    try:
        with StopOnSignal("batch"):
            summary, notes = _run_batch(input_file, on, output, out_format, errors_file, explain, lang,
                                        engine_name, delimiter, encoding, progress, rules_dir, labels, scheduler)
    except (BatchError, ReformError) as exc:
        fail(exc)
    except Exception as exc:  # noqa: BLE001 - no traceback, ever: one line, exit 70
        internal_error("batch", exc)
    for note in notes:
        click.echo(f"reform batch: {note}", err=True)
    click.echo(summary.line(), err=True)
    if verbose and engine_name == "local":
        click.echo(summary.stages(), err=True)


def _run_batch(input_file, on, output, out_format, errors_file, explain, lang, engine_name, delimiter, encoding,
               progress, rules_dir, labels=None, scheduler=None):
    """The batch into temporary files beside the locked targets, renamed into place when it is done."""
    from reform_rules.caseload.files import Dialect, csv_header
    from reform_rules.caseload.formats import input_format, is_dataset, output_format, prefetch
    from reform_rules.caseload.targets import Targets, check_paths
    from reform_rules.caseload.writing import errors_file_for
    dialect = Dialect.of(delimiter, encoding)
    dataset = is_dataset(output, out_format)
    fmt = "parquet" if dataset else output_format(output, out_format)
    if scheduler and engine_name != "dask":
        raise BatchError("--scheduler goes with --engine dask")
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
            load_rules(rules_dir)  # refuse broken rules before starting dask
            if in_fmt == "csv":
                csv_header(input_file, dialect)
            targets.clear()
            summary = run_dask(rules_dir or default_rules_dir(), input_file, targets.out_partial, on,
                               targets.errors_partial, explain=explain, lang=lang, out_format=fmt, dialect=dialect,
                               scheduler=scheduler, dataset=dataset)
        else:
            from reform_rules.caseload.batch import run_batch
            from reform_rules.caseload.speed import pyarrow_without_pandas
            pyarrow_without_pandas()
            early = prefetch(input_file, dialect)  # read the input while the rules load
            base = _load_rules_beside(early, rules_dir)
            if early is not None:
                early.get()   # an unreadable input stops the run here, before anything is written
            if in_fmt == "csv":   # the columns the rules' vocabulary gives the layout, checked before writing
                from reform_rules.caseload.layout import Layout
                csv_header(input_file, Dialect(dialect.delimiter if delimiter is None else dialect.delimiter,
                                                dialect.encoding, fields=Layout(base.ruleset.vocabulary).fields))
            targets.clear()
            summary = run_batch(base, input_file, targets.out_partial, on, targets.errors_partial, explain=explain,
                                lang=lang, progress=progress, prefetched=early, out_format=fmt, labels=labels,
                                dataset=dataset)
        targets.commit()
    return summary, dialect.notes


def _load_rules_beside(early, rules_dir: Path | None):
    """The rules, loaded while ``early`` (a background read of the input, or None) reads; the read ends
    before this returns, broken rules or not."""
    try:
        return load_rules(rules_dir)
    finally:
        if early is not None:
            early.join()


@click.command("impact")
@click.argument("input_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--at", "at", default=None,
              help="The change date (default: the first day of the last phase in the rules).")
@click.option("--html", "html_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML report (tables and an inline SVG chart).")
@click.option("--from", "first", default=None,
              help="First month of the monthly counts (YYYY-MM-DD; default: from the rules).")
@click.option("--to", "last", default=None,
              help="Last month of the monthly counts (YYYY-MM-DD; default: from the rules).")
@lang_option
@dialect_options
@rules_option
def impact_command(input_file: Path, at: str | None, html_file: Path | None, first: str | None, last: str | None,
                   lang: str, delimiter: str | None, encoding: str, rules_dir: Path | None) -> None:
    """How a caseload moves between target groups on --at, who is grandfathered, and per month."""
    from reform_rules.basics.errors import BatchError
    from reform_rules.caseload.files import Dialect, StopOnSignal, Targets, prefetch, pyarrow_without_pandas
    from reform_rules.caseload.impact import compute_impact, default_months, month_starts, render_text
    from reform_rules.caseload.impact_report import render_html
    from reform_rules.caseload.writing import write_errors
    pyarrow_without_pandas()
    try:
        with StopOnSignal("impact"):
            dialect = Dialect.of(delimiter, encoding)
            early = prefetch(input_file, dialect)  # read the input while the rules load
            base = _load_rules_beside(early, rules_dir)
            on = option_date(at, "--at") if at else None
            months = default_months(base)
            if first or last:
                months = month_starts(option_date(first, "--from") if first else months[0],
                                      option_date(last, "--to") if last else months[-1])
            result = compute_impact(base, input_file, on, months, dialect=dialect, prefetched=early)
            for note in dialect.notes:
                click.echo(f"reform impact: {note}", err=True)
            click.echo(render_text(result, lang))
            if html_file:   # written beside it and renamed into place, as the batch's output
                errors_file = None
                if result.errors:   # every row in error, beside the report (which lists the first)
                    errors_file = html_file.with_name(html_file.name + ".errors.csv")
                    write_errors(errors_file, result.error_rows)
                with Targets(html_file, None) as target:
                    target.clear()
                    try:
                        target.out_partial.write_text(render_html(result, lang, errors_file.name if errors_file
                                                                  else None), encoding="utf-8")
                    except OSError as exc:
                        raise BatchError(f"{html_file}: cannot write ({exc.strerror or exc})") from None
                    target.commit()
                click.echo(f"\nHTML report: {html_file}", err=True)
    except (BatchError, ReformError) as exc:
        fail(exc)
    except Exception as exc:  # noqa: BLE001 - no traceback, ever: one line, exit 70
        internal_error("impact", exc)

