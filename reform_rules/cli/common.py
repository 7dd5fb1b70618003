"""What every ``reform`` command shares: the rules and language options, failing with an exit code, the
certificate gate, dates from options, CSV dialect options."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from tqdm import tqdm

from reform_rules.answer.rulebase import RuleBase, default_rules_dir, parse_query_date
from reform_rules.basics.errors import CitizenError, ReformError
from reform_rules.basics.i18n import DEFAULT_LANG, LANGS, gettext, ngettext
from reform_rules.basics.privacy import redact_cpr
from reform_rules.caseload.layout import printable

LANG = click.Choice(list(LANGS))


def lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang da|en`` for a command whose reader is a caseworker: Danish unless asked (or ``$REFORM_LANG``)."""
    return click.option("--lang", type=LANG, default=DEFAULT_LANG, show_default=True, envvar="REFORM_LANG",
                        help="Language of the text (the program's words; the rules' labels in that language); "
                             "default: $REFORM_LANG, else Danish.")(f)


def tool_lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang da|en`` for a developer's or legal editor's tool (check, diff, scenarios, history, verify), whose
    reports are read beside the code, the logs and CI in English unless asked (or ``$REFORM_LANG``)."""
    return click.option("--lang", type=LANG, default="en", show_default=True, envvar="REFORM_LANG",
                        help="Language of the report; default: $REFORM_LANG, else English.")(f)


def rules_option(f):
    return click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Rules directory (default: $REFORM_RULES or ./rules).")(f)


def fail(exc: ReformError, lang: str | None = None) -> NoReturn:
    """Print the error's messages (CPR-like numbers hidden) and exit with its code; the count in ``lang``."""
    for line in exc.messages:
        click.echo(redact_cpr(line), err=True)
    n = len(exc.messages)
    if n > 1:
        click.echo(ngettext("{n} error; nothing was loaded.", "{n} errors; nothing was loaded.", n, lang).format(n=n),
                   err=True)
    sys.exit(exc.exit_code)


def load_rules(rules_dir: Path | None) -> RuleBase:
    try:
        return RuleBase.load(rules_dir or default_rules_dir())
    except ReformError as exc:
        fail(exc)
        raise  # unreachable


def unchecked_option(f):
    return click.option("--unchecked", is_flag=True,
                        help="Use the rules even when reform check found them broken (see .certificate.json).")(f)


def gate(base: RuleBase, unchecked: bool, lang: str | None = None) -> None:
    """One line on stderr (in ``lang``) when the rules are not certified by reform check; exit 1 when it found
    them broken."""
    status = base.certificate
    if status.kind == "broken" and not unchecked:
        click.echo(status.line(lang), err=True)
        sys.exit(1)
    if status.kind == "broken":
        click.echo(gettext("warning: reform check found the rules in {directory} ({hash}) broken; using them anyway "
                           "(--unchecked)", lang).format(directory=status.path.parent, hash=status.rules_hash[:12]),
                   err=True)
    elif not status.checked:
        click.echo(status.line(lang), err=True)


def option_date(value: str, field: str = "--date"):
    try:
        return parse_query_date(value, field)
    except CitizenError as exc:
        fail(exc)


_DIALECT_OPTIONS = (
    click.option("--delimiter", default=None,
                 help="The separator of a CSV input: , ; or tab (default: detected from the header)."),
    click.option("--encoding", default="auto", show_default=True,
                 help="The encoding of a CSV input: utf-8, cp1252, latin-1 … (auto: UTF-8 with or without BOM, "
                      "UTF-16 with a BOM, else Windows-1252)."))


def dialect_options(f):
    for option in reversed(_DIALECT_OPTIONS):
        f = option(f)
    return f


def internal_error(command: str, exc: BaseException) -> None:
    """One line instead of a traceback, for a failure that is a bug (exit 70, as the analyst guide says)."""
    click.echo(f"reform {command}: internal error ({type(exc).__name__}: {printable(str(exc))[:300]}); "
               f"this is a bug: please report it with the command you ran", err=True)
    sys.exit(70)


@contextmanager
def proof_progress(desc: str) -> Iterator[Callable[[int, int, str], None] | None]:
    """A tqdm bar over the answer fields while the proof runs, on a terminal only (never when stderr is not a
    TTY or ``$CI`` is set); None elsewhere."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    bar = tqdm(total=None, unit="field", desc=desc, file=sys.stderr, leave=False)

    def tell(done: int, total: int, field: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(field, refresh=False)
        bar.refresh()
    try:
        yield tell
    finally:
        bar.close()
