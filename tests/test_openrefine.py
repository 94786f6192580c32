"""OpenRefine (the Debian package ``openrefine``, 3.6) as a real client of the reconciliation service.

A headless OpenRefine on loopback creates a project from a small CSV, reconciles its name column against a
running ``renkei serve`` with the prefecture column as the ``prefecture`` property, then adds columns from
the reconciled values through data extension (``extend-data``), all through OpenRefine's own HTTP API (the
commands its web UI posts, with the CSRF token from ``/command/core/get-csrf-token``): no browser.

OpenRefine's workspace, Java's preferences and Jython's cache all go to a temporary folder (``-d`` and
``HOME``), so nothing is written into the checkout or the user's home; both servers are stopped at the end.
Skipped, with the reason, where Java or OpenRefine is missing, never with CI=true (``.ci/run`` installs
them). Ports are free loopback ports; ``RENKEI_TEST_PORTS=LOW-HIGH`` keeps them within a range.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import IN_CI

OPENREFINE = shutil.which("openrefine")
START_TIMEOUT = 60.0  # seconds for either server to answer
STEP_TIMEOUT = 30.0  # seconds for one OpenRefine operation (reconcile, extend) to finish
CSV = "名称,県\n亶理町,宮城県\n千代田区,東京都\n府中市,広島県\n浦和市,埼玉県\n全く存在しない名前,東京都\n"


def _openrefine_or_skip() -> str:
    missing = [what for what, found in (("java", shutil.which("java")), ("openrefine", OPENREFINE)) if not found]
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but {' and '.join(missing)} is missing: .ci/run installs the package openrefine")
        pytest.skip(f"OpenRefine test skipped: {' and '.join(missing)} not installed (apt-get install openrefine)")
    return OPENREFINE  # type: ignore[return-value]  # not None: checked just above


def _free_ports(n: int) -> list[int]:
    """``n`` distinct free loopback ports: within RENKEI_TEST_PORTS (LOW-HIGH) when set, else ones the system picks."""
    low, _, high = os.environ.get("RENKEI_TEST_PORTS", "").partition("-")
    candidates = range(int(low), int(high or low) + 1) if low else [0] * n
    found: list[int] = []
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            if s.getsockname()[1] not in found:
                found.append(s.getsockname()[1])
        if len(found) == n:
            return found
    raise RuntimeError(f"not {n} free ports in RENKEI_TEST_PORTS={os.environ.get('RENKEI_TEST_PORTS')}")


def _wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer (within {START_TIMEOUT:.0f} s, or the server stopped):\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """Stop a server this test started, with everything it started (its own process group: the JVM too)."""
    def group_alive() -> bool:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        return True

    if group_alive():
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while group_alive() and time.monotonic() < deadline:
        proc.poll()  # reap the leader, so that only live members keep the group
        time.sleep(0.2)
    if group_alive():
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(renkei's base URL, OpenRefine's base URL), both running on loopback until the module ends."""
    openrefine = _openrefine_or_skip()
    tmp = tmp_path_factory.mktemp("openrefine")
    home, workspace = tmp / "home", tmp / "workspace"
    home.mkdir()
    workspace.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "TMPDIR": str(tmp)}
    started: list[subprocess.Popen] = []
    try:
        renkei_port, refine_port = _free_ports(2)
        renkei_log = (tmp / "renkei.log").open("wb")
        started.append(subprocess.Popen(
            [sys.executable, "-m", "renkei", "--db", str(tmp / "renkei.sqlite3"), "serve", "--port", str(renkei_port)],
            cwd=tmp, env=env, stdout=renkei_log, stderr=subprocess.STDOUT, start_new_session=True))
        refine_log = (tmp / "openrefine.log").open("wb")
        started.append(subprocess.Popen(
            [openrefine, "-i", "127.0.0.1", "-p", str(refine_port), "-d", str(workspace), "-m", "512M",
             "-x", "refine.headless=true"],
            cwd=tmp, env=env, stdout=refine_log, stderr=subprocess.STDOUT, start_new_session=True))
        renkei, refine = f"http://127.0.0.1:{renkei_port}", f"http://127.0.0.1:{refine_port}"
        _wait_for(renkei + "/reconcile", started[0], tmp / "renkei.log")
        _wait_for(refine + "/command/core/get-csrf-token", started[1], tmp / "openrefine.log")
        yield renkei, refine
    finally:
        for proc in started:
            _stop(proc)


class Refine:
    """OpenRefine's HTTP API, as its web UI uses it: every POST carries a fresh CSRF token."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=20)

    def token(self) -> str:
        return self.http.get("/command/core/get-csrf-token").json()["token"]

    def post(self, command: str, params: dict[str, str], **kw: object) -> httpx.Response:
        response = self.http.post(f"/command/core/{command}", params={**params, "csrf_token": self.token()}, **kw)
        assert response.status_code in (200, 302), response.text
        return response

    def create_project(self, csv_text: str) -> str:
        options = {"separator": ",", "encoding": "UTF-8", "headerLines": 1, "ignoreLines": -1, "skipDataLines": 0,
                   "limit": -1, "storeBlankRows": True, "guessCellValueTypes": False, "processQuotes": True,
                   "storeBlankCellsAsNulls": True, "includeFileSources": False}
        response = self.post("create-project-from-upload", {},
                             files={"project-file": ("partners.csv", csv_text.encode(), "text/csv")},
                             data={"project-name": "renkei", "format": "text/line-based/*sv",
                                   "options": json.dumps(options)})
        location = response.headers.get("location", "")
        assert "project=" in location, response.text[:500]
        return location.split("project=")[1].split("&")[0]

    def run(self, project: str, command: str, form: dict[str, str], params: dict[str, str] | None = None) -> None:
        """A long-running operation, waited for (OpenRefine answers at once and works in the background)."""
        engine = json.dumps({"facets": [], "mode": "row-based"})
        body = self.post(command, {"project": project, **(params or {})}, data={**form, "engine": engine}).json()
        assert body.get("code") in ("ok", "pending"), body
        deadline = time.monotonic() + STEP_TIMEOUT
        while self.http.get("/command/core/get-processes", params={"project": project}).json()["processes"]:
            assert time.monotonic() < deadline, f"{command} did not finish within {STEP_TIMEOUT:.0f} s"
            time.sleep(0.3)

    def table(self, project: str) -> tuple[list[str], list[list[dict]]]:
        """Column names and rows, each row's cells in column order (None for an empty cell)."""
        columns = self.http.get("/command/core/get-models", params={"project": project}).json()["columnModel"]
        rows = self.http.get("/command/core/get-rows", params={"project": project, "start": 0, "limit": 50}).json()
        names = [c["name"] for c in columns["columns"]]
        index = [c["cellIndex"] for c in columns["columns"]]
        recons = rows.get("pool", {}).get("recons", {})  # a cell's "r" names its reconciliation in the pool

        def read(cell: dict | None) -> dict:
            cell = dict(cell or {})
            if "r" in cell:
                cell["r"] = recons.get(str(cell["r"]), cell["r"])
            return cell

        return names, [[read(r["cells"][i] if i < len(r["cells"]) else None) for i in index] for r in rows["rows"]]


def test_openrefine_reconciles_and_extends_a_column(servers):
    renkei, refine_url = servers
    manifest = httpx.get(renkei + "/reconcile", timeout=10).json()
    service = renkei + "/reconcile"
    refine = Refine(refine_url)
    project = refine.create_project(CSV)

    config = {"mode": "standard-service", "service": service, "identifierSpace": manifest["identifierSpace"],
              "schemaSpace": manifest["schemaSpace"], "type": {"id": "municipality", "name": "市区町村"},
              "autoMatch": True, "limit": 0,
              "columnDetails": [{"column": "県", "property": {"id": "prefecture", "name": "都道府県"}}]}
    refine.run(project, "reconcile", {"columnName": "名称", "config": json.dumps(config)})
    names, rows = refine.table(project)
    cell: Callable[[list[dict], str], dict] = lambda row, column: row[names.index(column)]  # noqa: E731
    matched = {cell(r, "名称")["v"]: (cell(r, "名称").get("r") or {}).get("m") for r in rows}
    assert {k: v["id"] if v else None for k, v in matched.items()} == {
        "亶理町": "043613", "千代田区": "131016", "府中市": "342084", "浦和市": "111007", "全く存在しない名前": None}
    assert matched["亶理町"]["name"] == "亘理町"

    extension = {"properties": [{"id": "prefecture", "name": "都道府県"}, {"id": "kana", "name": "読み"},
                                {"id": "current", "name": "現在の自治体"}]}
    refine.run(project, "extend-data", {"extension": json.dumps(extension, ensure_ascii=False)},
               {"baseColumnName": "名称", "endpoint": service, "identifierSpace": manifest["identifierSpace"],
                "schemaSpace": manifest["schemaSpace"], "columnInsertIndex": "1"})
    names, rows = refine.table(project)
    assert names[:5] == ["名称", "都道府県", "読み", "現在の自治体", "県"], names
    by_name = {cell(r, "名称")["v"]: r for r in rows}
    watari = by_name["亶理町"]
    assert cell(watari, "都道府県")["v"] == "宮城県"
    assert cell(watari, "都道府県")["r"]["m"]["id"] == "040002"  # an entity value: reconciled, with its code
    assert cell(watari, "読み")["v"] == "ワタリチョウ"
    assert cell(by_name["浦和市"], "現在の自治体")["v"] == "さいたま市"
    assert cell(by_name["千代田区"], "都道府県")["v"] == "東京都"
    assert not cell(by_name["全く存在しない名前"], "都道府県").get("v")  # not matched: nothing to extend


@pytest.mark.parametrize("in_ci", [False, True])
def test_missing_openrefine_skips_with_the_reason_but_fails_in_ci(monkeypatch, in_ci):
    import test_openrefine as module

    monkeypatch.setattr(module, "OPENREFINE", None)
    monkeypatch.setattr(module, "IN_CI", in_ci)
    outcome = pytest.fail.Exception if in_ci else pytest.skip.Exception
    with pytest.raises(outcome, match="openrefine"):
        module._openrefine_or_skip()
