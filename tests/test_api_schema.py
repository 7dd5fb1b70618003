"""The API against its own OpenAPI document, with schemathesis, in process (no server, no network).

Every operation of /openapi.json is called with bodies and parameters generated from the schema
(valid ones, and invalid ones: wrong types, missing fields, out-of-range dates, other content types)
and each response is checked against the document: no server error, a documented status code, the
documented content type and headers, and a body that matches the documented schema; valid input is
accepted and invalid input refused.

Not checked: that every schema-valid request is *accepted* (schemathesis' positive_data_acceptance). The
schema cannot say everything the engine checks (a municipality must be one of the registry's, in any of
its spellings; spells must not contradict each other; a date's year lies in 1900–2200, which is said in
the descriptions): those requests are refused with a 422 that the schema documents.

A few hundred examples in all, no deadlines (the rule engine is not timed here); derandomised when
``CI`` is set, so that a CI run is reproducible.
"""
from __future__ import annotations

import os
import warnings

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, negative_data_rejection, response_headers_conformance,
    response_schema_conformance, status_code_conformance)

from conftest import EXAMPLES, RULES  # noqa: E402
from reform_rules.web import create_app  # noqa: E402

pytestmark = [pytest.mark.slow,   # a browser / the API fuzzer: `make test-fast` leaves them out
              pytest.mark.xdist_group("api-schema")]   # its module fixtures (a server, a browser) made on one worker only

EXAMPLES_PER_OPERATION = 15  # × 16 operations × positive and negative: a few hundred in all
MODES = ("positive", "negative")
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
          response_headers_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def api_schema(base):
    # completeness=False: /api/check must not start the half-minute full check for every example
    app = create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return schemathesis.openapi.from_asgi("/openapi.json", app)


def _operations(api_schema):
    return [result.ok() for result in api_schema.get_all_operations()]


# (schemathesis' own pytest plugin, schema.parametrize / from_fixture, does not run under pytest 9:
# the operations are driven here with Hypothesis directly.)
@pytest.mark.parametrize("mode", MODES)
def test_api_conforms_to_its_schema(api_schema, mode):
    from schemathesis import GenerationMode
    failures: dict[str, str] = {}
    operations = _operations(api_schema)
    assert len(operations) >= 10
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=GenerationMode(mode))

        @given(case=strategy)
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=bool(os.environ.get("CI")),
                  suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
            continue
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is tried; all reported
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


# -- what schemathesis found, pinned ----------------------------------------------------------------
@pytest.fixture(scope="module")
def client(base):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    with TestClient(create_app(base, rules_dir=RULES, examples_dir=EXAMPLES, completeness=False)) as c:
        yield c


LONE = {"id": "lone", "born": "1986-03-10", "municipality": "Odense",
        "spells": [{"benefit": "sygedagpenge", "sick_from": "employment", "expected_absence_weeks": 12,
                    "uncomplicated": True, "from": "2026-08-03"}]}


def test_lang_null_is_refused_as_documented(client):
    doc = client.get("/openapi.json").json()
    lang = doc["components"]["schemas"]["QueryRequest"]["properties"]["lang"]
    assert lang["enum"] == ["da", "en"] and "null" not in str(lang.get("type"))
    r = client.post("/api/query", json={"citizen": LONE, "date": "2026-08-10", "lang": None})
    assert r.status_code == 422 and r.json()["messages"][0].startswith("lang: null is not one of")
    assert client.post("/api/query", json={"citizen": LONE, "date": "2026-08-10"}).status_code == 200


def test_json_sent_as_text_plain_is_refused(client):
    import json
    r = client.post("/api/query", content=json.dumps({"citizen": LONE, "date": "2026-08-10"}),
                    headers={"content-type": "text/plain"})
    assert r.status_code == 422 and "application/json" in r.json()["messages"][0]


def test_documented_statuses_and_ranges(client):
    doc = client.get("/openapi.json").json()
    assert "404" in doc["paths"]["/api/examples/{name}"]["get"]["responses"]
    assert client.get("/api/examples/nobody").status_code == 404
    for path in ("/api/query", "/api/timeline", "/api/citizen/parse"):
        assert {"408", "413", "422"} <= set(doc["paths"][path]["post"]["responses"]), path
    assert "1900 to 2200" in doc["components"]["schemas"]["QueryRequest"]["properties"]["date"]["description"]
    assert "1900 to 2200" in " ".join(doc["info"]["description"].split())
    view = doc["paths"]["/api/timeline/view"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert view == {"$ref": "#/components/schemas/TimelineView"}
