"""``reform serve``: the caseworker page, the rules page and the JSON API."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from reform_rules.answer.rulebase import default_rules_dir
from reform_rules.cli.common import gate, load_rules, rules_option, unchecked_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; there is no login).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@unchecked_option
@rules_option
def serve(host: str, port: int, unchecked: bool, rules_dir: Path | None) -> None:
    """Serve the caseworker page (/), the rules page (/rules) and the JSON API (/api, /docs)."""
    try:
        from reform_rules.web import serve as run_server  # needs the `web` extra (FastAPI): imported when used
    except ImportError as exc:  # the web extra is not installed
        click.echo(f"reform serve needs the web extra ({exc.name} is missing): pip install -e '.[web]'", err=True)
        sys.exit(1)
    base = load_rules(rules_dir)
    gate(base, unchecked)
    click.echo(f"reform serve: http://{host}:{port}/ ({len(base.ruleset.rules)} rules from "
               f"{rules_dir or default_rules_dir()}; read-only; Ctrl-C stops)", err=True)
    run_server(base, host=host, port=port, rules_dir=rules_dir or default_rules_dir())
