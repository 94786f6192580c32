"""The public page 「名称をコードに変換」 (in-process; the keyboard and phone checks are in test_browser.py)."""

from __future__ import annotations

import csv
import io
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry  # noqa: E402
from renkei.web import create_app  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory, directory, resolver):
    tmp = tmp_path_factory.mktemp("convert")
    reg = Registry.open(f"sqlite:///{tmp / 'c.sqlite3'}", directory=directory, resolver=resolver)
    yield TestClient(create_app(registry=reg)), reg
    reg.engine.dispose()


@pytest.fixture(autouse=True)
def generous_limit(monkeypatch):
    from renkei.web import convert
    from renkei.web.ratelimit import RateLimiter

    monkeypatch.setattr(convert, "limiter", RateLimiter(rate=100, burst=100))


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_page_is_linked_from_the_navigation(site):
    client, _ = site
    top = client.get("/").text
    assert 'href="/convert/">名称をコードに変換</a>' in top
    page = client.get("/convert/")
    assert page.status_code == 200
    for label in ('for="names"', 'for="file"', 'for="column"', 'for="prefecture"', 'for="as_of"'):
        assert label in page.text  # every control has its label
    assert 'name="csrf_token"' not in page.text  # stateless: nothing to protect, nothing stored


def test_paste_and_see_the_table(site):
    client, reg = site
    audit_before = len(reg.audit_log(limit=1000))
    response = client.post("/convert/", data={"names": "亶理町\n飯館村\n<script>alert(1)</script>\n", "output": "html"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert "043613" in text and "075647" in text and "誤記訂正" in text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert 'class="status-corrected"' in text
    assert len(reg.audit_log(limit=1000)) == audit_before  # nothing written


def test_paste_with_a_prefecture_and_get_csv(site):
    client, _ = site
    response = client.post("/convert/", data={"names": "府中市\n=HYPERLINK(\"x\")\n", "prefecture": "東京都",
                                               "output": "csv"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    rows = csv_rows(response.content)
    assert rows[0][:4] == ["府中市", "132063", "府中市", "東京都"]
    assert rows[1][0] == "'=HYPERLINK(\"x\")"


def test_upload_cp932_csv_and_xlsx_back(site, tmp_path):
    from openpyxl import load_workbook

    client, _ = site
    raw = "番号,都道府県,市区町村\n1,宮城県,亶理町\n2,福島県,飯館村\n".encode("cp932")
    response = client.post("/convert/", data={"output": "xlsx"},
                           files={"file": ("連携先.csv", raw, "text/csv")})
    assert response.status_code == 200, response.text
    assert "%E9%80%A3%E6%90%BA%E5%85%88_%E3%82%B3%E3%83%BC%E3%83%89%E4%BB%98%E3%81%8D.xlsx" in \
        response.headers["content-disposition"]  # 連携先_コード付き.xlsx
    wb = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    assert rows[1][:6] == ["1", "宮城県", "亶理町", "043613", "亘理町", "宮城県"]


def test_upload_xlsx_choosing_sheet_and_column(site, tmp_path):
    from openpyxl import Workbook

    client, _ = site
    wb = Workbook()
    wb.active.append(["メモ"])
    ws = wb.create_sheet("名簿")
    ws.append(["区", "連携先"])
    ws.append(["新宿区", "亘理町"])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client.post("/convert/", data={"output": "csv", "sheet": "名簿", "column": "A"},
                           files={"file": ("a.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert csv_rows(response.content)[1][:3] == ["新宿区", "亘理町", "131041"]


def test_errors_are_japanese_and_keep_the_form(site):
    client, _ = site
    response = client.post("/convert/", data={"names": "", "output": "csv"})
    assert response.status_code == 422 and "名称を貼り付けるか" in response.text
    response = client.post("/convert/", data={"names": "亘理町", "as_of": "いつか"})
    assert response.status_code == 422 and "日付として読めません" in response.text
    response = client.post("/convert/", files={"file": ("bad.xlsx", b"PK\x03\x04broken", "application/octet-stream")})
    assert response.status_code == 422 and "bad.xlsx" in response.text and "XLSX" in response.text
    response = client.post("/convert/", data={"names": "abc\ndef\n"})
    assert response.status_code == 422 and "自治体名らしい値の列が見つかりません" in response.text
    assert "abc\ndef" in response.text  # what was pasted is still there to fix


def test_row_and_byte_limits(site, monkeypatch):
    from renkei.web import convert

    client, _ = site
    monkeypatch.setattr(convert, "MAX_ROWS", 3)
    response = client.post("/convert/", data={"names": "港区\n" * 5})
    assert response.status_code == 413 and "3行まで" in response.text
    monkeypatch.setattr(convert, "MAX_BYTES", 100)
    response = client.post("/convert/", files={"file": ("big.csv", b"x" * 200, "text/csv")})
    assert response.status_code == 413 and "big.csv" in response.text
    monkeypatch.setattr(convert, "MAX_BODY", 1000)  # the whole request is refused before it is parsed
    response = client.post("/convert/", files={"file": ("huge.csv", b"x" * 5000, "text/csv")})
    assert response.status_code == 413 and "MB を超える" in response.text


def test_a_file_name_is_cleaned(site):
    client, _ = site
    response = client.post("/convert/", data={"output": "csv"},
                           files={"file": ("../../etc/市区町村.csv", "市区町村\n港区\n".encode(), "text/csv")})
    assert response.status_code == 200
    assert "etc" not in response.headers["content-disposition"]


def test_the_address_budget_is_charged_by_the_cells_read(site, monkeypatch):
    from renkei.web import convert
    from renkei.web.ratelimit import RateLimiter

    client, _ = site
    monkeypatch.setattr(convert, "limiter", RateLimiter(rate=0.001, burst=100))
    for _i in range(3):  # a narrow paste costs its request and its one cell: 2 of the 100
        assert client.post("/convert/", data={"names": "港区"}).status_code == 200
    wide = "\t".join(["港区", *"x" * 29]) + "\n" + "\t".join(["千代田区", *"y" * 29])  # 60 cells
    assert client.post("/convert/", data={"names": wide}).status_code == 200  # 94 left → 33
    assert client.post("/convert/", data={"names": wide}).status_code == 200  # the budget goes into debt
    refused = client.post("/convert/", data={"names": "港区"})  # so even a narrow one now waits
    assert refused.status_code == 429 and "しばらくしてから" in refused.text
    assert int(refused.headers["retry-after"]) > 1000  # the debt, refilled at 0.001 cell a second


def test_charge_takes_what_was_done_even_beyond_the_bucket():
    from renkei.web.ratelimit import RateLimiter

    limiter = RateLimiter(rate=10, burst=100)
    assert limiter.wait("a", 1, now=0) == 0
    limiter.charge("a", 150, now=0)  # 99 - 150: a debt of 51
    assert limiter.wait("a", 1, now=0) == (1 + 51) / 10
    assert limiter.wait("a", 1, now=5.3) == 0  # refilled: 53 tokens after 5.3 s
    limiter.charge("a", 10_000, now=6)
    assert limiter.wait("a", 1, now=6) == (1 + 100) / 10  # a debt of at most one full bucket
    assert limiter.wait("b", 1, now=6) == 0  # per address


def test_only_a_bounded_number_of_conversions_at_once(site, monkeypatch):
    import threading

    from renkei.web import convert

    client, _ = site
    monkeypatch.setattr(convert, "busy", threading.BoundedSemaphore(1))
    convert.busy.acquire()
    try:
        assert client.post("/convert/", data={"names": "港区"}).status_code == 503
    finally:
        convert.busy.release()
    assert client.post("/convert/", data={"names": "港区"}).status_code == 200


def test_the_upload_limits_of_every_reader_apply(site, monkeypatch):
    client, _ = site
    monkeypatch.setenv("RENKEI_MAX_CELLS_PER_ROW", "2")
    response = client.post("/convert/", data={"names": "港区\t1\t2\n千代田区\t3\t4\n"})
    assert response.status_code == 422 and "上限" in response.text
    monkeypatch.setenv("RENKEI_MAX_UNZIPPED_BYTES", "1000")
    from openpyxl import Workbook

    wb = Workbook()
    for i in range(200):
        wb.active.append(["港区", "x" * 50, i])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client.post("/convert/", files={"file": ("bomb.xlsx", buffer.getvalue(), "application/octet-stream")})
    assert response.status_code == 422 and "bomb.xlsx" in response.text


def _raw_post(app, receive, headers=()):  # type: ignore[no-untyped-def]
    """POST /convert/ straight through the ASGI stack, with our own ``receive``: what the server read, and when."""
    import asyncio

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/convert/", "raw_path": b"/convert/", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=xyz"),
                         *headers], "client": ("127.0.0.9", 1234), "server": ("testserver", 80)}
    sent: list[dict] = []

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return next(m for m in sent if m["type"] == "http.response.start"), b"".join(
        m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_no_free_slot_is_refused_before_the_body_is_read(site, monkeypatch):
    import threading

    from renkei.web import convert

    client, _ = site
    monkeypatch.setattr(convert, "busy", threading.BoundedSemaphore(2))
    reads = []

    async def receive():  # type: ignore[no-untyped-def]
        reads.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}  # an endless upload

    convert.busy.acquire()
    convert.busy.acquire()  # both conversions running
    try:
        start, body = _raw_post(client.app, receive)
    finally:
        convert.busy.release()
        convert.busy.release()
    assert start["status"] == 503 and (b"retry-after", b"10") in start["headers"]
    assert reads == []  # answered without reading a byte of the body
    assert "混み合っています" in body.decode()


def test_a_slow_sender_holds_the_slot_no_longer_than_the_deadline(site, monkeypatch):
    import asyncio
    import time

    from renkei.web import convert

    client, _ = site
    monkeypatch.setenv("RENKEI_MAX_CONVERT_SECONDS", "0.3")

    async def receive():  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.05)  # a trickle that never ends
        return {"type": "http.request", "body": b"x", "more_body": True}

    started = time.monotonic()
    start, body = _raw_post(client.app, receive)
    assert time.monotonic() - started < 3
    assert start["status"] == 408 and "変換が上限 0.3 秒を超えた" in body.decode()
    assert convert.busy.acquire(blocking=False) and convert.busy.acquire(blocking=False)  # both slots free again
    convert.busy.release()
    convert.busy.release()


def test_a_cell_limit_refuses_a_wide_table_before_any_row_is_converted(site, monkeypatch):
    from renkei.web import convert

    client, _ = site
    monkeypatch.setenv("RENKEI_MAX_CELLS", "50")

    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the cells are counted before anything is resolved or written")

    wide = "\n".join("\t".join([name, *"x" * 29]) for name in ("港区", "千代田区"))  # 60 cells
    with monkeypatch.context() as m:
        m.setattr(convert, "write_reconciled", never)
        response = client.post("/convert/", data={"names": wide, "output": "xlsx"})
    assert response.status_code == 422
    assert "セル数が上限 50 を超えています" in response.text and "RENKEI_MAX_CELLS" in response.text
    # width × height overestimates a ragged table: its real cells are counted, and it passes
    ragged = "\t".join(["港区", *"x" * 29]) + "\n" + "千代田区\n" * 5  # 30 + 5 cells, though 6 rows × 30 columns
    assert client.post("/convert/", data={"names": ragged}).status_code == 200


def test_one_deadline_covers_reading_resolving_and_writing(site, monkeypatch, tmp_path):
    import tempfile
    import types

    from renkei.documents import limits

    client, _ = site
    clock = iter(range(0, 10_000))  # every look at the clock is a second later
    monkeypatch.setattr(limits, "time", types.SimpleNamespace(monotonic=lambda: float(next(clock))))
    monkeypatch.setenv("RENKEI_MAX_CONVERT_SECONDS", "40")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    names = "\n".join(["港区", "千代田区", "亶理町"] * 20)
    response = client.post("/convert/", data={"names": names, "output": "xlsx"})
    assert response.status_code == 422 and "変換が上限 40 秒を超えたため中断しました" in response.text
    assert "RENKEI_MAX_CONVERT_SECONDS" in response.text
    assert list(tmp_path.iterdir()) == []  # the half-written download is gone


def test_downloads_are_written_to_a_temporary_file_and_removed_once_sent(site, monkeypatch, tmp_path):
    import tempfile

    from openpyxl import load_workbook

    client, _ = site
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    downloads = {}
    for fmt in ("xlsx", "csv"):
        response = client.post("/convert/", data={"names": "亶理町\n港区", "output": fmt})
        assert response.status_code == 200 and int(response.headers["content-length"]) == len(response.content)
        assert list(tmp_path.iterdir()) == []  # sent, then deleted (XlsxWriter's row files too)
        downloads[fmt] = response.content
    assert load_workbook(io.BytesIO(downloads["xlsx"])).worksheets[0]["A1":"B1"][0][1].value == "043613"
    assert csv_rows(downloads["csv"])[0][:2] == ["亶理町", "043613"]


def test_the_result_shows_the_detected_header_and_offers_the_downloads(site):
    client, _ = site
    pasted = '市区町村\t判定\n庄原市\tx"<y>\n府中市\t'
    page = client.post("/convert/", data={"names": pasted, "prefecture": "広島県"}).text
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert '<th scope="col">市区町村</th><th scope="col">判定</th>' in head  # the input's own header, not A, B
    assert '<th scope="col" class="added">判定2</th>' in head and "判定コード" in head  # never a repeated header
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "市区町村" not in body  # the header row is the table's header, not a data row
    assert '<td class="code">342106</td>' in body and '<td class="code">exact</td>' in body
    assert '<td class="code">342084</td>' in body  # the prefecture chosen for every row
    assert 'id="result"' in page and "autofocus" in page and 'action="/convert/#result"' in page
    downloads = page.split('class="downloads"', 1)[1].split("</form>", 1)[0]
    assert 'value="市区町村\t判定\n庄原市\tx&#34;&lt;y&gt;\n府中市\t"' in downloads  # the paste, escaped
    assert 'name="prefecture" value="広島県"' in downloads
    assert 'value="csv">CSV で受け取る' in downloads and 'value="xlsx">Excel（XLSX）で受け取る' in downloads
    assert 'type="file"' not in downloads
    uploaded = client.post("/convert/", files={"file": ("a.csv", "市区町村\n港区\n".encode(), "text/csv")}).text
    assert 'name="file" type="file" required' in uploaded.split('class="downloads"', 1)[1]  # chosen again


def test_at_most_two_conversions_run_at_once_under_a_crowd(site, monkeypatch):
    import threading
    import time

    from renkei.web import convert

    client, _ = site
    original = convert._convert
    running, peak, lock = [0], [0], threading.Lock()

    def slow(*args):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.15)
            return original(*args)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(convert, "_convert", slow)
    for _round in range(5):
        statuses: list[int] = []
        barrier = threading.Barrier(8)

        def one(barrier: threading.Barrier, statuses: list[int]) -> None:
            barrier.wait()
            statuses.append(client.post("/convert/", data={"names": "港区"}).status_code)

        threads = [threading.Thread(target=one, args=(barrier, statuses)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(statuses)) <= [200, 503] and statuses.count(200) >= 2, statuses
    assert peak[0] == 2  # never a third
    assert convert.busy.acquire(blocking=False) and convert.busy.acquire(blocking=False)  # every slot given back
    convert.busy.release()
    convert.busy.release()


def test_the_pasted_columns_own_prefecture_picks_namesakes(site):
    client, _ = site
    fukuoka = "中央区\n久留米市\n南区\n飯塚市\n東区\n大牟田市\n"
    response = client.post("/convert/", data={"names": fukuoka, "output": "csv"})
    rows = {r[0]: r[1:] for r in csv_rows(response.content)}
    assert rows["中央区"][:3] == ["401331", "福岡市中央区", "福岡県"]
    assert rows["東区"][0] == "401315" and rows["南区"][0] == "401340"
    assert "表の他の行が福岡県" in rows["中央区"][5]
    page = client.post("/convert/", data={"names": fukuoka}).text
    assert "表の他の行から 福岡県" in page and "表の他の行から福岡県と判断 3件" in page  # the summary says so
    tokyo = csv_rows(client.post("/convert/", data={"names": "中央区\n八王子市\n立川市\n武蔵野市\n",
                                                   "output": "csv"}).content)
    assert tokyo[0][:4] == ["中央区", "131024", "中央区", "東京都"]
    mixed = csv_rows(client.post("/convert/", data={"names": "中央区\n八王子市\n久留米市\n札幌市\n仙台市\n那覇市\n",
                                                   "output": "csv"}).content)
    assert mixed[0][1:6] == ["", "", "", "要確認", "ambiguous"]
    chosen = csv_rows(client.post("/convert/", data={"names": fukuoka, "prefecture": "北海道",
                                                    "output": "csv"}).content)
    assert chosen[0][1] == "011011"  # the prefecture chosen for every row wins over the context
