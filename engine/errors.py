"""Errors that reach a user: each carries one or more messages naming file, line and field."""
from __future__ import annotations


class ReformError(Exception):
    """A user-facing error; ``messages`` are complete lines, ready to print."""

    exit_code = 1

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


class RuleFileError(ReformError):
    """One or more rule files are broken; nothing was loaded."""

    exit_code = 1


class CitizenError(ReformError):
    """A citizen record or a query date is not valid input."""

    exit_code = 2
