"""Schemathesis over the whole OpenAPI document, with a valid token and hostile input.

Every operation of the document is called in-process with examples, boundary and malformed
values of every parameter (coverage phase) and random ones (fuzzing), positive and negative,
plus requests without the token and with undocumented methods. The checks: never a server
error, only documented status codes, content types and headers, bodies valid against their
schemas, schema-valid requests accepted and schema-invalid ones rejected, and 401 without the
token.

The document comes from ``consult.api.openapi`` directly (``test_api`` checks that the app
serves exactly this one): ``schemathesis.pytest.from_fixture`` would load it from the app, but
it sets ``request.node._nodeid``, which pytest 9.2 no longer has. Hypothesis' health check for
function-scoped fixtures is suppressed on purpose: the app, the demo data and the tokens are
set up once per operation and shared by its examples, which only read them (the API is
read-only; last-used times and export audit events change no answer).
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings

from consult import config
from consult.api.openapi import document
from consult.extensions import db
from consult.models import ApiToken
from consult.services.tokens import hash_token
from tests.api.conftest import isolated

pytestmark = [pytest.mark.db]

TOKEN = "cst_schemathesis-analyst-token-of-the-test-run-000"  # the analyst's, made below
CONFIG = schemathesis.Config.from_dict(
    {
        # schemathesis sends the token itself, so it knows which requests go without it
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "operations": [
            {
                # positive (schema-valid) values that do not apply to this question or
                # consultation (a method of another kind, a language it is not offered in)
                # are refused with 422, which no static schema can foresee
                "include-operation-id": ["getResults", "exportResponses"],
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    }
                },
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(document(config.LANGUAGES), config=CONFIG)


@pytest.fixture
def analyst_token(app: Flask, staff) -> None:
    """``TOKEN`` as an API token of the analyst member of the action plan."""
    db.session.add(
        ApiToken(user_id=staff.analyst.id, name="schemathesis", token_hash=hash_token(TOKEN))
    )
    db.session.commit()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_document(case, app: Flask, analyst_token: None) -> None:
    wsgi = isolated(app)
    case.operation.schema.app = wsgi  # every request, probes included, in-process
    response = case.call_and_validate(app=wsgi)  # raises on a schema violation
    assert response.status_code < 500
