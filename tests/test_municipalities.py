"""The municipality registry (rules/municipalities.yaml): 98 municipalities; common variants are the
municipality; an unknown name is refused with the field named and the nearest names suggested — never
silently 'another municipality' (which used to put it in the a-kasse trial)."""
from __future__ import annotations

import csv
import json

import pytest

from conftest import run_cli
from reform_rules import CitizenError


def _citizen(name: str) -> dict:
    return {"id": "m", "born": "1990-01-01", "municipality": name, "spells": [{"benefit": "dagpenge", "from": "2027-02-15"}]}


def test_the_registry_has_the_98_municipalities(base):
    table = base.ruleset.vocabulary.table("municipalities")
    assert len(table) == 98
    assert {"København", "Høje-Taastrup", "Lyngby-Taarbæk", "Nordfyns", "Ærø", "Bornholm"} <= set(table)


@pytest.mark.parametrize("variant, official", [
    ("Københavns Kommune", "København"), ("Kobenhavn", "København"), ("koebenhavn", "København"),
    ("Copenhagen", "København"), ("Høje Taastrup", "Høje-Taastrup"), ("Lyngby", "Lyngby-Taarbæk"),
    ("Nordfyn", "Nordfyns"), ("Nordfyns Kommune", "Nordfyns"), ("aarhus", "Aarhus"), ("Århus", "Aarhus"),
])
def test_common_variants_are_the_municipality(base, variant, official):
    citizen = base.parse_citizen(_citizen(variant))
    assert citizen.get("municipality") == official


@pytest.mark.parametrize("name, near", [("Gentofe", "Gentofte"), ("Atlantis", None), ("Københaven", "København")])
def test_an_unknown_name_is_refused_with_the_nearest(base, name, near):
    with pytest.raises(CitizenError) as err:
        base.parse_citizen(_citizen(name))
    text = "\n".join(err.value.messages)
    assert "municipality:" in text and f"'{name}' is not a known municipality" in text
    if near:
        assert f"did you mean {near}" in text


def test_reform_query_exits_2_naming_the_field_and_suggesting(tmp_path):
    f = tmp_path / "c.json"
    f.write_text(json.dumps(_citizen("Gentofe")))
    r = run_cli("query", str(f), "--date", "2027-02-15")
    assert r.returncode == 2 and "municipality" in r.stderr and "Gentofte" in r.stderr and "Traceback" not in r.stderr


def test_a_batch_row_with_an_unknown_name_is_an_error_row(tmp_path):
    inp, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(inp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "municipality", "benefit", "from"])
        w.writerow(["ok", "Københavns Kommune", "dagpenge", "2027-02-15"])
        w.writerow(["bad", "Gentofe", "dagpenge", "2027-02-15"])
    r = run_cli("batch", str(inp), "--date", "2027-02-15", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert [row["citizen"] for row in csv.DictReader(open(out, encoding="utf-8"))] == ["ok"]
    errors = list(csv.DictReader(open(str(out) + ".errors.csv", encoding="utf-8")))
    assert len(errors) == 1 and errors[0]["row"] == "2" and "did you mean Gentofte" in errors[0]["message"]


def test_the_api_answers_422(base):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient
    from reform_rules.web.app import create_app
    client = TestClient(create_app(base, completeness=False))
    r = client.post("/api/query", json={"citizen": _citizen("Gentofe"), "date": "2027-02-15"})
    assert r.status_code == 422
    assert any("municipality" in m and "Gentofte" in m for m in r.json()["messages"])
