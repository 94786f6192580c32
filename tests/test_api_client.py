"""The OpenAPI contract as a consumer meets it (issue 14): a valid spec with component schemas and documented
error bodies; a Python client generated from it by openapi-python-client parses every `/api/v1` response into
typed objects; CSV on every list endpoint."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

LISTS = ["snapshots", "prefectures", "partners", "wards", "projects", "search?q=仙台", "diff?a=1&b=2"]


@pytest.fixture(scope="module")
def app(api_registry):
    from renkei.web import create_app

    return create_app(registry=api_registry)


@pytest.fixture(scope="module")
def spec(app):
    return TestClient(app).get("/api/v1/openapi.json").json()


@pytest.fixture(scope="module")
def generated(spec, tmp_path_factory):
    """The client openapi-python-client writes from the spec (offline: it needs only the file)."""
    tmp = tmp_path_factory.mktemp("generated")
    (tmp / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    (tmp / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")  # no formatter run needed
    out = tmp / "renkei_api_client"
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(tmp / "spec.json"),
                          "--output-path", str(out), "--meta", "none", "--config", str(tmp / "config.yaml")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
    sys.path.insert(0, str(tmp))
    try:
        package = importlib.import_module("renkei_api_client")
        yield package
    finally:
        sys.path.remove(str(tmp))


def test_the_spec_is_valid_and_every_operation_is_typed(spec):
    from openapi_spec_validator import validate

    validate(spec)
    schemas = spec["components"]["schemas"]
    assert {"Snapshot", "PrefectureSummary", "PartnerPage", "Project", "Government", "Diff", "Message",
            "ValidationProblem"} <= set(schemas)
    operations = [(path, op) for path, item in spec["paths"].items() if path.startswith("/api/v1")
                  for op in item.values()]
    assert len(operations) >= 17
    for path, op in operations:
        ok = op["responses"]["200"]["content"]
        if path.endswith(".csv"):
            assert set(ok) == {"text/csv"}, path
        else:
            schema = ok["application/json"]["schema"]
            assert "$ref" in schema or "$ref" in schema.get("items", {}), path  # never an empty {}
            assert "text/csv" in ok, path
        assert op["responses"]["404"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Message"}, path
        assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ValidationProblem"}, path


def _extra(value: object, where: str = "") -> list[str]:
    """Fields the server sent that the schema does not declare (the generated models keep them aside)."""
    out = []
    if isinstance(value, list):
        for i, v in enumerate(value):
            out += _extra(v, f"{where}[{i}]")
    elif hasattr(value, "additional_properties"):
        import attrs

        declared = [f.name for f in attrs.fields(type(value)) if f.name != "additional_properties"]
        if declared:  # an object with no declared field is a free-form map by design (a validation error's ctx)
            out += [f"{where}.{k}" for k in value.additional_properties]
        for name in declared:
            out += _extra(getattr(value, name), f"{where}.{name}")
    return out


class Enum(tuple):
    """A value the generated client takes as one of its enum classes (``Enum(("ProjectsWard", "中央区"))``)."""


CALLS = [  # (operation, arguments, status, model of the parsed body)
    ("snapshots", {}, 200, "Snapshot"),
    ("prefectures", {"snapshot": 1}, 200, "PrefectureSummary"),
    ("prefecture", {"code": "040002"}, 200, "PrefectureDetail"),
    ("prefecture", {"code": "040002", "snapshot": 1}, 200, "PrefectureDetail"),
    ("prefecture", {"code": "999999"}, 404, "Message"),
    ("partners", {"snapshot": 1, "prefecture": Enum(("PartnersPrefecture", "宮城県")), "limit": 5, "offset": 5}, 200,
     "PartnerPage"),
    ("partners", {"limit": 0}, 422, "ValidationProblem"),
    ("partners", {"snapshot": 2**31}, 422, "ValidationProblem"),
    ("partners", {"snapshot": 2**31 - 1}, 404, "Message"),
    ("government", {"code": "043613"}, 200, "Government"),
    ("government", {"code": "131024"}, 200, "Government"),
    ("government", {"code": "000000"}, 404, "Message"),
    ("wards", {}, 200, "WardSummary"),
    ("ward", {"code": "131024"}, 200, "Ward"),
    ("ward", {"code": "040002"}, 404, "Message"),
    ("projects", {"ward": Enum(("ProjectsWard", "中央区")), "limit": 3}, 200, "ProjectPage"),
    ("projects", {"offset": 2**31}, 422, "ValidationProblem"),
    ("search", {"q": "亶理町"}, 200, "SearchHit"),
    ("search", {"q": ""}, 422, "ValidationProblem"),
    ("diff", {"a": 1, "b": 2}, 200, "Diff"),
    ("diff", {"a": 1, "b": 99}, 404, "Message"),
]


def test_a_generated_client_parses_every_response_into_typed_objects(app, generated):
    from renkei_api_client.client import Client

    client = Client(base_url="http://testserver", raise_on_unexpected_status=True)
    client.set_httpx_client(TestClient(app))
    models = importlib.import_module("renkei_api_client.models")
    operations = {m.name: importlib.import_module(f"renkei_api_client.api.api.{m.name}")
                  for m in pkgutil.iter_modules(importlib.import_module("renkei_api_client.api.api").__path__)}
    assert {name for name, *_ in CALLS} | {f"{n}_csv" for n in ("snapshots", "prefectures", "partners", "wards",
                                                                "projects", "search", "diff")} == set(operations)
    for name, arguments, status, model in CALLS:
        arguments = {k: getattr(models, v[0])(v[1]) if isinstance(v, Enum) else v for k, v in arguments.items()}
        response = operations[name].sync_detailed(client=client, **arguments)
        assert response.status_code == status, (name, arguments, response.content[:200])
        parsed = response.parsed
        items = parsed if isinstance(parsed, list) else [parsed]
        assert items and all(isinstance(x, getattr(models, model)) for x in items), (name, arguments, parsed)
        assert not _extra(parsed), (name, _extra(parsed))  # the schema declares every field sent
    miyagi = models.PartnersPrefecture("040002")
    page = operations["partners"].sync(client=client, snapshot=1, prefecture=miyagi, limit=5)
    assert page.total == 20 and page.items[0].pref_code == "040002" and isinstance(page.items[0].lat, float)
    for name in ("snapshots", "prefectures", "wards", "partners", "projects"):
        csv = operations[f"{name}_csv"].sync(client=client)
        assert isinstance(csv, str) and csv.startswith("\ufeff") and "\r\n" in csv, name


@pytest.mark.parametrize("resource", LISTS)
def test_csv_on_every_list_endpoint(app, resource):
    client = TestClient(app)
    path, _, query = resource.partition("?")
    as_json = client.get(f"/api/v1/{path}" + (f"?{query}" if query else ""))
    suffixed = client.get(f"/api/v1/{path}.csv" + (f"?{query}" if query else ""))
    parameter = client.get(f"/api/v1/{path}?format=csv" + (f"&{query}" if query else ""))
    assert as_json.status_code == suffixed.status_code == parameter.status_code == 200, resource
    assert suffixed.headers["content-type"].startswith("text/csv") and suffixed.content.startswith(b"\xef\xbb\xbf")
    assert suffixed.content == parameter.content and len(suffixed.text.splitlines()) >= 2
    assert client.get(f"/api/v1/{path}.json" + (f"?{query}" if query else "")).json() == as_json.json()


@pytest.mark.parametrize("path", ["/api/v1/projects?offset=9223372036854775808", "/api/v1/diff?a=2147483648",
                                  "/pref/040002/?snapshot=9223372036854775808", "/?snapshot=2147483648",
                                  "/downloads/2147483648/datapackage.json", "/diff/?a=9223372036854775808&b=1"])
def test_numbers_out_of_range_are_refused_not_a_server_error(app, path):
    r = TestClient(app, raise_server_exceptions=False).get(path)
    assert r.status_code in (404, 422), (path, r.status_code)
    if not path.startswith("/api/"):
        assert "入力値が正しくありません" in r.text or "見つかりません" in r.text
