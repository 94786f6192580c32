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
def api_schema(tmp_path_factory, directory, resolver, make_fixtures):
    from renkei.registry import Registry
    from renkei.web import create_app

    tmp = tmp_path_factory.mktemp("schema")
    reg = Registry.open(f"sqlite:///{tmp / 'api.sqlite3'}", directory=directory, resolver=resolver)
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    reg.import_file(make_fixtures.write_text(grid, tmp / "r8.tsv", delimiter="\t", encoding="utf-8", newline="\n"),
                    release=True)
    reg.import_file(make_fixtures.write_projects(make_fixtures.project_grid(30), tmp / "p.csv"),
                    release=True)
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(registry=reg))


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
                                   "GET /api/v1/diff"])
def test_api_conforms_to_its_schema(api_schema, label):
    operation = _operations(api_schema)[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate()

    run()
