"""Schemathesis against the OpenAPI document: every operation, generated inputs, no server errors,
and responses that match what the schema declares (status codes, content types, headers).

The operations are driven with Hypothesis directly (schemathesis' strategies), which works the same
under every pytest version.
"""

from __future__ import annotations

import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

warnings.filterwarnings("ignore", category=DeprecationWarning)


@pytest.fixture(scope="module")
def api_schema(api_registry):
    from renkei.web import create_app

    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(registry=api_registry))


def _operations(schema):
    return {op.ok().label: op.ok() for op in schema.get_all_operations()}


def test_every_operation_is_documented(api_schema):
    labels = set(_operations(api_schema))
    assert {"GET /api/v1/prefectures", "GET /api/v1/prefectures/{code}", "GET /api/v1/projects",
            "GET /api/v1/partners", "GET /api/v1/search", "GET /api/v1/diff", "GET /api/v1/governments/{code}",
            "GET /api/v1/wards", "GET /api/v1/wards/{code}", "GET /api/v1/snapshots"} <= labels


@pytest.mark.parametrize("label", ["GET /api/v1/snapshots", "GET /api/v1/prefectures", "GET /api/v1/prefectures/{code}",
                                   "GET /api/v1/partners", "GET /api/v1/governments/{code}", "GET /api/v1/wards",
                                   "GET /api/v1/wards/{code}", "GET /api/v1/projects", "GET /api/v1/search",
                                   "GET /api/v1/diff", "GET /api/v1/snapshots.csv", "GET /api/v1/prefectures.csv",
                                   "GET /api/v1/partners.csv", "GET /api/v1/wards.csv", "GET /api/v1/projects.csv",
                                   "GET /api/v1/search.csv", "GET /api/v1/diff.csv"])
def test_api_conforms_to_its_schema(api_schema, label):
    operation = _operations(api_schema)[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate()

    run()
