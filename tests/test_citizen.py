from datetime import date

import pytest

from reform_rules import CitizenError, parse_citizen


def ok(vocab, **extra):
    data = {"id": "c1", "born": "1990-01-01", "spells": [{"benefit": "dagpenge", "from": "2026-01-01"}]}
    data.update(extra)
    return parse_citizen(data, vocab)


def bad(vocab, data):
    with pytest.raises(CitizenError) as err:
        parse_citizen(data, vocab)
    assert err.value.exit_code == 2
    return "\n".join(err.value.messages)


def test_valid_citizen_and_alias(vocab):
    c = parse_citizen({"id": "a", "spells": [{"benefit": "uddannelseshjaelp", "assessment": "jobparat",
                                                "from": "2025-01-01"}]}, vocab)
    assert c.spells[0].id == "kontanthjaelp"  # older name maps to the current benefit
    assert c.current_on(date(2026, 1, 1)).get("assessment") == "jobparat"
    assert ok(vocab).get("born") == date(1990, 1, 1)


@pytest.mark.parametrize("data, words", [
    ({"id": "x", "spells": [{"benefit": "lottery", "from": "2026-01-01"}]}, "spells[0].benefit: 'lottery' is not a known benefit"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "from": "2026-02-30"}]}, "spells[0].from: '2026-02-30' is not a date"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "from": "2026-05-01", "to": "2026-04-01"}]}, "spells[0].to: 2026-04-01 is before from"),
    ({"id": "x", "cpr": "0101901234", "spells": []}, "cpr: looks like a CPR number"),
    ({"id": "0101901234", "spells": []}, "id: looks like a CPR number"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "from": "2026-01-01"},
                            {"benefit": "kontanthjaelp", "from": "2026-03-01"}]}, "benefit spells overlap"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "assessment": "jobparat", "from": "2026-01-01"}]}, "spells[0].assessment"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "sick_from": "employment", "from": "2026-01-01"}]}, "spells[0].sick_from: only goes with benefit sygedagpenge"),
    ({"id": "x", "spells": [{"programme": "ressourceforloeb"}]}, "spells[0].from: missing"),
    ({"id": "x", "spells": [{"benefit": "dagpenge", "programme": "fleksjob", "from": "2026-01-01"}]}, "exactly one of 'benefit' or 'programme'"),
    ({"id": "x", "exempted": "yes", "spells": []}, "exempted: 'yes' is not true or false"),
    ({"spells": []}, "id: missing"),
    ({"id": "x", "born": "1990-01-01", "spells": [{"benefit": "dagpenge", "from": "1980-01-01"}]}, "before the citizen's date of birth"),
    ({"id": "x", "spells": [{"benefit": "sygedagpenge", "expected_absence_weeks": -3, "from": "2026-01-01"}]}, "expected_absence_weeks"),
])
def test_bad_input_names_the_field(vocab, data, words):
    assert words in bad(vocab, data)


def test_all_errors_reported_at_once(vocab):
    text = bad(vocab, {"id": "x", "nick": 1, "spells": [{"benefit": "lottery", "from": "2026-02-30"}]})
    assert "nick" in text and "lottery" in text and "2026-02-30" in text


def test_file_errors_name_the_line(tmp_path, base):
    f = tmp_path / "c.yaml"
    f.write_text("id: x\nspells:\n  - benefit: dagpenge\n    from: 2026-02-30\n")
    with pytest.raises(CitizenError) as err:
        base.load_citizen(f)
    assert f"{f}:4: spells[0].from" in err.value.messages[0]


@pytest.mark.parametrize("spell, words", [
    ({"benefit": "kontanthjaelp", "assessment": ["jobparat"], "from": "2026-01-01"}, "not a single value"),
    ({"benefit": "sygedagpenge", "sick_from": {"a": 1}, "from": "2026-01-01"}, "not a single value"),
    ({"benefit": "dagpenge", "from": "9999-12-01"}, "outside the years"),
])
def test_odd_values_are_refused_not_crashed(vocab, spell, words):
    assert words in bad(vocab, {"id": "x", "spells": [spell]})
