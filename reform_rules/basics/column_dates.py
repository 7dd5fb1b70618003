"""The date functions of ``reform_rules.basics.dates`` for whole columns (numpy), equal to them value for value.

``tests/test_column_dates.py`` checks each against its one-value original on every day of many
years. Dates are proleptic Gregorian ordinals (``date.toordinal()``); ``INVALID`` marks a cell
that is not a valid date.
"""
from __future__ import annotations

from datetime import date
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

INVALID = -2
_EPOCH = date(1970, 1, 1).toordinal()
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def parse_ordinals(values: Sequence[str | None], one: Callable[[str], int | None],
                   years: tuple[int, int]) -> np.ndarray:
    """The ordinal of each ISO date text (``INVALID`` where it is not a date within ``years``).

    Plain ``YYYY-MM-DD`` texts are checked and converted here; anything else (blanks around it,
    None) is given to ``one``, the exact one-value function, so the result never differs from it.
    """
    n = len(values)
    out = np.full(n, INVALID, dtype=np.int64)
    if not n:
        return out.astype(np.int32)
    arr = pa.array(values, type=pa.string())
    plain = pc.fill_null(pc.match_substring_regex(arr, _ISO), False).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(plain)
    if len(idx):
        texts = np.array([values[i] for i in idx.tolist()], dtype="S10")
        raw = texts.view(np.uint8).reshape(-1, 10).astype(np.int64) - 48
        y = raw[:, 0] * 1000 + raw[:, 1] * 100 + raw[:, 2] * 10 + raw[:, 3]
        m = raw[:, 5] * 10 + raw[:, 6]
        d = raw[:, 8] * 10 + raw[:, 9]
        ok = (m >= 1) & (m <= 12) & (d >= 1) & (y >= max(years[0], 1)) & (y <= years[1])
        ok &= d <= month_length(y, np.clip(m, 1, 12))
        good = idx[ok]
        months = (y[ok] - 1970) * 12 + (m[ok] - 1)
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + d[ok] - 1
        out[good] = days + _EPOCH
    for i in np.flatnonzero(~plain).tolist():
        v = values[i]
        if v is not None:
            o = one(v)
            out[i] = INVALID if o is None else o
    return out.astype(np.int32)


def month_length(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    table = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return table[m] + ((m == 2) & leap)


def split(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of each ordinal."""
    d64 = (np.asarray(ordinals, dtype=np.int64) - _EPOCH).astype("datetime64[D]")
    month_start = d64.astype("datetime64[M]")
    y = month_start.astype("datetime64[Y]").astype(np.int64) + 1970
    m = month_start.astype(np.int64) % 12 + 1
    d = (d64 - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def age_on(born: np.ndarray, day: date) -> np.ndarray:
    """``dates.age_on`` for each birth ordinal: completed years on ``day``."""
    y, m, d = split(born)
    return day.year - y - ((day.month < m) | ((day.month == m) & (day.day < d)))


def completed_months(start: np.ndarray, day: date) -> np.ndarray:
    """``dates.completed_months`` for each start ordinal: whole months to ``day`` (-1 if it begins later)."""
    y, m, d = split(start)
    months = (day.year - y) * 12 + (day.month - m)
    last = int(month_length(np.array([day.year]), np.array([day.month]))[0])
    months -= np.minimum(d, last) > day.day
    return np.where(np.asarray(start) > day.toordinal(), -1, months)


def bands(thresholds: Sequence[int], values: np.ndarray) -> np.ndarray:
    """1 + the band of each value between the thresholds (``bisect_right``), as ``Analysis.band``."""
    return 1 + np.searchsorted(np.asarray(thresholds, dtype=np.int64), values, side="right")
