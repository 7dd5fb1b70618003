"""The certificate of ``reform check``: which rules (by content hash) the check proved, and how.

``reform check`` writes ``.certificate.json`` into the rules directory: the ``rules_hash`` of the rules it
checked (the hash a receipt names, see :mod:`reform_rules.answer.receipt`), whether they were clean, and whether
the completeness proof ran. It is a tracked file: commit it with the rules. Editing a rule changes the
hash, so the certificate no longer applies until ``reform check`` runs again; nothing else is compared.

``query`` and ``serve`` look it up for the rules they load:

* ``checked``: a clean full check of exactly these rules — nothing is said;
* ``unchecked``: no certificate, or one for other rules (stale) — one warning line, the answer is given;
* ``broken``: ``reform check`` found these very rules broken — refused (exit 1) unless ``--unchecked``.

Only a full check certifies rules as clean; a check that finds errors records them (quick or full);
a clean ``--quick`` check leaves the certificate alone. Rules that do not load get no certificate.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reform_rules.basics.i18n import translator

NAME = ".certificate.json"


@dataclass(frozen=True)
class Certificate:
    """What a certificate says about the rules it names."""

    rules_hash: str
    ok: bool
    completeness: bool
    errors: int = 0
    engine: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"rules_hash": self.rules_hash, "ok": self.ok, "completeness": self.completeness,
                "errors": self.errors, "engine": self.engine, "written_by": "reform check"}


@dataclass(frozen=True)
class Status:
    """The certificate status of one loaded rule set."""

    kind: str  # checked | unchecked | broken
    rules_hash: str
    path: Path
    reason: str = ""  # why unchecked: missing, stale, unreadable, quick

    @property
    def checked(self) -> bool:
        return self.kind == "checked"

    def line(self, lang: str | None = None) -> str:
        """One line for stderr in ``lang``: a warning (unchecked), a refusal (broken), or empty (checked)."""
        t = translator(lang)
        short, name = self.rules_hash[:12], self.path.name
        if self.kind == "broken":
            return t.gettext("{path}: reform check found these rules ({hash}) broken; mend them and run reform "
                             "check, or pass --unchecked to use them anyway").format(path=self.path, hash=short)
        if self.kind == "unchecked":
            why = {"missing": t.gettext("there is no {name}").format(name=name),
                   "stale": t.gettext("{name} is for other rules (edited since the last check)").format(name=name),
                   "unreadable": t.gettext("{name} cannot be read").format(name=name),
                   "quick": t.gettext("only the quick check ran")}.get(self.reason, self.reason)
            return t.gettext("warning: the rules in {directory} ({hash}) are not certified by reform check ({why}); "
                             "run reform check").format(directory=self.path.parent, hash=short, why=why)
        return ""


def certificate_path(directory: str | Path) -> Path:
    return Path(directory) / NAME


def read_certificate(directory: str | Path) -> Certificate | None:
    """The certificate in ``directory``; None when there is none or it is not one."""
    try:
        data = json.loads(certificate_path(directory).read_text("utf-8"))
        cert = Certificate(rules_hash=data["rules_hash"], ok=data["ok"], completeness=data["completeness"],
                           errors=int(data.get("errors", 0)), engine=str(data.get("engine", "")))
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, RecursionError):
        return None
    if not (isinstance(cert.rules_hash, str) and isinstance(cert.ok, bool) and isinstance(cert.completeness, bool)):
        return None
    return cert


def status(directory: str | Path, rules_hash: str) -> Status:
    """Whether the rules of ``directory``, whose content hash is ``rules_hash``, are certified."""
    path = certificate_path(directory)
    cert = read_certificate(directory)
    if cert is None:
        return Status("unchecked", rules_hash, path, "missing" if not path.exists() else "unreadable")
    if cert.rules_hash != rules_hash:
        return Status("unchecked", rules_hash, path, "stale")
    if not cert.ok:
        return Status("broken", rules_hash, path)
    if not cert.completeness:
        return Status("unchecked", rules_hash, path, "quick")
    return Status("checked", rules_hash, path)


def record(directory: str | Path, report, version: str) -> Path | None:
    """Write the certificate of ``report`` (a CheckReport) when it says something; returns its path.

    Written atomically, and the same check of the same rules writes the same bytes (no time stamp),
    so re-running ``reform check`` does not touch a committed certificate.
    """
    if not report.rules_hash or (report.ok and not report.completeness):
        return None
    cert = Certificate(rules_hash=report.rules_hash, ok=report.ok, completeness=report.completeness,
                       errors=len(report.errors), engine=version)
    path = certificate_path(directory)
    text = json.dumps(cert.to_json(), indent=2) + "\n"
    try:
        if path.read_text("utf-8") == text:
            return path
    except (OSError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(prefix=".certificate.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
