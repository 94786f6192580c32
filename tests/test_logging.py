"""Issue 17, item 5: one access line per request with a request id, text or JSON lines through dictConfig, the
serve options, and an unhandled error logged once per request with its traceback at most once per period."""

from __future__ import annotations

import json
import logging
import warnings

import pytest
from click.testing import CliRunner

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei import logs  # noqa: E402
from renkei.cli import cli  # noqa: E402
from renkei.registry import Registry  # noqa: E402
from renkei.web.access import AccessLog  # noqa: E402
from renkei.web.app import create_asgi  # noqa: E402

CONFIGURED = ("renkei", logs.ACCESS, logs.WEB, "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(scope="module")
def registry(tmp_path_factory, directory, resolver):
    reg = Registry.open(f"sqlite:///{tmp_path_factory.mktemp('logs') / 'l.sqlite3'}", directory=directory,
                        resolver=resolver)
    yield reg
    reg.engine.dispose()


@pytest.fixture
def restore_logging():
    """dictConfig changes process-wide loggers: put them back for the other tests (pytest's caplog)."""
    yield
    for name in CONFIGURED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate, logger.disabled = True, False
        logger.setLevel(logging.NOTSET)


def access_records(caplog) -> list[logging.LogRecord]:  # type: ignore[no-untyped-def]
    return [r for r in caplog.records if r.name == logs.ACCESS]


def test_one_access_line_per_request_with_its_id(registry, caplog):
    client = TestClient(create_asgi(registry=registry))
    with caplog.at_level(logging.INFO, logger="renkei"):
        first = client.get("/")
        second = client.get("/", headers={"X-Request-ID": "edge-42.a:b"})  # served from the cache
        odd = client.get("/nowhere", headers={"X-Request-ID": "<script>" + "x" * 200})
    records = access_records(caplog)
    assert len(records) == 3
    assert [r.request_id for r in records] == [first.headers["x-request-id"], "edge-42.a:b",
                                               odd.headers["x-request-id"]]
    assert second.headers["x-request-id"] == "edge-42.a:b" and len(odd.headers["x-request-id"]) == 32
    assert [(r.method, r.path, r.status, r.client) for r in records] == [
        ("GET", "/", 200, "testclient"), ("GET", "/", 200, "testclient"), ("GET", "/nowhere", 404, "testclient")]
    assert all(isinstance(r.duration_ms, float) for r in records)


def test_a_path_cannot_forge_a_log_line(registry, caplog):
    with caplog.at_level(logging.INFO, logger="renkei"):
        TestClient(create_asgi(registry=registry)).get("/x%0A2026-01-01T00:00:00Z%20INFO%20forged")
    (record,) = access_records(caplog)
    assert "\n" not in record.getMessage() and record.path == "/x\\n2026-01-01T00:00:00Z INFO forged"


def test_the_client_is_the_one_the_trusted_proxy_names(registry, caplog, monkeypatch):
    from renkei.web.security import WebSettings

    app = create_asgi(registry=registry, settings=WebSettings(trusted_proxies="testclient,127.0.0.1"))
    with caplog.at_level(logging.INFO, logger="renkei"):
        TestClient(app).get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
        TestClient(create_asgi(registry=registry)).get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert [r.client for r in access_records(caplog)] == ["203.0.113.9", "testclient"]


def test_json_lines_and_no_access_log(capsys, restore_logging):
    logs.configure("INFO", "json", access=True)
    logging.getLogger(logs.ACCESS).info("line", extra={"method": "GET", "path": "/", "status": 200,
                                                       "request_id": "r1", "client": "c", "duration_ms": 1.5})
    logging.getLogger(logs.WEB).debug("not at INFO")
    (line,) = capsys.readouterr().err.splitlines()
    data = json.loads(line)
    assert data["time"].endswith("Z") and data["level"] == "INFO" and data["logger"] == logs.ACCESS
    assert {k: data[k] for k in ("method", "path", "status", "request_id", "client", "duration_ms")} == {
        "method": "GET", "path": "/", "status": 200, "request_id": "r1", "client": "c", "duration_ms": 1.5}
    logs.configure("DEBUG", "text", access=False)
    logging.getLogger(logs.ACCESS).info("hidden")
    logging.getLogger(logs.WEB).debug("shown")
    (text,) = capsys.readouterr().err.splitlines()
    assert text.endswith(" DEBUG renkei.web shown") and text[:4].isdigit()


def test_serve_configures_logging_for_uvicorn(monkeypatch, tmp_path, restore_logging):
    calls = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append(k))
    db = str(tmp_path / "s.sqlite3")
    result = CliRunner().invoke(cli, ["--db", db, "serve", "--no-access-log"],
                                env={"RENKEI_LOG_LEVEL": "warning", "RENKEI_LOG_FORMAT": "json", "RENKEI_SEED": "0"})
    assert result.exit_code == 0, result.output
    (kwargs,) = calls
    config = kwargs["log_config"]
    assert kwargs["access_log"] is False  # uvicorn's own access log: replaced by renkei.access
    assert config == logs.config("WARNING", "json", access=False)
    assert config["loggers"][logs.ACCESS]["level"] == "CRITICAL"
    assert config["formatters"]["renkei"]["()"].endswith("JsonFormatter")
    calls.clear()  # the environment file's RENKEI_ACCESS_LOG=0 does what --no-access-log does
    result = CliRunner().invoke(cli, ["--db", db, "serve"], env={"RENKEI_ACCESS_LOG": "0", "RENKEI_SEED": "0"})
    assert result.exit_code == 0, result.output
    assert calls[0]["log_config"] == logs.config("INFO", "text", access=False)


def test_an_unhandled_error_is_logged_once_with_one_traceback_per_period(registry, caplog):
    clock = [0.0]
    throttle = logs.TracebackThrottle(period=300, clock=lambda: clock[0])
    front = create_asgi(registry=registry)
    fastapi_app = front.app.app  # AccessLog → CacheFront → FastAPI

    @fastapi_app.get("/boom")
    def boom() -> None:
        raise RuntimeError("broken")

    client = TestClient(AccessLog(front.app, throttle))
    with caplog.at_level(logging.INFO, logger="renkei"):
        for step in (0, 10, 200, 301):
            clock[0] = step
            r = client.get("/boom")
            assert r.status_code == 500 and "サーバーでエラーが発生しました" in r.text
    errors = [r for r in caplog.records if r.name == logs.WEB]
    assert len(errors) == 4
    assert [r.exc_info is not None for r in errors] == [True, False, False, True]  # again after 300 s
    assert all((r.method, r.path) == ("GET", "/boom") and r.request_id for r in errors)
    assert [r.status for r in access_records(caplog)] == [500] * 4


def test_the_throttle_tells_errors_apart():
    throttle = logs.TracebackThrottle(period=300, clock=lambda: 0.0)

    def fail(kind: type[Exception]) -> Exception:
        try:
            raise kind("x")
        except Exception as exc:
            return exc

    assert throttle.allow(fail(ValueError)) and throttle.allow(fail(KeyError))
    assert not throttle.allow(fail(ValueError))
