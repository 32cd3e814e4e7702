"""The OpenAPI contract: served, English, every field described, and honoured by the API
(a bounded schemathesis run finds no 5xx and no answer outside the schema)."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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
    """Some cases to find, so that generated ids sometimes hit real rows."""
    for i in range(3):
        make_case(filed_on=dt.date(2025, 1 + i, 10), clerk=org["clerk"])
    return org


MAX_EXAMPLES = 5  # per operation and mode: about 250 requests, under a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.slow
def test_schemathesis_no_server_errors_and_answers_match_the_schema(seeded, wsgi_app):
    """Every operation, valid and invalid generated input: no 5xx, every answer in the schema."""
    api_schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    token, _ = Token.objects.get_or_create(user=seeded["integration"])
    headers = {"Authorization": f"Token {token.key}"}
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # e.g. no invalid variant of the bulk array that is not also a valid one
                continue
            except BaseException as exc:  # collect every operation's failure (groups too), then report all
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}")
    assert failures == [], "\n\n".join(failures)
