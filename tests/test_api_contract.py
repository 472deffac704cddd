"""The API keeps its OpenAPI contract for any input the schema allows: no server error, no answer outside the schema.

schemathesis generates requests for every operation from the served schema, with an
admin key so the analyst and admin routes run too, and checks each answer.
(Driven through its strategies: its pytest fixture integration does not run on pytest 9.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python.asgi import shutdown_lifespans

from service.api.main import create_app
from service.config import Settings
from tests.conftest import MODEL, RULES

KEY = {"X-API-Key": "contract-admin"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 30


def test_every_operation_answers_within_its_contract(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", model_dir=MODEL, rules_dir=RULES,
                              api_keys={"contract-admin": "admin"}))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried = []
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            tried.append(f"{operation.method.upper()} {operation.path}")

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def answers_within_contract(case):
                case.call_and_validate(headers=KEY, checks=CHECKS)

            answers_within_contract()
    finally:
        shutdown_lifespans()
    assert len(tried) >= 11 and "POST /v1/triage" in tried and "POST /v1/rules/simulate" in tried
