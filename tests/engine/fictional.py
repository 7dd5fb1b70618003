"""Borrowers of the fictional Lending Library Act (tests/fixtures/fictional), for the engine's tests."""
from __future__ import annotations

from datetime import date
from typing import Any

from reform_rules import Citizen, RuleBase

ON_OLD, ON_NEW = date(2030, 6, 1), date(2031, 6, 1)   # before and after the amendment (2031-01-01)


def borrower(base: RuleBase, **facts: Any) -> Citizen:
    """Born 2000-01-01, an adult card from 2029-01-01, unless told otherwise."""
    return base.parse_citizen(record(**facts))


def record(**facts: Any) -> dict[str, Any]:
    spells = facts.pop("spells", [{"card": "adult", "from": "2029-01-01"}])
    return {"id": facts.pop("id", "b1"), "born": facts.pop("born", "2000-01-01"), "spells": spells, **facts}
