"""CPR-like numbers: recognised anywhere in a text, not confused with dates, hashes or ids, and
never echoed in an error message of the command line."""
from __future__ import annotations

import pytest

from conftest import run_cli


@pytest.mark.parametrize("text", [
    "010180 1234", "CPR 010180-1234", "0101801234 ", "010180-1234", "cpr:0101801234",
    "borger 290200-1234 (skudår)", "id-3112991234",
])
def test_cpr_like_numbers_are_recognised(text):
    from reform_rules.basics.privacy import looks_like_cpr
    assert looks_like_cpr(text)


@pytest.mark.parametrize("text", [
    "2026-01-01", "2026-01-01 1234", "20260101", "p1", "anna-2027", "borger-0042", "1234567890",
    "3002991234",  # 30 February is no day
    "0113801234",  # month 13
    "4dfae53181f4a0101801234b9c", "cc6df781145d", "2027-03-01T12:00:00+00:00", "+45 12 34 56 78",
    "01018012345", "123e4567-e89b-12d3-a456-426614174000",
])
def test_dates_hashes_and_ids_are_not_cpr_numbers(text):
    from reform_rules.basics.privacy import looks_like_cpr
    assert not looks_like_cpr(text)


def test_redact_hides_each_cpr_like_number_and_keeps_the_rest():
    from reform_rules.basics.privacy import redact_cpr
    assert redact_cpr("a 010180-1234 b 0202801234 on 2026-01-01") == \
        "a [CPR-like number hidden] b [CPR-like number hidden] on 2026-01-01"


def test_a_cli_error_does_not_echo_a_cpr_number(tmp_path):
    """A CPR number typed where the date of birth goes: the error names the field, not the number."""
    citizen = tmp_path / "c.yaml"
    citizen.write_text("id: p1\nborn: 0101801234\nspells:\n  - {benefit: dagpenge, from: 2027-02-01}\n")
    r = run_cli("query", str(citizen), "--date", "2027-03-01")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "c.yaml:2: born: looks like a CPR number" in r.stderr
    assert "0101801234" not in r.stderr
