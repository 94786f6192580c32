"""Input at the edges: ids beyond PostgreSQL's INTEGER on every admin route, JSON nested too deep, and CLI
output paths that cannot be written. Each gets a clear answer (422, 400, one Japanese line and exit 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from test_web import make_registry, sign_in

from renkei.cli import cli
from renkei.web import create_app
from renkei.web.params import MAX_JSON_DEPTH

BIG = 2**31


def test_ids_beyond_integer_on_the_admin_routes(db_url, directory, resolver, make_fixtures, tmp_path):
    reg = make_registry(db_url, directory, resolver, make_fixtures, tmp_path)
    try:
        client = TestClient(create_app(registry=reg), raise_server_exceptions=False,
                            cookies=sign_in(create_app(registry=reg), "jimu").cookies)
        form = {"csrf_token": "x", "action": "release", "decision": "approve"}
        requests = [("get", f"/admin/editions/{BIG}/diff", {}), ("post", f"/admin/editions/{BIG}", form),
                    ("post", f"/admin/decisions/{BIG}/undo", form), ("post", f"/admin/changes/{BIG}", form),
                    ("post", f"/admin/users/{BIG}", {**form, "action": "disable"}),
                    ("post", f"/admin/projects/{BIG}/delete", {**form, "version": "1"}),
                    ("post", "/admin/projects/1/delete", {**form, "version": str(BIG)}),
                    ("post", "/admin/projects/1/delete", {**form, "version": "1", "pending": str(BIG)}),
                    ("post", "/admin/projects/1", {**form, "version": "1", "title": "t", "pending": str(BIG)})]
        for method, path, data in requests:
            response = client.get(path) if method == "get" else client.post(path, data=data)
            assert response.status_code == 422, (path, data, response.status_code)
    finally:
        reg.engine.dispose()


@pytest.fixture(scope="module")
def reconcile_client(tmp_path_factory, directory, resolver):
    from renkei.registry import Registry

    reg = Registry.open(f"sqlite:///{tmp_path_factory.mktemp('r') / 'r.sqlite3'}", directory=directory,
                        resolver=resolver, seed=False)
    yield TestClient(create_app(registry=reg), raise_server_exceptions=False)
    reg.engine.dispose()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 50_000])
def test_json_nested_too_deep_is_refused(reconcile_client, depth):
    query = {"q0": {"query": "亘理町", "properties": [{"pid": "x", "v": "@"}]}}
    batch = json.dumps(query).replace('"@"', _nested(depth))
    for response in (reconcile_client.post("/reconcile", content=batch, headers={"content-type": "application/json"}),
                     reconcile_client.post("/reconcile", data={"queries": batch})):
        assert response.status_code == 400, response.text[:200]
        assert "入れ子が深すぎます" in response.json()["error"]
    assert reconcile_client.post("/reconcile", content=_nested(depth),
                                 headers={"content-type": "application/json"}).status_code == 400


def test_json_within_the_depth_is_answered(reconcile_client):
    batch = {"q0": {"query": "亘理町", "properties": [{"pid": "prefecture", "v": "宮城県"}]}}
    response = reconcile_client.post("/reconcile", data={"queries": json.dumps(batch)})
    assert response.status_code == 200 and response.json()["q0"]["result"][0]["id"] == "043613"


@pytest.fixture
def out_paths(tmp_path):
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "target.json")
    return {"dangling": str(dangling), "missing": str(tmp_path / "missing" / "out.csv")}


@pytest.mark.parametrize(("command", "where"), [
    (["backup", "-o"], "dangling"), (["backup", "-o"], "missing"),
    (["export", "-o"], "dangling"), (["export", "--format", "sqlite", "-o"], "missing"),
    (["publish", "--out"], "dangling"), (["template"], "dangling"),
])  # a folder given for a file, or a file for a folder, is click's usage error (exit 2) already
def test_cli_output_paths_that_cannot_be_written(tmp_path, out_paths, command, where):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.sqlite3"), *command, out_paths[where]])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー："), result.output
    assert "Traceback" not in result.output and not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("where", ["dangling", "missing"])
def test_reconcile_output_that_cannot_be_written(tmp_path, out_paths, where):
    table = tmp_path / "t.csv"
    table.write_text("自治体\n亘理町\n", encoding="utf-8")
    target = out_paths[where] if where != "dangling" else str(tmp_path / "link.csv")
    if where == "dangling":
        (tmp_path / "link.csv").symlink_to(tmp_path / "nowhere" / "x.csv")
    result = CliRunner().invoke(cli, ["reconcile", str(table), "-o", target])
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith("エラー：") and len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
