"""Japanese first, checked everywhere a person reads: every page of the web app (public, and signed in as each
role), every report format (text, HTML, XLSX) for the seed and for bad files, and the errors for unreadable files.

The check: no run of three or more English words, outside a short allow-list (file formats, UTF-8, code
identifiers, URLs, proper names of licences and fonts). A new page is found by walking the app's routes, so a
screen added later is checked without editing this test (a new path parameter needs a sample value below).
"""

from __future__ import annotations

import html as htmllib
import re

import pytest
from test_web import fresh, make_registry, sign_in  # noqa: F401  (fixtures and helpers)

URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
COMMAND = re.compile(r"\brenkei(?: +[-\w./=]+)+")  # a command line to type: code, not prose
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
TOKEN = re.compile(r"[A-Za-z0-9_.:/#@&'’-]+|[^\sA-Za-z0-9_.:/#@&'’-]")
# single tokens that are not English prose: formats, encodings, product and licence names
ALLOWED_WORDS = {
    "CSV", "TSV", "XLSX", "XLS", "PDF", "JSON", "GeoJSON", "JSONL", "SVG", "PNG", "HTML", "SQLite", "UTF", "BOM",
    "CP932", "Shift_JIS", "API", "URL", "ID", "OCR", "SHA", "renkei", "OpenAPI", "DTD", "XML", "MB", "KB",
    "CSRF", "htmx", "Datasette", "Frictionless", "jpcity", "localgovjp", "e-Stat", "PDL", "CC", "BY", "MIT", "IPA",
    "IPAex", "Gothic", "Mincho", "OpenRefine", "W3C", "JST", "LGWAN",
}
# proper names of several words (licences, fonts, sources), taken out before counting
ALLOWED_PHRASES = ("IPA Font License", "IPAex Gothic", "Creative Commons", "Public Domain", "Open Data Commons",
                   "code4fukui", "jpcity authors", "Reconciliation Service API", "SmartNews Media Research Institute")
# an exception's class name (BadZipFile, ValueError): never in what a person reads (it is logged instead)
EXCEPTION = re.compile(r"\b(?:[A-Z][A-Za-z]*(?:Error|Exception)|BadZipFile)\b")
# internal keys that must not reach a person: states, booleans, snapshot numbers
INTERNAL = re.compile(r"(?<![\w/.-])(?:draft|published|withdrawn|True|False|None)(?![\w/.-])|(?<![&\w])#\d+")


def english_runs(text: str) -> list[str]:
    """Runs of three or more English words (not allowed words, not URLs, not code identifiers)."""
    text = COMMAND.sub(" ", URL.sub(" ", text))
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    runs, current = [], []
    for token in TOKEN.findall(text):
        word = token.strip(".:,;'’-/")
        plain = bool(WORD.fullmatch(word)) and word not in ALLOWED_WORDS and "_" not in token \
            and not re.search(r"[a-z][A-Z]", word)  # camelCase: an identifier
        if plain:
            current.append(word)
            continue
        if token in ("(", ")", ",") or (token.strip(".:,;-") == "" and token in ".,:;-"):
            continue  # punctuation inside an English sentence does not end it
        if len(current) >= 3:
            runs.append(" ".join(current))
        current = []
    if len(current) >= 3:
        runs.append(" ".join(current))
    return runs


def visible_text(page: str) -> str:
    """What a person reads on a page: text outside tags (no script or style), plus title/alt/aria-label/placeholder."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attrs = " ".join(m.group(2) for m in re.finditer(r'\b(title|alt|aria-label|placeholder)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page)
    return htmllib.unescape(text + " " + attrs)


def test_the_checker_itself():
    assert english_runs("北海道：記載の件数 54、掲載 50（-4）") == []
    assert english_runs("the document stops at 長野県") == ["the document stops at"]
    assert english_runs("UTF-8 の CSV、XLSX、PDF で https://example.jp/a/b/c を参照") == []
    assert english_runs("renkei_partners_2025-08-01.csv と check_report_xlsx") == []
    assert english_runs("IPA Font License v1.0 のフォント") == []
    assert english_runs("付けるには: renkei reconcile 一覧.tsv --column C -o 出力.xlsx") == []
    assert english_runs("(BadZipFile: File is not a zip file)") == ["File is not a zip file"]
    assert english_runs("壊れています（BadZipFile: File is not a zip file）") == ["File is not a zip file"]
    assert internal_words("状態 draft → published、無効 False、スナップショット #3") == [
        "draft", "published", "False", "#3"]
    assert internal_words("/admin/editions#snapshot-3、renkei_draft.csv、第2版") == []
    assert exception_names("壊れています（BadZipFile: …）") == ["BadZipFile"]


def internal_words(text: str) -> list[str]:
    """Internal keys in what a person reads: a state (draft, published, withdrawn), a boolean, or 「#3」."""
    return INTERNAL.findall(URL.sub(" ", text))


def exception_names(text: str) -> list[str]:
    return EXCEPTION.findall(text)


def _routes(app):
    def walk(routes):
        for r in routes:
            if hasattr(r, "original_router"):
                yield from walk(r.original_router.routes)
            else:
                yield r

    for r in walk(app.routes):
        methods = getattr(r, "methods", None) or set()
        path = getattr(r, "path", "")
        if "GET" in methods and not path.startswith(("/api/", "/docs/", "/static", "/downloads/")):
            yield path


def _fill(path: str, reg) -> str:  # type: ignore[no-untyped-def]
    values = {"code": None, "project_id": str(reg.projects(limit=1)[0].id), "snapshot_id": "1", "user_id": "1",
              "decision_id": "1", "change_id": "1", "username": "minato",
              "ext": "csv"}
    if path.startswith("/pref/"):
        values["code"] = "040002"
    elif path.startswith("/gov/"):
        values["code"] = "043613"
    elif path.startswith("/ward/"):
        values["code"] = "131032"
    names = re.findall(r"\{(\w+)\}", path)
    missing = [n for n in names if not values.get(n)]
    assert not missing, f"{path}: give {missing} a sample value in tests/test_japanese_everywhere.py"
    for n in names:
        path = path.replace("{" + n + "}", values[n])
    return path


def _pages(app, reg, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    pages = {}
    for path in _routes(app):
        r = client.get(_fill(path, reg), params={"q": "亶理町"} if "search" in path else None)
        if r.status_code in (200, 403, 404, 409, 422) and "html" in r.headers.get("content-type", ""):
            pages[path] = r.text
    return pages


# pages of the project-change workflow, which names projects and changes 「#12」 until its rewrite (issue 19,
# items 3–5) names them by title: the #N check skips these paths only, every other check applies
NUMBERED_UNTIL_REWRITE: tuple[str, ...] = ()  # every admin page names numbers in words (事業番号 12), never #12


def _failures(pages: dict[str, str]) -> dict[str, list[str]]:
    """English sentences, internal keys (draft, False, #3) and exception names, per page."""
    found = {}
    for where, page in pages.items():
        text = visible_text(page)
        internal = internal_words(text)
        if where.endswith(NUMBERED_UNTIL_REWRITE):
            internal = [w for w in internal if not w.startswith("#")]
        runs = english_runs(text) + internal + exception_names(text)
        if runs:
            found[where] = runs[:5]
    return found


def _a_year_of_editions(reg) -> None:  # type: ignore[no-untyped-def]
    """Every kind of edition and account change, so that the audit log and the editions page show them."""
    from renkei.registry import accounts

    revised = reg.revise(1, actor="jimu")
    reg.release(revised.id, actor="jimu", note="訂正版")
    reg.withdraw(revised.id, reason="訂正の誤り", actor="jimu")
    reg.discard(reg.revise(1, actor="jimu").id, actor="jimu")
    reg.revise(1, actor="jimu")  # a draft stays
    accounts.set_user(reg, "minato", display_name="港区 企画課", actor="jimu")
    accounts.set_disabled(reg, "viewer", True, actor="jimu")
    accounts.set_disabled(reg, "viewer", False, actor="jimu")


def test_every_page_is_japanese(fresh):  # noqa: F811
    from fastapi.testclient import TestClient

    app, reg = fresh
    _a_year_of_editions(reg)
    pages = {f"public {k}": v for k, v in _pages(app, reg, TestClient(app)).items()}
    assert len(pages) >= 10
    for user in ("jimu", "minato", "viewer"):
        client = sign_in(app, user)
        pages |= {f"{user} {k}": v for k, v in _pages(app, reg, client).items()}
    assert any(k.startswith("jimu /admin/audit") for k in pages)
    admin = sign_in(app, "jimu")  # the pages only a POST shows: an upload's report, an unreadable file
    for name, data in _bad_lists(None).items():
        token = re.search(r'name="csrf_token" value="([^"]+)"', admin.get("/admin/upload").text).group(1)
        r = admin.post("/admin/upload", data={"csrf_token": token},
                       files={"file": (name, data, "application/octet-stream")})
        assert r.status_code in (200, 422), (name, r.status_code)
        pages[f"upload {name}"] = r.text
    failures = _failures(pages)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def _bad_lists(tmp_path) -> dict[str, bytes]:
    head = "特別区連携自治体数一覧(令和7年8月1日現在)\n都道府県\t自治体数\t連携事業を実施した区市町村名\n"
    return {
        "problems.tsv": (head + "宮城県\t5\t仙台市\t仙台市\t飯舘村\t亶理町\n岩手県\t1\t盛岡市\n架空県\t1\t港区\n"
                         "北海道\t30\t=HYPERLINK(\"http://x\")\t札幌市\t美幌市\n合計\t37\n※ 注記です\n").encode(),
        "empty.tsv": b"",
        "binary.xlsx": b"PK\x03\x04broken",
        "noheader.tsv": "北海道\t54\t札幌市\n".encode(),
        "cp932.tsv": (head + "北海道\t1\t札幌市\n").encode("cp932")[:40] + "あ".encode() + b"\xff\xfe",
    }


def test_every_report_and_error_is_japanese(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from renkei.cli import cli
    from renkei.seed import default_list_path

    monkeypatch.delenv("RENKEI_LANG", raising=False)
    files = {"seed": default_list_path()}
    for name, data in _bad_lists(tmp_path).items():
        (tmp_path / name).write_bytes(data)
        files[name] = tmp_path / name
    texts = {}
    for name, path in files.items():
        html, xlsx = tmp_path / f"{name}.html", tmp_path / f"{name}.xlsx"
        result = CliRunner().invoke(cli, ["check", str(path), "--html", str(html), "--xlsx", str(xlsx)])
        assert result.exit_code in (0, 1, 2), result.output
        texts[f"{name} text"] = result.output.replace(str(path), "一覧")
        if result.exit_code != 2:
            texts[f"{name} html"] = visible_text(html.read_text(encoding="utf-8"))
            wb = load_workbook(xlsx)
            texts[f"{name} xlsx"] = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                                              if c.value is not None)
    assert "エラー：" in texts["empty.tsv text"] and "[エラー]" in texts["problems.tsv text"]
    found = {k: (english_runs(v) + exception_names(v))[:5] for k, v in texts.items()
             if english_runs(v) or exception_names(v)}  # a broken XLSX: no 「BadZipFile」, it is logged instead
    assert not found


@pytest.mark.parametrize("command", [["snapshots"], ["review"], ["show", "亶理町"], ["diff"], ["template", "."]])
def test_cli_reports_are_japanese(tmp_path, monkeypatch, command):
    from click.testing import CliRunner

    from renkei.cli import cli

    monkeypatch.delenv("RENKEI_LANG", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "r.sqlite3"), *command])
    assert result.exit_code in (0, 1), result.output
    assert not english_runs(result.output), result.output
