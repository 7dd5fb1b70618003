"""Errors that reach a user, as records: each problem names its file (or input), line, field path and message,
and is rendered to text in one place (``Problem.text``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Union


def format_path(path: Iterable) -> str:
    """``('spells', 0, 'from')`` → ``spells[0].from``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (file or input label, line, field path) and what."""
    message: str
    path: tuple = ()
    source: str | None = None      # a file, or what the input is called ("citizen", "row 7")
    line: int | None = None
    rule: str | None = None        # the rule the problem is in (rule files)

    def text(self) -> str:
        """The one-line rendering: ``source:line: rule: field: message`` (the parts that are known)."""
        where = (self.source or "") + (f":{self.line}" if self.line is not None and self.source else "")
        parts = [p for p in (where, self.rule, format_path(self.path) if self.path else "") if p]
        return ": ".join(parts + [self.message])

    def field(self) -> str:
        """The field path as text (empty when the problem is about the whole input)."""
        return format_path(self.path) if self.path else ""

    def to_json(self) -> dict:
        """The problem as a JSON object."""
        return {"source": self.source, "line": self.line, "rule": self.rule, "field": self.field(),
                "path": list(self.path), "message": self.message}


# One problem, or a list of them (a list of plain messages, of records, or of both).
Problems = Union[list["Problem"], list[str], list["Problem | str"], "Problem", str]


class ReformError(Exception):
    """A user-facing error: one or more problems; ``messages`` are their rendered lines."""

    exit_code = 1

    def __init__(self, problems: Problems):
        items = problems if isinstance(problems, list) else [problems]
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem(str(p)) for p in items]
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [p.text() for p in self.problems]


class RuleFileError(ReformError):
    """One or more rule files are broken; nothing was loaded."""

    exit_code = 1


class CitizenError(ReformError):
    """A citizen record or a query date is not valid input."""

    exit_code = 2


class BatchError(ReformError):
    """The batch cannot run at all (unreadable input, unknown columns, bad flags)."""

    exit_code = 2
