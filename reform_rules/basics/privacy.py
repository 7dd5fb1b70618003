"""Danish CPR numbers (DDMMYY-SSSS) must not travel through receipts or error messages.

``looks_like_cpr`` finds a CPR-like number anywhere in a text: six digits that are a real day and
month, then four digits, joined by nothing, a space, a hyphen or a hyphen between spaces, and not part of a
longer run of letters or digits (so ISO dates, hashes and ordinary ids do not match) unless the run
is the prefix "CPR" (``CPR0101801234``).
"""
from __future__ import annotations

import calendar
import re
from typing import Any, Iterator

_CPR = re.compile(r"(?:(?<=[Cc][Pp][Rr])|(?<![0-9A-Za-z]))(\d{2})(\d{2})(\d{2}) ?-? ?(\d{4})(?![0-9A-Za-z])")
# The same, for whole columns (pyarrow's RE2 has no lookbehind): it matches every text ``looks_like_cpr``
# does, and a few more (31 February); a cell it matches is left to the row-by-row parser, which decides.
CPR_SEARCH = (r"(^|[^0-9A-Za-z]|[Cc][Pp][Rr])(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])"
              r"[0-9]{2} ?-? ?[0-9]{4}([^0-9A-Za-z]|$)")
HIDDEN = "[CPR-like number hidden]"


def _is_day(day: str, month: str) -> bool:
    d, m = int(day), int(month)
    return 1 <= m <= 12 and 1 <= d <= calendar.monthrange(2000, m)[1]  # 2000: a leap year, 29 Feb counts


def _matches(text: str) -> Iterator[re.Match[str]]:
    for m in _CPR.finditer(text):
        if _is_day(m.group(1), m.group(2)):
            yield m


def looks_like_cpr(text: str) -> bool:
    """Whether ``text`` holds a CPR-like number anywhere (``010180-1234``, ``CPR 010180 1234`` …)."""
    return isinstance(text, str) and next(_matches(text), None) is not None


def redact_cpr(text: str) -> str:
    """``text`` with every CPR-like number replaced by a placeholder."""
    out, last = [], 0
    for m in _matches(text):
        out += [text[last:m.start()], HIDDEN]
        last = m.end()
    return "".join(out) + text[last:]


def cpr_paths(value: Any, path: str = "") -> list[str]:
    """The paths (``input.spells[0].note``) of every key or text in ``value`` that looks like a CPR number."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = HIDDEN if looks_like_cpr(str(key)) else str(key)
            here = f"{path}.{name}" if path else name
            if name == HIDDEN:
                found.append(here)
            found += cpr_paths(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += cpr_paths(item, f"{path}[{i}]")
    elif isinstance(value, (str, int)) and not isinstance(value, bool) and looks_like_cpr(str(value)):
        found.append(path or "(value)")
    return found


def cpr_locations(value: Any, path: tuple = ()) -> list[tuple[tuple, tuple]]:
    """``(path, shown)`` for every key, text or whole number in ``value`` that looks like a CPR number: its
    path (``('spells', 0, 'note')``) and the path to show, with any CPR-like key on the way replaced by
    ``HIDDEN`` (a field name is never echoed either)."""
    return [(p, tuple(HIDDEN if isinstance(k, str) and looks_like_cpr(k) else k for k in p))
            for p in _cpr_in(value, path)]


def _cpr_in(value: Any, path: tuple) -> Iterator[tuple]:
    if isinstance(value, dict):
        for key, item in value.items():
            if looks_like_cpr(str(key)):
                yield path + (key,)
                continue
            yield from _cpr_in(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _cpr_in(item, path + (i,))
    elif isinstance(value, (str, int)) and not isinstance(value, bool) and looks_like_cpr(str(value)):
        yield path
