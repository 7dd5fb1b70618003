"""``reform check``: the rule files load, validate and compile cleanly."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ReformError


@dataclass
class CheckReport:
    directory: str
    errors: list[str] = field(default_factory=list)
    rules: int = 0
    sources: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        if self.errors:
            return self.errors + [f"{len(self.errors)} error(s) in {self.directory}; nothing was loaded."]
        return [f"{self.directory}: {self.rules} rules, {self.sources} sources: clean "
                f"({self.seconds:.2f} s)"]

    def to_json(self) -> dict:
        return {"directory": self.directory, "ok": self.ok, "errors": self.errors, "rules": self.rules,
                "sources": self.sources, "seconds": round(self.seconds, 3)}


def run_check(directory: str | Path) -> CheckReport:
    """Load and compile the rules of ``directory``; report every error found."""
    from .query import RuleBase
    start = time.perf_counter()
    report = CheckReport(directory=str(directory))
    try:
        base = RuleBase.load(directory)
    except ReformError as exc:
        report.errors = list(exc.messages)
    else:
        report.rules = len(base.ruleset.rules)
        report.sources = len(base.ruleset.sources)
    report.seconds = time.perf_counter() - start
    return report
