"""Issue #19, item 7: a CPR-like number in ANY field of a citizen record (not only the id) is refused, naming
the field and never echoing the value: in the parser, the command line, the batch's errors file (fast
path and row-by-row path agree) and the API's 422."""
from __future__ import annotations

import json
import warnings

import pytest

from batch_helpers import assert_rows_add_up
from conftest import EXAMPLES, RULES, run_cli
from reform_rules.basics.errors import CitizenError
from reform_rules.law.citizen import parse_citizen
from reform_rules.web import create_app
from test_batch_safety import batch, line, read_csv, row, write_lines

pytest.importorskip("fastapi")
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

FORMS = ["010180-1234", "0101801234", "010180 1234", "CPR 010180-1234", "CPR0101801234", "cpr: 010180-1234  ",
         "010180 - 1234"]
DIGITS = ("0101801234", "010180-1234", "010180 1234", "1234")


def _citizen(**fields) -> dict:
    spell = {"benefit": "dagpenge", "from": "2026-06-01", **fields.pop("spell", {})}
    return {"id": "p1", "born": "1990-05-01", "municipality": "Aarhus", "spells": [spell], **fields}


def _problems(vocab, data) -> list:
    with pytest.raises(CitizenError) as exc:
        parse_citizen(data, vocab)
    return exc.value.problems


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("where,data", [
    ("municipality", lambda v: _citizen(municipality=v)),
    ("note", lambda v: _citizen(note=v)),
    ("born", lambda v: _citizen(born=v)),
    ("spells[0].assessment", lambda v: _citizen(spell={"assessment": v})),
    ("spells[0].from", lambda v: _citizen(spell={"from": v})),
])
def test_a_cpr_like_value_in_any_field_is_refused_by_name(vocab, form, where, data):
    problems = _problems(vocab, data(form))
    texts = [p.text() for p in problems]
    assert [p.field() for p in problems] == [where], texts
    assert "looks like a CPR number" in texts[0]
    assert not any(d in t for t in texts for d in DIGITS), texts


def test_a_cpr_like_key_is_refused_without_echoing_it(vocab):
    problems = _problems(vocab, {**_citizen(), "010180-1234": "x"})
    assert len(problems) == 1 and "looks like a CPR number" in problems[0].text()
    assert "010180" not in problems[0].text()


def test_the_cli_names_the_field_and_not_the_value(tmp_path):
    citizen = tmp_path / "c.yaml"
    citizen.write_text("id: p1\nborn: 1990-05-01\nmunicipality: 'CPR 010180-1234 '\n"
                       "spells:\n  - {benefit: dagpenge, from: 2026-06-01}\n", encoding="utf-8")
    r = run_cli("query", str(citizen), "--date", "2027-03-01")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "c.yaml:3: municipality: looks like a CPR number" in r.stderr
    assert "010180" not in r.stderr + r.stdout


def test_batch_cells_with_cpr_numbers_are_error_rows_and_not_echoed(tmp_path):
    """Every column, via the fast path's columns: each such row is an error row naming its column."""
    bad = [row("a1", municipality="010180-1234"), row("a2", assessment="CPR0101801234"),
           row("a3", born="0101801234"), row("a4", **{"from": "010180 1234"}), row("a5", municipality="Aarhus 010180-1234")]
    good = [row(f"g{i}") for i in range(20)]
    inp = write_lines(tmp_path / "in.csv", [line(r) for r in good[:10] + bad + good[10:]])
    out = tmp_path / "out.csv"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    assert assert_rows_add_up(inp, 1, out=out, stderr=r.stderr)[2] == len(bad)
    text = out.with_name("out.csv.errors.csv").read_text(encoding="utf-8")
    assert "010180" not in text + r.stderr + out.read_text(encoding="utf-8")
    errors = read_csv(text)
    assert [e["id"] for e in errors] == ["a1", "a2", "a3", "a4", "a5"]
    for e, field in zip(errors, ["municipality", "assessment", "born", "from", "municipality"]):
        assert f": {field}: looks like a CPR number" in e["message"], e


def test_json_lines_cpr_in_a_spell_is_an_error_row(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps(_citizen(spell={"assessment": "010180-1234"})) + "\n" + json.dumps(_citizen()) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    r = batch(inp, out)
    assert r.returncode == 0, r.stderr
    text = out.with_name("out.jsonl.errors.csv").read_text(encoding="utf-8")
    assert "spells[0].assessment: looks like a CPR number" in text and "010180" not in text + r.stderr


@pytest.fixture(scope="module")
def client(base):
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False),
                    raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("citizen,field", [
    (_citizen(municipality="010180-1234"), "citizen: municipality"),
    (_citizen(note="ring CPR 010180 1234"), "citizen: note"),
    (_citizen(spell={"assessment": "0101801234"}), "citizen: spells[0].assessment"),
])
def test_the_api_422_names_the_field_and_not_the_value(client, citizen, field):
    for path in ("/api/query", "/api/what-if", "/api/timeline"):
        r = client.post(path, json={"citizen": citizen, "date": "2027-03-01"})
        assert r.status_code == 422, (path, r.text)
        assert f"{field}: looks like a CPR number" in r.text
        assert "010180" not in r.text


# -- item 4: reform timeline's text shows an id's escapes and newlines, never obeys them ------------------------
def test_timeline_text_neutralises_escapes_and_newlines_in_the_id(tmp_path):
    citizen = tmp_path / "c.json"
    citizen.write_text(json.dumps({"id": "evil\x1b[31mred\nforged line", "born": "1990-05-01",
                                   "spells": [{"benefit": "dagpenge", "from": "2026-06-01"}]}), encoding="utf-8")
    r = run_cli("timeline", str(citizen), "--from", "2026-06-01", "--to", "2026-12-31", "--lang", "en")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\nforged line" not in r.stdout
    assert r.stdout.splitlines()[0].startswith("evil\\x1b[31mred\\nforged line: 2026-06-01 – 2026-12-31")
