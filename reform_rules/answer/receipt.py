"""Receipts and rule history: answers that can be checked later.

A receipt names the engine version, a content hash of the rule set (the normalised rule
documents, so the same rules hash alike on any machine and in any checkout), the git revision of
the rules when there is one, the query date, the time the answer was made, and the citizen input
the answer was computed from — everything ``reform verify`` needs to recompute it.

Where the rules live in git (:class:`RulesLocation`) is here; the rule bases of the past built from it
(as known on a day, or the one a receipt was made with) are in :mod:`reform_rules.answer.past`.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reform_rules.basics.errors import CitizenError, ReformError
from reform_rules.basics.privacy import cpr_paths


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
        return tuple(line.split("\t", 2)) if line else None

    def checkout(self, rev: str, into: Path) -> Path:
        """Extract the rules of ``rev`` (a hex object name) into ``into``; returns the rules directory.

        The revision is resolved by ``git rev-parse --end-of-options`` first, so text that comes from
        data (a receipt) can never reach git as an option; ``git archive`` then sees a full hash.
        """
        if not isinstance(rev, str) or not _REVISION.match(rev):
            raise HistoryError(f"{str(rev)[:80]!r}: not a git revision (a hex object name)")
        commit = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], self.top)
        if not commit or not _REVISION.match(commit):
            raise HistoryError(f"{rev[:12]}: no such commit in the repository of the rules")
        data = _git(["archive", "--format=tar", commit, "--", self.path], self.top, binary=True)
        if data is None:
            raise HistoryError(f"{rev[:12]}: no rules at this revision")
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(into, filter="data")
        return into / self.path

    def commits(self) -> list[tuple[str, str, str]]:
        """Every commit touching the rules, oldest first: (hash, date, subject)."""
        out = _git(["log", "--reverse", "--format=%H%x09%cI%x09%s", "--", self.path], self.top) or ""
        return [tuple(line.split("\t", 2)) for line in out.splitlines() if line]


_REVISION = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_ENGINE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")
LANGS = ("da", "en")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        return 1900 <= _dt.date.fromisoformat(value).year <= 2200
    except ValueError:
        return False


def _is_moment(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        _dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# Every field a receipt may carry: (required, test, what it must be).
RECEIPT_FIELDS: dict[str, tuple[bool, Any, str]] = {
    "engine": (True, lambda v: isinstance(v, str) and bool(_ENGINE.match(v)), "an engine version such as 0.1.0"),
    "rules_hash": (True, lambda v: isinstance(v, str) and bool(_HASH.match(v)), "64 lowercase hex digits"),
    "rules_revision": (True, lambda v: v is None or (isinstance(v, str) and bool(_REVISION.match(v))),
                       "a git commit hash (40 or 64 lowercase hex digits) or null"),
    "rules_dirty": (True, lambda v: isinstance(v, bool), "true or false"),
    "query_date": (True, _is_date, "a date (YYYY-MM-DD) in the years 1900–2200"),
    "lang": (True, lambda v: isinstance(v, str) and v in LANGS, f"one of: {', '.join(LANGS)}"),
    "made_at": (True, _is_moment, "a date and time (ISO 8601)"),
    "input": (True, lambda v: isinstance(v, dict), "the citizen record (a mapping)"),
    "as_known_on": (False, _is_date, "a date (YYYY-MM-DD) in the years 1900–2200"),
    "checked": (False, lambda v: isinstance(v, bool), "true or false"),
}


def receipt_errors(receipt: Any, label: str) -> list[str]:
    """Every way ``receipt`` (from a saved answer) is not one ``reform query --json`` could have made.

    Values are not echoed (a receipt may be anything); a CPR-like number anywhere is refused.
    """
    if not isinstance(receipt, dict):
        return [f"{label}: receipt: missing (save the answer with reform query --json)"]
    errors = []
    for key in receipt:
        if key not in RECEIPT_FIELDS:
            shown = key if isinstance(key, str) and re.match(r"^[a-z_]{1,40}$", key) else "(a field)"
            errors.append(f"{label}: receipt.{shown}: unknown field (allowed: {', '.join(RECEIPT_FIELDS)})")
    for key, (required, test, want) in RECEIPT_FIELDS.items():
        if key not in receipt:
            if required:
                errors.append(f"{label}: receipt.{key}: missing")
        elif not test(receipt[key]):
            errors.append(f"{label}: receipt.{key}: must be {want}")
    try:
        found = cpr_paths(receipt)
    except RecursionError:
        found, errors = [], errors + [f"{label}: receipt: nested too deeply"]
    for path in found:
        errors.append(f"{label}: receipt.{path}: looks like a CPR number; a saved answer must not carry one "
                      "(the value is not shown)")
    return errors


def check_receipt(receipt: Any, label: str) -> dict[str, Any]:
    """``receipt`` when it is valid; a CitizenError listing every problem otherwise."""
    errors = receipt_errors(receipt, label)
    if errors:
        raise CitizenError(errors)
    return receipt


def make_receipt(base, citizen, day: _dt.date, version: str, lang: str = "da") -> dict[str, Any]:
    """The receipt of one answer (cheap: the hash and revision are computed once per rule base)."""
    return {
        "engine": version,
        "rules_hash": base.rules_hash,
        "rules_revision": base.rules_revision,
        "rules_dirty": base.rules_dirty,
        "query_date": day.isoformat(),
        "lang": lang,
        "checked": base.certificate.checked,
        "made_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "input": citizen.to_dict(),
    }
