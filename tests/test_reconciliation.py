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
from renkei.web.reconciliation_extend import PROPERTIES as EXTENSION_PROPERTIES  # noqa: E402

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
    assert manifest["suggest"]["entity"]["flyout_service_path"] == "/reconcile/flyout?id=${id}"
    assert manifest["extend"]["propose_properties"] == {"service_url": "http://testserver",
                                                        "service_path": "/reconcile/properties"}


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
    ids = {p["id"] for p in props["result"]}  # what to match on, and what to fetch (data extension)
    assert ids == {"as_of", *(p.id for p in EXTENSION_PROPERTIES)} and "wards" in ids and "current" in ids
    props = client.get("/reconcile/suggest/property", params={"prefix": "読み"}).json()
    assert [p["id"] for p in props["result"]] == ["kana"]
    types = client.get("/reconcile/suggest/type", params={"prefix": "特別"}).json()
    valid("suggest-types-response", types)
    assert [t["id"] for t in types["result"]] == ["special_ward"]


def test_preview_can_be_framed_and_escapes(client):
    response = client.get("/reconcile/preview", params={"id": "043613"})
    assert response.status_code == 200
    assert "亘理町" in response.text and "043613" in response.text and "/gov/043613/" in response.text
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert client.get("/reconcile/preview", params={"id": "<script>"}).status_code == 404


def test_preview_of_an_ended_code_shows_it_and_links_its_successor(client):
    response = client.get("/reconcile/preview", params={"id": "112046"})  # 浦和市, ended in 2001
    assert response.status_code == 200
    text = response.text
    assert "浦和市" in text and "埼玉県" in text and "112046" in text and "平成13年5月1日" in text
    assert 'href="http://testserver/gov/111007/"' in text and "さいたま市（111007）" in text
    assert "/gov/112046/" in text  # its own page says it ended (tests/test_web.py)


def test_the_preview_of_an_ended_code_escapes_what_it_shows(directory):
    from renkei.templating import environment
    from renkei.web import urls
    from renkei.web.reconciliation_extend import Subject

    s = Subject("043613", "<script>x</script>", "<b>", "", "town", directory["040002"], "亘理郡&", "2000-01-01",
                "2005-04-01", (directory["043613"],), None)
    html = environment().get_template("web/reconcile_preview.html").render(s=s, types=[], base="", urls=urls)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;b&gt;" in html
    assert "亘理郡&amp;" in html and 'href="/gov/043613/"' in html


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


# ---------------------------------------------------------------------------------------------
# Suggest that forgives, and its flyout


def suggested(client, prefix: str) -> list[str]:
    data = client.get("/reconcile/suggest/entity", params={"prefix": prefix}).json()
    valid("suggest-entities-response", data)
    return [r["id"] for r in data["result"]]


def test_suggest_forgives_a_misspelt_unfinished_name(client):
    assert suggested(client, "亶理")[0] == "043613"  # 亶理 is an unfinished 亶理町, corrected to 亘理町
    assert suggested(client, "飯館")[0] == "075647"  # 飯舘村
    assert suggested(client, "宮城県亘") == ["043613"]  # a prefecture first narrows


def test_suggest_reads_a_kana_prefix_and_puts_prefix_matches_first(client):
    assert suggested(client, "わた")[0] == "043613"  # ワタリチョウ
    assert suggested(client, "ワタリ")[0] == "043613"
    assert suggested(client, "府中")[:3] == ["132063", "342084", "343021"]  # 府中市 ×2, 府中町: names it begins
    found = suggested(client, "浦和")
    assert found[:2] == ["111074", "111007"]  # さいたま市浦和区 begins with 浦和; 浦和市 merged into さいたま市
    assert suggested(client, "港")[0] == "131032"  # the whole name first


def test_suggest_pages_with_the_cursor(client):
    first = suggested(client, "中")
    second = client.get("/reconcile/suggest/entity", params={"prefix": "中", "cursor": 10}).json()["result"]
    assert len(first) == 10 and second and not {r["id"] for r in second} & set(first)


def test_flyout_shows_name_prefecture_code_and_kind(client):
    data = client.get("/reconcile/flyout", params={"id": "043613"}).json()
    assert data["id"] == "043613"
    for text in ("亘理町", "宮城県", "043613", "町", "亘理郡"):
        assert text in data["html"]
    ended = client.get("/reconcile/flyout", params={"id": "112046"}).json()["html"]  # 浦和市, ended in 2001
    assert "浦和市" in ended and "平成13年5月1日" in ended and "さいたま市" in ended
    missing = client.get("/reconcile/flyout", params={"id": "<script>"})
    assert missing.status_code == 404 and "<script>" not in missing.text


def test_flyout_escapes_what_it_shows(directory):
    from renkei.templating import environment
    from renkei.web.reconciliation_extend import Subject

    s = Subject("043613", "<script>x</script>", "<b>", "", "town", directory["040002"], "亘理郡&", "", "", (), None)
    html = environment().get_template("web/reconcile_flyout.html").render(s=s)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;b&gt;" in html
    assert "亘理郡&amp;" in html


# ---------------------------------------------------------------------------------------------
# Data extension


ALL_PROPERTIES = [{"id": p.id} for p in EXTENSION_PROPERTIES]


def extend(client, query: dict, how: str = "form"):
    valid("data-extension-query", query)
    text = json.dumps(query, ensure_ascii=False)
    if how == "form":
        return client.post("/reconcile", data={"extend": text})
    if how == "json":
        return client.post("/reconcile", json={"extend": query})
    return client.get("/reconcile", params={"extend": text})


def values(data: dict, code: str, pid: str) -> list:
    return [v.get("name", v.get("str", v.get("date"))) for v in data["rows"][code][pid]]


def test_property_proposals_per_type(client):
    data = client.get("/reconcile/properties", params={"type": "municipality"}).json()
    valid("data-extension-property-proposal", data)
    assert data["type"] == "municipality"
    names = {p["id"]: p["name"] for p in data["properties"]}
    assert names["prefecture"] == "都道府県" and names["kana"] == "読み" and names["current"] == "現在の自治体"
    assert {"county", "kind", "valid_from", "valid_to", "wards", "listed"} <= set(names)
    proposed = client.get("/reconcile/properties", params={"type": "prefecture"}).json()["properties"]
    prefecture = {p["id"] for p in proposed}
    assert "county" not in prefecture and "current" not in prefecture and "kana" in prefecture
    limited = client.get("/reconcile/properties", params={"type": "municipality", "limit": "2"}).json()
    valid("data-extension-property-proposal", limited)
    assert len(limited["properties"]) == 2 and limited["limit"] == 2


@pytest.mark.parametrize("how", ["form", "json", "get"])
def test_extend_a_batch_of_ids(client, how):
    response = extend(client, {"ids": ["043613", "131016", "130001"], "properties": ALL_PROPERTIES}, how)
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    data = response.json()
    valid("data-extension-response", data)
    assert [m["id"] for m in data["meta"]] == [p.id for p in EXTENSION_PROPERTIES]
    assert {m["id"]: m.get("type", {}).get("id") for m in data["meta"]}["prefecture"] == "prefecture"
    assert data["rows"]["043613"]["prefecture"] == [{"id": "040002", "name": "宮城県"}]  # name and code
    expected = {"prefecture_code": ["040002"], "name": ["亘理町"], "kana": ["ワタリチョウ"], "county": ["亘理郡"],
                "kind": ["町"], "current": ["亘理町"], "valid_from": ["1947-04-17T00:00:00Z"], "valid_to": []}
    assert {pid: values(data, "043613", pid) for pid in expected} == expected
    assert values(data, "131016", "kind") == ["特別区"] and values(data, "131016", "county") == []
    assert values(data, "130001", "kind") == ["都道府県"] and values(data, "130001", "prefecture") == ["東京都"]


def test_an_ended_code_extends_to_where_it_went(client):
    data = extend(client, {"ids": ["112046", "214868"], "properties": ALL_PROPERTIES}).json()
    valid("data-extension-response", data)
    assert data["rows"]["112046"]["current"] == [{"id": "111007", "name": "さいたま市"}]  # 浦和市 → さいたま市
    assert values(data, "112046", "name") == ["浦和市"] and values(data, "112046", "kind") == ["市"]
    assert values(data, "112046", "valid_to") == ["2001-05-01T00:00:00Z"]
    assert values(data, "112046", "prefecture") == ["埼玉県"] and values(data, "112046", "kana") == ["ウラワシ"]
    assert values(data, "112046", "listed") == ["いいえ"]
    # a code that was renamed before it ended: its last name, from the renaming to the merger
    assert values(data, "214868", "name") == ["明宝村"] and values(data, "214868", "county") == ["郡上郡"]
    assert values(data, "214868", "valid_from") == ["1992-04-01T00:00:00Z"]
    assert values(data, "214868", "current") == ["郡上市"]


def test_unknown_ids_get_empty_values_and_repeated_ids_one_row(client):
    data = extend(client, {"ids": ["999999", "x" * 500, "043613", "043613"],
                           "properties": [{"id": "kana"}, {"id": "kana", "settings": {}}]}).json()
    valid("data-extension-response", data)
    assert list(data["rows"]) == ["999999", "x" * 500, "043613"]
    assert data["rows"]["999999"] == {"kana": []} and [m["id"] for m in data["meta"]] == ["kana"]


def test_the_reading_in_the_script_the_setting_asks_for(client):
    setting = client.get("/reconcile").json()["extend"]["property_settings"][0]
    assert setting["name"] == "script" and setting["type"] == "select"
    assert {c["value"] for c in setting["choices"]} == {"katakana", "hiragana", "romaji"}
    asked = {script: extend(client, {"ids": ["043613", "112046"],
                                     "properties": [{"id": "kana", "settings": {"script": script}}]}).json()
             for script in ("hiragana", "romaji", "katakana", "unknown")}
    for data in asked.values():
        valid("data-extension-response", data)
    assert values(asked["hiragana"], "043613", "kana") == ["わたりちょう"]
    assert values(asked["hiragana"], "112046", "kana") == ["うらわし"]
    assert values(asked["romaji"], "043613", "kana") == ["Watari-cho"]
    assert values(asked["romaji"], "112046", "kana") == []  # the history records no romaji
    assert values(asked["katakana"], "043613", "kana") == values(asked["unknown"], "043613", "kana") == ["ワタリチョウ"]


def test_partnerships_come_from_the_public_registry(client):
    reg = client.app.state.site.full
    reg.add_project(title="物産展", wards=["131032"], partners=["043613"], actor="jimu")
    reg.propose_project(title="待ち", wards=["131016"], partners=["043613"], actor="chiyoda",
                        actor_ward="131016")  # waiting for approval: not public
    data = extend(client, {"ids": ["043613", "401005", "131032"],
                           "properties": [{"id": "wards"}, {"id": "listed"}]}).json()
    valid("data-extension-response", data)
    assert data["rows"]["043613"]["wards"] == [{"id": "131032", "name": "港区"}]
    assert values(data, "043613", "listed") == ["はい"]  # in the embedded 令和7年8月1日 list
    assert values(data, "401005", "listed") == ["いいえ"]  # 北九州市: not in it
    assert data["rows"]["131032"]["wards"] == []  # a ward's partners are not wards


def test_listed_has_no_value_before_anything_is_published_and_wards_cost_the_same_for_any_ids(directory):
    from renkei.web.reconciliation_extend import BY_ID, Public, extend

    asked: list[str] = []

    def partners_of_ward(ward: str) -> list[str]:
        asked.append(ward)
        return ["043613"] if ward == "131032" else []

    public = Public(directory.special_wards, partners_of_ward, listed_codes=lambda: None)
    ids = ["043613", *(e.code for e in directory.entities[:40])]
    data = extend(ids, [(BY_ID["listed"], {}), (BY_ID["wards"], {})], directory, public)
    valid("data-extension-response", data)
    assert data["rows"]["043613"] == {"listed": [], "wards": [{"id": "131032", "name": "港区"}]}
    assert sorted(asked) == sorted(e.code for e in directory.special_wards)  # 23 look-ups, whatever the ids


@pytest.mark.parametrize("body, status, says", [
    ("not json", 400, "JSON"),
    ('{"ids": "043613", "properties": []}', 400, "ids"),
    ('{"ids": [1], "properties": [{"id": "kana"}]}', 400, "文字列"),
    ('{"ids": ["043613"], "properties": [{"id": "population"}]}', 400, "population"),
    ('{"ids": ["043613"], "properties": ["kana"]}', 400, "kana"),
    (json.dumps({"ids": [f"{i:06}" for i in range(51)], "properties": [{"id": "kana"}]}), 413, "50"),
    (json.dumps({"ids": ["043613"], "properties": [{"id": "kana"}] * 12}), 413, "11"),
    ("[" * 40_000 + "]" * 40_000, 400, "JSON"),  # nested too deep for the decoder: still a clear answer
])
def test_bad_extension_queries_are_refused_in_japanese(client, body, status, says):
    response = client.post("/reconcile", data={"extend": body})
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert response.headers["access-control-allow-origin"] == "*"


def test_extension_is_rate_limited_per_id(client, monkeypatch):
    from renkei.web import reconciliation
    from renkei.web.ratelimit import RateLimiter

    monkeypatch.setattr(reconciliation, "limiter", RateLimiter(rate=0.001, burst=60))
    query = {"ids": [f"0436{i:02}" for i in range(40)], "properties": [{"id": "kana"}]}
    assert extend(client, query).status_code == 200
    refused = extend(client, query)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["ids", "properties", "other"]), json_value, max_size=3)
       | st.fixed_dictionaries({"ids": st.lists(st.text(max_size=8) | st.sampled_from(["043613", "112046"]),
                                                max_size=5),
                                "properties": st.lists(st.fixed_dictionaries(
                                    {"id": st.sampled_from([p.id for p in EXTENSION_PROPERTIES])}), max_size=4)}))
def test_any_extension_query_gets_a_schema_valid_answer_or_a_4xx(client, query):
    response = client.post("/reconcile", data={"extend": json.dumps(query)})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        valid("data-extension-response", response.json())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40), st.integers(-5, 200))
def test_any_prefix_gets_a_schema_valid_suggestion_list_and_any_id_a_flyout_or_404(client, prefix, cursor):
    response = client.get("/reconcile/suggest/entity", params={"prefix": prefix, "cursor": cursor})
    assert response.status_code == 200, response.text
    valid("suggest-entities-response", response.json())
    assert len(response.json()["result"]) <= 10
    flyout = client.get("/reconcile/flyout", params={"id": prefix})
    assert flyout.status_code in (200, 404)
    assert set(flyout.json()) == ({"id", "html"} if flyout.status_code == 200 else {"error"})
