"""The W3C Reconciliation Service API 0.2 at /reconcile, validated against the specification's own schemas.

The schemas are vendored unmodified under tests/schemas/reconciliation-api-0.2 (W3C Software and
Document License, see NOTICE.md there).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator
from referencing import Registry as SchemaRegistry
from referencing import Resource
from referencing.jsonschema import DRAFT7

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry  # noqa: E402
from renkei.web import create_app  # noqa: E402

SCHEMAS = Path(__file__).parent / "schemas" / "reconciliation-api-0.2"
BASE = "https://reconciliation-api.github.io/specs/0.2/schemas/"


def validator(name: str) -> Draft7Validator:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((BASE + path.name, Resource.from_contents(contents, default_specification=DRAFT7)))
    registry = SchemaRegistry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    schema["$id"] = BASE + f"{name}.json"  # the query-batch schema names itself reconciliation-query.json
    return Draft7Validator(schema, registry=registry)


def valid(name: str, instance: object) -> None:
    errors = sorted(validator(name).iter_errors(instance), key=str)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="module")
def client(tmp_path_factory, directory, resolver):
    tmp = tmp_path_factory.mktemp("reconcile")
    reg = Registry.open(f"sqlite:///{tmp / 'r.sqlite3'}", directory=directory, resolver=resolver)
    yield TestClient(create_app(registry=reg))
    reg.engine.dispose()


def test_the_vendored_schemas_reject_what_they_should():
    """The validation can fail: a result without a score, a manifest without versions."""
    with pytest.raises(AssertionError):
        valid("reconciliation-result-batch", {"q0": {"result": [{"id": "1", "name": "x"}]}})
    with pytest.raises(AssertionError):
        valid("manifest", {"name": "x", "identifierSpace": "a", "schemaSpace": "b", "defaultTypes": []})


def test_manifest(client):
    response = client.get("/reconcile")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    manifest = response.json()
    valid("manifest", manifest)
    assert manifest["versions"] == ["0.2"]
    assert {t["id"]: t["name"] for t in manifest["defaultTypes"]} == {
        "municipality": "市区町村", "prefecture": "都道府県", "special_ward": "特別区"}
    assert manifest["view"]["url"] == "http://testserver/gov/{{id}}/"
    assert manifest["preview"]["url"].endswith("/reconcile/preview?id={{id}}")
    for kind in ("entity", "property", "type"):
        assert manifest["suggest"][kind]["service_path"] == f"/reconcile/suggest/{kind}"


def test_manifest_as_jsonp_and_a_bad_callback(client):
    response = client.get("/reconcile", params={"callback": "jQuery123_456"})
    assert response.headers["content-type"].startswith("application/javascript")
    text = response.text
    assert text.startswith("/**/jQuery123_456(") and text.endswith(");")
    valid("manifest", json.loads(text[len("/**/jQuery123_456("):-2]))
    bad = client.get("/reconcile", params={"callback": "alert(1)//"})
    assert bad.status_code == 400 and "alert" not in bad.text


QUERIES = {
    "q0": {"query": "亶理町", "properties": [{"pid": "prefecture", "v": "宮城県"}]},
    "q1": {"query": "千代田区"},
    "q2": {"query": "府中市"},  # 東京都 and 広島県: a person decides
    "q3": {"query": "府中市", "properties": [{"pid": "prefecture", "v": "東京都"}]},
    "q4": {"query": "浦和市", "type": "municipality", "limit": 3},
    "q5": {"query": "131016"},
    "q6": {"query": "東京都", "type": ["prefecture"]},
    "q7": {"query": "全く存在しない名前"},
    "q8": {"query": "港区", "type": "special_ward"},
}


def _check_batch(data: dict) -> None:
    valid("reconciliation-result-batch", data)
    assert set(data) == set(QUERIES)
    first = {k: v["result"][0] if v["result"] else None for k, v in data.items()}
    assert first["q0"]["id"] == "043613" and first["q0"]["match"] is True and first["q0"]["name"] == "亘理町"
    assert "字形類似" in first["q0"]["description"]  # the reason travels with the candidate
    assert first["q1"]["id"] == "131016" and first["q1"]["match"] is True
    assert {c["id"] for c in data["q2"]["result"]} >= {"132063", "342084"}
    assert not any(c["match"] for c in data["q2"]["result"])  # ambiguous: never auto-matched
    assert first["q3"]["id"] == "132063" and first["q3"]["match"] is True
    assert first["q4"]["id"] == "111007" and len(data["q4"]["result"]) <= 3
    assert first["q5"]["id"] == "131016" and first["q5"]["score"] == 100
    assert first["q6"]["id"] == "130001" and {"id": "prefecture", "name": "都道府県"} in first["q6"]["type"]
    assert not any(c["match"] for c in data["q7"]["result"])
    assert first["q8"]["id"] == "131032"
    for result in data.values():
        scores = [c["score"] for c in result["result"]]
        assert scores == sorted(scores, reverse=True)


def test_batch_by_form_field_as_openrefine_sends_it(client):
    valid("reconciliation-query-batch", QUERIES)
    response = client.post("/reconcile", data={"queries": json.dumps(QUERIES, ensure_ascii=False)})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    _check_batch(response.json())


def test_batch_by_json_body_and_by_get(client):
    _check_batch(client.post("/reconcile", json=QUERIES).json())
    _check_batch(client.post("/reconcile", json={"queries": QUERIES}).json())
    _check_batch(client.get("/reconcile", params={"queries": json.dumps(QUERIES)}).json())


def test_as_of_property_reaches_the_resolver(client, monkeypatch):
    from renkei.resolve import Resolver

    seen = []
    original = Resolver.resolve

    def spy(self, name, prefecture=None, **kw):  # type: ignore[no-untyped-def]
        seen.append((name, prefecture, kw.get("on") or kw.get("as_of")))
        return original(self, name, prefecture, **kw)

    monkeypatch.setattr(Resolver, "resolve", spy)
    batch = {"a": {"query": "浦和市", "properties": [{"pid": "as_of", "v": "平成12年4月1日"},
                                                     {"pid": "prefecture", "v": {"id": "110001", "name": "埼玉県"}}]},
             "b": {"query": "浦和市", "properties": [{"pid": "as_of", "v": "いつか"}]}}
    data = client.post("/reconcile", data={"queries": json.dumps(batch)}).json()
    valid("reconciliation-result-batch", data)
    assert ("浦和市", "110001", "2000-04-01") in seen
    assert "日付として読めない" in data["b"]["result"][0]["description"]


@pytest.mark.parametrize("body, status", [
    ("not json", 400), ("[]", 400), ('{"q0": {"limit": 3}}', 400), ('{"q0": {"query": 1}}', 400),
    (json.dumps({f"q{i}": {"query": "港区"} for i in range(51)}), 413),
])
def test_bad_batches_are_refused_with_json(client, body, status):
    for odd in ('{"q": {"query": "港区", "limit": 1e999}}', '{"q": {"query": "港区", "type": [["x"]]}}',
                '{"q": {"query": "港区", "properties": [{"pid": ["x"], "v": 1}]}}'):
        assert client.post("/reconcile", data={"queries": odd}).status_code == 200
    response = client.post("/reconcile", data={"queries": body})
    assert response.status_code == status
    assert response.json()["error"]  # Japanese message
    assert response.headers["access-control-allow-origin"] == "*"


def test_oversized_body_is_refused_before_reading(client):
    response = client.post("/reconcile", content=b"queries=" + b"x" * (600 * 1024),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_rate_limited_per_address(client, monkeypatch):
    from renkei.web import reconciliation
    from renkei.web.ratelimit import RateLimiter

    monkeypatch.setattr(reconciliation, "limiter", RateLimiter(rate=0.001, burst=20))
    batch = json.dumps({f"q{i}": {"query": "港区"} for i in range(10)})
    assert client.post("/reconcile", data={"queries": batch}).status_code == 200
    assert client.post("/reconcile", data={"queries": batch}).status_code == 200
    refused = client.post("/reconcile", data={"queries": batch})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_limiter_is_bounded_and_refills():
    from renkei.web.ratelimit import RateLimiter

    limiter = RateLimiter(rate=1.0, burst=2.0, max_clients=3)
    assert limiter.wait("a", 2, now=0) == 0
    assert limiter.wait("a", 1, now=0) == 1.0
    assert limiter.wait("a", 1, now=1) == 0
    for key in "bcde":
        limiter.wait(key, 1, now=2)
    assert len(limiter._buckets) == 3 and "a" not in limiter._buckets
    assert limiter.wait("z", 5, now=3) == float("inf")


def test_cors_preflight(client):
    response = client.options("/reconcile", headers={"Origin": "http://127.0.0.1:3333",
                                                     "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_suggest_services(client):
    data = client.get("/reconcile/suggest/entity", params={"prefix": "わたり"}).json()
    valid("suggest-entities-response", data)
    assert "043613" in [r["id"] for r in data["result"]]
    data = client.get("/reconcile/suggest/entity", params={"prefix": "131016"}).json()
    assert data["result"][0]["id"] == "131016"
    data = client.get("/reconcile/suggest/entity", params={"prefix": "港", "callback": "cb"})
    assert data.text.startswith("/**/cb(")
    props = client.get("/reconcile/suggest/property", params={"prefix": ""}).json()
    valid("suggest-properties-response", props)
    assert {p["id"] for p in props["result"]} == {"prefecture", "as_of"}
    types = client.get("/reconcile/suggest/type", params={"prefix": "特別"}).json()
    valid("suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == ["special_ward"]


def test_preview_can_be_framed_and_escapes(client):
    response = client.get("/reconcile/preview", params={"id": "043613"})
    assert response.status_code == 200
    assert "亘理町" in response.text and "043613" in response.text and "/gov/043613/" in response.text
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert client.get("/reconcile/preview", params={"id": "<script>"}).status_code == 404


def test_view_urls_resolve(client):
    manifest = client.get("/reconcile").json()
    url = manifest["view"]["url"].replace("{{id}}", "043613").replace("http://testserver", "")
    assert client.get(url).status_code == 200


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                      max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=4), st.dictionaries(
    st.sampled_from(["query", "type", "limit", "properties", "type_strict"]), json_value, max_size=4),
    max_size=4))
def test_any_batch_gets_a_schema_valid_answer_or_a_4xx(client, batch):
    response = client.post("/reconcile", data={"queries": json.dumps(batch)})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        valid("reconciliation-result-batch", response.json())
