"""The OpenAPI contract: served, English, every field described, and honoured by the API
(a bounded schemathesis run, with edge input in its mix, finds no 5xx and no answer outside
the schema)."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import rows_behind_every_list
from tests.api.edges import UNSERVED_METHOD, check_edge_answer, edge_kind, edge_strategy, edits_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def openapi(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    return response.json()


def _properties(schema):
    yield from schema.get("properties", {}).items()


def test_every_field_is_described_in_english(openapi):
    missing = []
    for component, schema in openapi["components"]["schemas"].items():
        if "enum" in schema:
            continue
        for name, prop in _properties(schema):
            if not prop.get("description"):
                missing.append(f"{component}.{name}")
    assert missing == []
    # English even when the browser asks for Chinese (the contract is written in English).
    case = openapi["components"]["schemas"]["Case"]["properties"]
    assert case["filed_on"]["description"].startswith("Filing date")


def test_every_query_parameter_is_described(openapi):
    missing = [
        f"{path} {method} {param['name']}"
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
        for param in operation.get("parameters", [])
        if not param.get("description")
    ]
    assert missing == []


def test_paths_and_capped_count_are_documented(openapi):
    paths = set(openapi["paths"])
    for path in [
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/events/",
        "/api/v1/cases/{id}/suspend/",
        "/api/v1/cases/{id}/resume/",
        "/api/v1/cases/{id}/close/",
        "/api/v1/cases/{id}/reopen/",
        "/api/v1/cases/{id}/transfer/",
        "/api/v1/cases/bulk/",
        "/api/v1/cases/export/",
        "/api/v1/divisions/{code}/",
        "/api/v1/staff/{username}/",
    ]:
        assert path in paths
    listing = openapi["paths"]["/api/v1/cases/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    ref = listing["$ref"].rsplit("/", 1)[-1]
    assert "capped" in openapi["components"]["schemas"][ref]["properties"]["count"]["description"]


def test_docs_page_loads_no_file_from_the_internet(client, db):
    html = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in html or "/static/" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


# --- schemathesis -------------------------------------------------------------------------


@pytest.fixture
def seeded(org, make_case, today):
    """Some rows to find, so that generated ids sometimes hit real rows and every list has rows
    whose optional fields are null (nobody acknowledged, reviewed or decided anything yet; a job
    wrote an event): the answers are checked against the schema with those nulls in them."""
    cases = [make_case(filed_on=dt.date(2025, 1 + i, 10), clerk=org["clerk"]) for i in range(3)]
    rows_behind_every_list(org, cases[0])
    return org


MAX_EXAMPLES = 5  # per operation and mode: about 350 requests
EDGE_EXAMPLES = 1  # per operation and edge (tests/api/edges.py): about 300 requests
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}


def call(case, headers):
    """Send `case` in a savepoint, rolled back after a 5xx: the database error behind it (the whole
    run is one test transaction) must not abort every request after it."""
    with transaction.atomic():
        response = case.call(headers=headers)
        if response.status_code >= 500:
            transaction.set_rollback(True)
    return response


def edge_run(operation, edits, headers, failures):
    """One hypothesis run sending each edge of `operation` on a request of its own (the rest of
    it generated), keeping every failure."""

    @given(data=st.data())
    @settings(max_examples=EDGE_EXAMPLES, **SETTINGS)
    def run(data):
        for name, edit in edits:
            case = data.draw(edge_strategy(operation, edit))
            try:
                response = call(case, headers)
                check_edge_answer(name, response)
                if name != UNSERVED_METHOD:
                    case.validate_response(response, checks=CHECKS)
            except (AssertionError, FailureGroup) as exc:
                failure = f"{operation.method.upper()} {operation.path} [edge: {name}]: {exc}"
                if failure not in failures:  # hypothesis may run the example again
                    failures.append(failure)

    return run


@pytest.mark.slow
def test_schemathesis_no_server_errors_and_answers_match_the_schema(seeded, wsgi_app):
    """Every operation with valid, invalid and edge input (tests/api/edges.py): no 5xx, every
    answer JSON and in the schema (status code, content type, body), an unserved method a 405."""
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    token, _ = Token.objects.get_or_create(user=seeded["integration"])
    headers = {"Authorization": f"Token {token.key}"}
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    def collect(label, run):
        try:
            run()
        except Unsatisfiable:
            # e.g. no invalid variant of the bulk array that is not also a valid one
            pass
        except BaseException as exc:  # collect every operation's failure (groups too), then report all
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{label}: {exc}")

    edges_sent = set()
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, **SETTINGS)
            def run(case):
                response = call(case, headers)
                case.validate_response(response, checks=CHECKS)

            collect(f"{label} [{mode.value}]", run)

        edits = edits_for(operation)
        collect(f"{label} [edges]", edge_run(operation, edits, headers, failures))
        edges_sent |= {edge_kind(name) for name, _ in edits}
    # The mix holds every kind of edge the API has a parameter or body for.
    for kind in ("page", "page_size", "as_of", "as_of&aging_level", "updated_since", "cursor", "filed_after"):
        assert kind in edges_sent, kind
    assert {UNSERVED_METHOD, "newline as id"} <= edges_sent
    assert any(kind.startswith("JSON nested") for kind in edges_sent)
    assert failures == [], "\n\n".join(failures)
