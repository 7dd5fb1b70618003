"""The API's request bodies are Pydantic models (reform_rules.web.models): the OpenAPI document comes from them,
and a bad body is still answered in the project's error shape with every field named."""
from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import warnings  # noqa: E402

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient  # noqa: E402

from conftest import EXAMPLES, RULES  # noqa: E402
from reform_rules.web import create_app  # noqa: E402

LONE = {"id": "lone", "born": "1986-03-10", "municipality": "Odense",
        "spells": [{"benefit": "sygedagpenge", "sick_from": "employment", "expected_absence_weeks": 12,
                    "uncomplicated": True, "from": "2026-08-03"}]}


@pytest.fixture(scope="module")
def client(base):
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False),
                    raise_server_exceptions=False) as c:
        yield c


def _error(r) -> list[str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) in ({"error", "messages"}, {"error", "messages", "problems"}) and body["error"] == "invalid_input"
    return body["messages"]


def test_request_schemas_come_from_the_models(client):
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    query = schemas["QueryRequest"]
    assert query["required"] == ["citizen", "date"] and query["additionalProperties"] is False
    assert set(query["properties"]) == {"citizen", "date", "lang"}
    assert query["properties"]["citizen"]["allOf"] == [{"$ref": "#/components/schemas/Citizen"}]
    assert query["properties"]["date"]["format"] == "date"
    assert query["properties"]["lang"]["enum"] == ["da", "en"] and query["properties"]["lang"]["default"] == "da"
    timeline = schemas["TimelineRequest"]
    assert set(timeline["properties"]) == {"citizen", "from", "to", "lang"} and timeline["required"] == ["citizen"]
    assert set(schemas["TimelineViewRequest"]["properties"]) == {"citizen", "from", "to", "lang", "date"}
    assert schemas["ParseRequest"]["required"] == ["text"]
    for path, model in (("/api/query", "QueryRequest"), ("/api/explain", "QueryRequest"),
                        ("/api/timeline", "TimelineRequest"), ("/api/timeline/view", "TimelineViewRequest"),
                        ("/api/citizen/parse", "ParseRequest")):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{model}"}, path
        assert body["example"], path     # an example request from the persona files
    # the citizen inside is the schema generated from the vocabulary
    assert "born" in schemas["Citizen"]["properties"] and "Spell" in schemas


def test_the_envelope_and_the_citizen_are_named_at_once(client):
    r = client.post("/api/explain", json={"citizen": {"id": "x", "spells": [{"benefit": "x", "from": "2026-01-01"}]},
                                          "date": "2026-02-30", "lang": "fr", "extra": 1})
    messages = _error(r)
    assert "citizen: spells[0].benefit: 'x' is not a known benefit" in " ".join(messages)
    assert "date: '2026-02-30' is not a date (no such day)" in messages
    assert "lang: 'fr' is not one of: da, en" in messages
    assert "body: unknown field 'extra' (a request has: citizen, date, lang)" in messages


@pytest.mark.parametrize("path,body,expected", [
    ("/api/timeline", {"citizen": LONE, "from": "2026-02-30"}, "from: '2026-02-30' is not a date (no such day)"),
    ("/api/timeline", {"citizen": LONE, "to": ["2027-01-01"]}, "to: a list is not a date (YYYY-MM-DD)"),
    ("/api/timeline", {"citizen": LONE, "date": "2026-01-01"},
     "body: unknown field 'date' (a request has: citizen, from, to, lang)"),
    ("/api/timeline/view", {"from": "2026-01-01"}, "citizen: missing: the citizen record (id, spells …)"),
    ("/api/timeline/view", {"citizen": None}, "citizen: missing: the citizen record (id, spells …)"),
    ("/api/citizen/parse", {"name": "x.yaml"}, "text: missing: the file's text"),
    ("/api/citizen/parse", {"text": 3}, "text: "),
    ("/api/query", {"citizen": LONE, "date": None}, "date: missing: the date to answer for (YYYY-MM-DD)"),
])
def test_field_problems(client, path, body, expected):
    assert any(m.startswith(expected) for m in _error(client.post(path, json=body))), expected


@pytest.mark.parametrize("content,headers,expected", [
    (b"", {}, "body: missing: send a JSON object"),
    (b"[]", {"content-type": "application/json"}, "body: must be a JSON object with 'citizen' and 'date'"),
    (b"{", {"content-type": "application/json"}, "body: not valid JSON"),
    (b'{"citizen": {}, "date": "2026-01-01"}', {"content-type": "text/plain"}, "body: must be a JSON object"),
])
def test_raw_bodies(client, content, headers, expected):
    assert _error(client.post("/api/query", content=content, headers=headers))[0].startswith(expected)


def test_a_body_without_content_type_is_read_as_json(client):
    import json
    r = client.post("/api/query", content=json.dumps({"citizen": LONE, "date": "2026-08-10"}).encode())
    assert r.status_code == 200 and r.json()["citizen"] == "lone"
