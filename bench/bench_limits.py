#!/usr/bin/env python3
"""Upload cost limits (issue 11, item 5): a 1M-row XLSX must be refused within 10 s, peak RSS under 400 MB,
in the CLI and through a web upload, while the server keeps answering; and a stop (SIGTERM) is prompt.

    python bench/bench_limits.py [--rows 1000000] [--port 8130]

It writes the XLSX (one short text cell per row, shared strings, ≈0.5 MB compressed), then
- runs `renkei check FILE` and prints its exit status, wall time and peak RSS (from wait4);
- starts `renkei serve` on a fresh SQLite file, signs in as an admin, uploads the file, and prints
  the upload's status and time, the server's peak RSS (VmHWM), and the slowest answer of the top page
  requested every 50 ms during the upload; then sends SIGTERM and prints how long the server took to stop.
Before the limits, the same file took 296 s and 3,027 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

RENKEI = [sys.executable, "-m", "renkei"]
PASSWORD = "bench horse battery staple"
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="一覧" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>',
}
NAMES = 900  # distinct shared strings, cycled: the file stays about half a megabyte


def write_xlsx(path: Path, rows: int) -> Path:
    """An XLSX of ``rows`` rows, each one shared-string cell; written streaming, in a few seconds."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                    f'openxmlformats.org/spreadsheetml/2006/main" count="{rows}" uniqueCount="{NAMES}">'
                    + "".join(f"<si><t>自治体{i}</t></si>" for i in range(NAMES)) + "</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            batch = []
            for r in range(1, rows + 1):
                batch.append(b'<row><c t="s"><v>%d</v></c></row>' % (r % NAMES))
                if len(batch) == 10000:
                    sheet.write(b"".join(batch))
                    batch.clear()
            sheet.write(b"".join(batch) + b"</sheetData></worksheet>")
    return path


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit status, seconds, peak RSS in MB, last stderr line) of one command."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace").strip().splitlines()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, took, usage.ru_maxrss / 1024, err[-1] if err else ""


def peak_rss(pid: int) -> float:
    """VmHWM of a running process and its children (uvicorn runs the app in the same process with 1 worker)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    m = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(m.group(1)) / 1024 if m else 0.0


def wait_up(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"the server at {url} did not answer in {seconds} s")


def web(path: Path, port: int, tmp: Path, env: dict[str, str]) -> None:
    import httpx

    db = str(tmp / "bench.sqlite3")
    subprocess.run([*RENKEI, "--db", db, "user", "add", "bench", "--role", "admin"],
                   env={**env, "RENKEI_PASSWORD": PASSWORD}, check=True, capture_output=True)
    server = subprocess.Popen([*RENKEI, "--db", db, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/")
        idle = peak_rss(server.pid)
        client = httpx.Client(base_url=base, timeout=120)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        r = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/upload").text).group(1)
        slowest, stop = [0.0], threading.Event()

        def probe() -> None:  # the top page, every 50 ms, while the upload is parsed
            with httpx.Client(base_url=base, timeout=60) as other:
                while not stop.is_set():
                    t = time.monotonic()
                    other.get("/")
                    slowest[0] = max(slowest[0], time.monotonic() - t)
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        start = time.monotonic()
        with path.open("rb") as fh:
            r = client.post("/admin/upload", data={"csrf_token": token}, files={"file": (path.name, fh)})
        took = time.monotonic() - start
        stop.set()
        prober.join()
        message = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text)
        print(f"web upload: HTTP {r.status_code} in {took:.2f} s; server peak RSS {peak_rss(server.pid):.0f} MB "
              f"(idle {idle:.0f} MB); slowest top page meanwhile {slowest[0] * 1000:.0f} ms")
        print(f"  {message.group(1) if message else r.text[:200]}")
        # SIGTERM while another upload is being parsed: how long until the server is gone
        with path.open("rb") as fh:
            data = fh.read()
        threading.Thread(target=lambda: _quiet_post(base, client.cookies, token, path.name, data), daemon=True).start()
        time.sleep(1.0)
        start = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        print(f"SIGTERM during an upload: the server stopped in {time.monotonic() - start:.2f} s")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _quiet_post(base: str, cookies, token: str, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    import httpx

    with contextlib.suppress(httpx.HTTPError):
        httpx.post(base + "/admin/upload", cookies=cookies, data={"csrf_token": token}, files={"file": (name, data)},
                   timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8130)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="renkei-limits-") as name:
        tmp = Path(name)
        start = time.monotonic()
        path = write_xlsx(tmp / "million.xlsx", args.rows)
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
        print(f"{path.name}: {args.rows:,} rows, {path.stat().st_size / 1024:,.0f} KB "
              f"({unpacked / 1e6:.0f} MB unpacked), written in {time.monotonic() - start:.1f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith("RENKEI_")}
        env["RENKEI_DATABASE_URL"] = str(tmp / "cli.sqlite3")
        code, took, rss, line = run_measured([*RENKEI, "check", str(path)], env)
        print(f"CLI renkei check: exit {code} in {took:.2f} s, peak RSS {rss:.0f} MB")
        print(f"  {line}")
        web(path, args.port, tmp, env)
        print("targets: refused within 10 s, peak RSS under 400 MB, in the CLI and the web")


if __name__ == "__main__":
    main()
