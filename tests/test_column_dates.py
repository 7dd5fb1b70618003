"""The column date functions equal reform_rules.basics.dates value for value (the batch relies on it)."""
from datetime import date, timedelta

import numpy as np
import pytest

from reform_rules.basics import column_dates as cd
from reform_rules.basics import dates
from reform_rules.caseload.columns import date_value as _date_value
from reform_rules.law.citizen import YEARS

DAYS = ([date(1999, 12, 31) + timedelta(days=i) for i in range(0, 366 * 4 + 2)]   # four years incl. 2000
        + [date(2025, 12, 1) + timedelta(days=i) for i in range(0, 1000)])                # around the query days
QUERY_DAYS = [date(2026, 2, 28), date(2026, 12, 31), date(2027, 1, 1), date(2028, 2, 29), date(2027, 3, 31),
              date(2027, 4, 30)]


def test_parse_ordinals_equals_the_one_value_parser():
    texts = [d.isoformat() for d in DAYS]
    texts += ["2026-02-29", "2028-02-29", "1900-02-29", "2000-02-29", "2100-02-29", "2026-13-01", "2026-00-10",
              "2026-04-31", "2026-04-00", "0000-01-01", "1899-12-31", "1900-01-01", "2200-12-31", "2201-01-01",
              " 2026-01-01", "2026-01-01 ", "2026-1-01", "20260101", "abcd-ef-gh", "2026-01-01T00:00", "",
              "２０２６-01-01", "2026-06-15", "9999-12-31"]
    got = cd.parse_ordinals(texts, _date_value, YEARS)
    want = [cd.INVALID if _date_value(t) is None else _date_value(t) for t in texts]
    assert got.tolist() == want


@pytest.mark.parametrize("day", QUERY_DAYS, ids=str)
def test_age_and_completed_months_equal_engine_dates(day):
    ords = np.array([d.toordinal() for d in DAYS] + [date(1960, 2, 29).toordinal(), date(2026, 1, 31).toordinal()])
    every = [date.fromordinal(int(o)) for o in ords]
    assert cd.age_on(ords, day).tolist() == [dates.age_on(b, day) for b in every]
    assert cd.completed_months(ords, day).tolist() == [dates.completed_months(s, day) for s in every]


def test_bands_equal_bisect():
    from reform_rules.logic.situation_codes import Components
    thresholds = [18, 25, 30, 67]
    values = np.arange(-2, 80)
    assert cd.bands(thresholds, values).tolist() == [Components.band(thresholds, int(v)) for v in values]
