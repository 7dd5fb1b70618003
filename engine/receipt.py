"""Receipts and rule history: answers that can be checked later.

A receipt names the engine version, a content hash of the rule set (the normalised rule
documents, so the same rules hash alike on any machine and in any checkout), the git revision of
the rules when there is one, the query date, the time the answer was made, and the citizen input
the answer was computed from — everything ``reform verify`` needs to recompute it.

Rule sets of the past are read from git: ``rules_at(date)`` is the rule set as it stood in the
repository's history on that day (the last commit touching the rules on or before it).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ReformError


class HistoryError(ReformError):
    """The rules have no git history here (an installed package, or no git)."""
    exit_code = 1


def rules_hash(documents: dict[str, Any]) -> str:
    """SHA-256 of the rule documents, keyed by file name, as canonical JSON."""
    normal = {Path(name).name: data for name, data in documents.items()}
    text = json.dumps(normal, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _git(args: list[str], cwd: Path, binary: bool = False):
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, timeout=30)
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired, NotADirectoryError):
        return None
    return out.stdout if binary else out.stdout.decode("utf-8", "replace").strip()


@dataclass
class RulesLocation:
    """Where a rules directory lives in git: the repository top and the path inside it."""
    top: Path
    path: str

    @classmethod
    def of(cls, directory: str | Path) -> "RulesLocation | None":
        directory = Path(directory).resolve()
        top = _git(["rev-parse", "--show-toplevel"], directory)
        if not top:
            return None
        rel = directory.relative_to(Path(top).resolve()).as_posix() or "."
        return cls(Path(top), rel)

    def revision(self) -> tuple[str, bool] | None:
        """The last commit that touched the rules, and whether the work tree differs from it."""
        rev = _git(["log", "-1", "--format=%H", "--", self.path], self.top)
        if not rev:
            return None
        dirty = bool(_git(["status", "--porcelain", "--", self.path], self.top))
        return rev, dirty

    def commit_on(self, day: _dt.date) -> tuple[str, str, str] | None:
        """(hash, commit date, subject) of the last commit touching the rules on or before ``day``."""
        line = _git(["log", "-1", f"--before={day.isoformat()} 23:59:59", "--format=%H%x09%cI%x09%s", "--",
                     self.path], self.top)
        return tuple(line.split("\t", 2)) if line else None  # type: ignore[return-value]

    def checkout(self, rev: str, into: Path) -> Path:
        """Extract the rules of ``rev`` into ``into``; returns the rules directory."""
        data = _git(["archive", "--format=tar", rev, self.path], self.top, binary=True)
        if data is None:
            raise HistoryError(f"{rev}: no rules at this revision")
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(into, filter="data")
        return into / self.path

    def commits(self) -> list[tuple[str, str, str]]:
        """Every commit touching the rules, oldest first: (hash, date, subject)."""
        out = _git(["log", "--reverse", "--format=%H%x09%cI%x09%s", "--", self.path], self.top) or ""
        return [tuple(line.split("\t", 2)) for line in out.splitlines() if line]  # type: ignore[misc]


def rules_as_known_on(directory: str | Path, day: _dt.date, workdir: Path):
    """The RuleBase of ``directory`` as it stood in git on ``day``, and (hash, date, subject)."""
    from .query import RuleBase
    from .ruleset import read_rules
    loc = RulesLocation.of(directory)
    if loc is None:
        raise HistoryError(f"{directory}: not in a git repository, so there is no history to answer "
                           "'as known on' from (an installed package has none)")
    commit = loc.commit_on(day)
    if commit is None:
        raise HistoryError(f"{directory}: no commit of the rules on or before {day.isoformat()}")
    rules_dir = loc.checkout(commit[0], workdir)
    return RuleBase(read_rules(rules_dir), revision=(commit[0], False)), commit


def rule_set_of_receipt(receipt: dict, current, workdir: Path):
    """The RuleBase a receipt was made with: the current rules if their hash matches, else git."""
    from .query import RuleBase
    from .ruleset import read_rules
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


def make_receipt(base, citizen, day: _dt.date, version: str, lang: str = "da") -> dict[str, Any]:
    """The receipt of one answer (cheap: the hash and revision are computed once per rule base)."""
    return {
        "engine": version,
        "rules_hash": base.rules_hash,
        "rules_revision": base.rules_revision,
        "rules_dirty": base.rules_dirty,
        "query_date": day.isoformat(),
        "lang": lang,
        "made_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "input": citizen.to_dict(),
    }
