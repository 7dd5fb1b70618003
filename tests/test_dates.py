from datetime import date

import pytest

from reform_rules.basics import dates


@pytest.mark.parametrize("start, months, end", [
    (date(2026, 8, 3), 6, date(2027, 2, 2)),      # the REFORM.md example
    (date(2027, 2, 1), 3, date(2027, 4, 30)),
    (date(2026, 1, 31), 1, date(2026, 2, 27)),    # 31 Jan + 1 month clamps to 28 Feb, minus a day
    (date(2027, 3, 1), 16, date(2028, 6, 30)),
])
def test_window_end(start, months, end):
    assert dates.window_end(start, months) == end


def test_completed_months_turns_on_the_day_after_the_window():
    start = date(2026, 8, 3)
    end = dates.window_end(start, 6)
    assert dates.completed_months(start, end) == 5
    assert dates.completed_months(start, end.replace(day=end.day + 1)) == 6
    assert dates.completed_months(start, start) == 0


def test_age_and_birthdays_including_29_february():
    born = date(1996, 2, 29)
    assert dates.age_on(born, date(2026, 2, 28)) == 29
    assert dates.age_on(born, date(2026, 3, 1)) == 30
    assert dates.birthday(born, 30) == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "26-01-01", "tomorrow", "2026-1-1"])
def test_parse_date_refuses(text):
    with pytest.raises(ValueError) as err:
        dates.parse_date(text)
    assert text in str(err.value)


def test_weeks_end_counts_first_day():
    assert dates.weeks_end(date(2026, 1, 5), 8) == date(2026, 3, 1)
