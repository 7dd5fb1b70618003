"""The ``reform`` command line: a thin face over the Python API, one module per group of commands.

Exit codes: 0 success; 1 broken rule files or a failed check; 2 bad input (citizen, date, flags).
"""
from __future__ import annotations

import click

from reform_rules.basics.version import __version__
from reform_rules.cli.caseload import batch_command, impact_command
from reform_rules.cli.citizen import query, timeline, verify
from reform_rules.cli.rules import check, diff_command, history, parameters, scenarios, schema
from reform_rules.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reform")
def main() -> None:
    """The Danish employment reform of 2025 as rules: cited answers per citizen and date."""


for command in (query, timeline, verify, check, parameters, schema, scenarios, diff_command, history, serve,
                batch_command, impact_command):
    main.add_command(command)

if __name__ == "__main__":
    main()
