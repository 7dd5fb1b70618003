"""Rule bases of the past: the rules as they stood in git on a day, and the rules a receipt was made with.

Built on :mod:`reform_rules.answer.receipt` (where the rules live in git) and
:mod:`reform_rules.answer.rulebase` (which itself uses the receipt module to hash and stamp answers),
so it is a module of its own: no import cycle.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from reform_rules.answer.receipt import HistoryError, RulesLocation
from reform_rules.answer.rulebase import RuleBase
from reform_rules.law.ruleset import read_rules


def rules_as_known_on(directory: str | Path, day: date, workdir: Path) -> tuple[RuleBase, tuple[str, str, str]]:
    """The RuleBase of ``directory`` as it stood in git on ``day``, and (hash, date, subject)."""
    loc = RulesLocation.of(directory)
    if loc is None:
        raise HistoryError(f"{directory}: not in a git repository, so there is no history to answer "
                           "'as known on' from (an installed package has none)")
    commit = loc.commit_on(day)
    if commit is None:
        raise HistoryError(f"{directory}: no commit of the rules on or before {day.isoformat()}")
    rules_dir = loc.checkout(commit[0], workdir)
    return RuleBase(read_rules(rules_dir), revision=(commit[0], False)), commit


def rule_set_of_receipt(receipt: dict[str, Any], current: RuleBase, workdir: Path) -> RuleBase:
    """The RuleBase a receipt was made with: the current rules if their hash matches, else git."""
    if receipt.get("rules_hash") == current.rules_hash:
        return current
    rev = receipt.get("rules_revision")
    loc = RulesLocation.of(current.ruleset.directory)
    if not rev or loc is None:
        raise HistoryError("the rule set of this receipt is not the current one, and there is no git "
                           "revision to find it by")
    base = RuleBase(read_rules(loc.checkout(rev, workdir)), revision=(rev, False))
    if base.rules_hash != receipt.get("rules_hash"):
        raise HistoryError(f"revision {rev[:12]} does not hash to the receipt's rules_hash (the answer was "
                           "made from uncommitted rules)")
    return base
