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


def test_rate_limited_per_address(site, monkeypatch):
    from renkei.web import convert
    from renkei.web.ratelimit import RateLimiter

    client, _ = site
    monkeypatch.setattr(convert, "limiter", RateLimiter(rate=0.001, burst=2))
    assert client.post("/convert/", data={"names": "港区"}).status_code == 200
    assert client.post("/convert/", data={"names": "港区"}).status_code == 200
    refused = client.post("/convert/", data={"names": "港区"})
    assert refused.status_code == 429 and "しばらくしてから" in refused.text


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
