"""The web site, JSON API and signed-in area, in-process (FastAPI's TestClient). Browser tests: test_browser.py."""

from __future__ import annotations

import re
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning, module="fastapi.testclient")
from fastapi.testclient import TestClient  # noqa: E402

from renkei.registry import Registry, accounts  # noqa: E402
from renkei.web import create_app  # noqa: E402

PASSWORD = "correct horse battery"
MINATO, CHUO = "131032", "131024"


def make_registry(url, directory, resolver, make_fixtures, tmp_path):
    reg = Registry.open(url, directory=directory, resolver=resolver)
    path = make_fixtures.write_projects(make_fixtures.project_grid(80), tmp_path / "projects.csv")
    reg.import_file(path, imported_by="fixture")  # projects only, approved at once
    derived = reg.derive(since="2019-04-01", until="2026-03-31", actor="fixture")  # the list derived from them
    reg.release(derived.snapshot.id, actor="fixture")
    accounts.add_user(reg, "jimu", PASSWORD, "admin", display_name="事務局")
    accounts.add_user(reg, "minato", PASSWORD, "ward", "港区")
    accounts.add_user(reg, "chuo", PASSWORD, "ward", "中央区")
    accounts.add_user(reg, "viewer", PASSWORD, "viewer")
    return reg


@pytest.fixture(scope="module")
def site(tmp_path_factory, directory, resolver, make_fixtures):
    """A read-mostly site shared by the public-page tests."""
    tmp = tmp_path_factory.mktemp("web")
    reg = make_registry(f"sqlite:///{tmp / 'web.sqlite3'}", directory, resolver, make_fixtures, tmp)
    yield TestClient(create_app(registry=reg)), reg
    reg.engine.dispose()


@pytest.fixture
def fresh(tmp_path, directory, resolver, make_fixtures):
    """A site of its own, for tests that change things."""
    reg = make_registry(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory, resolver, make_fixtures, tmp_path)
    app = create_app(registry=reg)
    yield app, reg
    reg.engine.dispose()


def sign_in(app, username: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/admin/"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/"
    return client


def csrf_of(client: TestClient, path: str = "/admin/") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def project_of(reg, ward: str):
    return reg.projects(ward=ward, limit=1)[0]


def shown_ids(admin: TestClient, ward: str) -> dict:
    """The form of 「すべて承認」 for ``ward`` as the changes page shows it: the CSRF token and the ids it lists."""
    page = admin.get("/admin/changes").text
    form = re.search(rf'action="/admin/changes/ward/{ward}">(.*?)</form>', page, re.S).group(1)
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
            "change_ids": re.findall(r'name="change_ids" value="(\d+)"', form)}


def approve_ward(app, ward: str) -> None:
    """The secretariat approves every pending change of ``ward`` in the browser."""
    admin = sign_in(app, "jimu")
    r = admin.post(f"/admin/changes/ward/{ward}", data=shown_ids(admin, ward), follow_redirects=True)
    assert r.status_code == 200 and "承認しました" in r.text


def form_of(p, **changes):
    data = {"version": str(p.version), "title": p.title, "field": p.field or "",
            "fiscal_year": str(p.fiscal_year or ""),
            "start_date": p.start_date or "", "end_date": p.end_date or "", "summary": p.summary,
            "source_url": p.source_url, "wards": [w for w, _ in p.wards],
            "partners": "、".join(c for c, _, _ in p.partners if c)}
    data.update(changes)
    return data


# -- public pages --------------------------------------------------------------------------------------------

def test_top_page(site):
    client, _ = site
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<html lang="ja">' in html and "特別区と全国の自治体の連携" in html
    links = re.findall(r'<a href="/pref/(\d{6})/" aria-label="([^"]+)"><path class="pref"', html)
    assert len(links) == 47  # the whole national map is clickable
    assert ("040002", "宮城県") in links
    assert "令和7年8月1日現在" in html or "令和8年" in html
    assert 'option value="1"' in html and 'option value="2"' in html  # the snapshot picker
    assert "前回からの変更" in html and "追加" in html
    old = client.get("/?snapshot=1").text
    assert "令和7年8月1日現在（第1版）の集計" in old and "この版より前の公表版はありません" in old
    assert "北海道〜長野県のみを収録" in old  # the edition's public note
    assert client.get("/?snapshot=99").status_code == 404


def test_prefecture_page(site):
    client, reg = site
    html = client.get("/pref/040002/?snapshot=1").text
    listed = html.split('id="projects-h"')[0]  # partners by projects only follow in a table of their own
    codes = re.findall(r"<tr><td><code>(\d{6})</code></td>", listed)
    assert codes == [p.code for p in reg.partners(1, "宮城県")] and codes == sorted(codes)
    assert "※原資料の「亶理町」を「亘理町」と訂正" in html and "※原資料の記載4件が欠落" in html
    assert "亶理町（誤記訂正）" in html and '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert client.get("/pref/999999/").status_code == 404
    assert client.get("/pref/043613/").status_code == 404  # a town is not a prefecture


def test_government_page(site):
    client, _ = site
    html = client.get("/gov/043613/").text
    assert "亘理町<span class=\"kana\">（ワタリチョウ）</span>" in html and "<code>043613</code>" in html
    assert "<td>亶理町</td><td>誤記訂正</td><td>L17</td>" in html  # its history across snapshots
    assert "https://www.town.watari.miyagi.jp/" in html
    assert client.get("/gov/000000/").status_code == 404


def test_an_ended_codes_page_says_it_ended_and_links_every_successor(site):
    client, _ = site
    response = client.get("/gov/193411/")  # 上九一色村, split between two towns in 2006
    assert response.status_code == 200
    html = response.text
    assert "<h1>上九一色村" in html and "<code>193411</code>" in html and "山梨県" in html
    assert "平成18年3月1日" in html and "編入合併により終了しました" in html
    assert '<a href="/gov/192015/">山梨県甲府市</a>' in html and '<a href="/gov/194301/">山梨県富士河口湖町</a>' in html
    assert client.get("/gov/112046/").status_code == 200  # 浦和市
    assert '<a href="/gov/111007/">埼玉県さいたま市</a>' in client.get("/gov/112046/").text


def test_pages_say_where_a_partnership_comes_from(fresh):
    """「公表一覧に掲載」 from the edition, 「連携事業」 from approved projects; a ward's government page links
    its ward page."""
    app, reg = fresh
    client = TestClient(app)
    listed = {p.code for p in reg.partners()}
    new = next(e.code for e in reg.directory.local_governments("沖縄県") if e.code not in listed)
    reg.add_project(title="新しい連携", wards=[MINATO], partners=[new], actor="jimu")  # after the edition
    with_projects = set(reg.ward_partners(MINATO))
    both, projects_only = sorted(listed & with_projects), sorted(with_projects - listed)
    assert both and projects_only
    ward = client.get(f"/ward/{MINATO}/").text
    in_list, _, projects_only_part = ward.partition(f"連携事業のみ（{len(projects_only)}）")
    assert in_list.count('<li><a href="/gov/') == len(both) and f"公表一覧にも掲載（{len(both)}）" in in_list
    assert projects_only_part.count('<li><a href="/gov/') == len(projects_only)
    gov = client.get(f"/gov/{both[0]}/").text
    assert "公表一覧に掲載</span>（" in gov and "承認済みの連携事業" in gov
    gov = client.get(f"/gov/{projects_only[0]}/").text
    assert "公表一覧に掲載</span>（" not in gov and "承認済みの連携事業" in gov
    minato = client.get(f"/gov/{MINATO}/").text
    assert f'href="/ward/{MINATO}/"' in minato and "港区の連携先と連携事業" in minato
    assert "特別区のページ" not in client.get("/gov/043613/").text  # not a ward: no such link


def test_ward_page(site):
    client, reg = site
    html = client.get(f"/ward/{MINATO}/").text
    projects = reg.projects(ward=MINATO, limit=1000)
    assert "港区の連携先と連携事業" in html and f"連携事業 {len(projects)}" in html
    assert f'<img src="/ward/{MINATO}/map.svg"' in html  # the map of lines out from the ward, one file for all pages
    assert client.get(f"/ward/{MINATO}/map.svg").text.count('class="link"') >= 1
    assert client.get("/ward/043613/").status_code == 404
    assert client.get("/ward/").text.count('href="/ward/13') == 23


@pytest.mark.parametrize(("query", "code"), [("亶理町", "043613"), ("いいたてむら", "075647"), ("木曾町", "204323"),
                                             ("ワタリチョウ", "043613"), ("千代田区", "131016"), ("宮城", "040002")])
def test_search_tolerates_kana_variants_and_typos(site, query, code):
    client, _ = site
    html = client.get("/search/", params={"q": query}).text
    first = re.search(r'<ol class="results"><li><a href="/(?:gov|pref)/(\d{6})/">', html)
    assert first and first.group(1) == code, html[html.find("results"):][:400]


def test_search_suggestions_and_shareable_urls(site):
    client, _ = site
    part = client.get("/search/suggest", params={"q": "わたり"}).text
    assert part.startswith('<ul class="suggest"') and "/gov/043613/" in part
    assert client.get("/search/suggest", params={"q": ""}).text.strip() == ""
    page = client.get("/search/?q=%E4%BA%B6%E7%90%86%E7%94%BA")  # the URL is the search: it can be shared
    assert "「亶理町」は「亘理町」として判定しました" in page.text
    assert 'data-hx-get="/search/suggest"' in page.text and '<script src="/static/vendor/htmx.min.js"' in page.text
    assert client.get("/static/vendor/htmx.min.js").status_code == 200


def test_downloads(site):
    client, _ = site
    html = client.get("/downloads/").text
    links = re.findall(r'href="(/downloads/\d+/[^"]+)"', html)
    assert len(links) == 2 * 17  # 16 formats and datapackage.json per snapshot
    package = client.get("/downloads/1/datapackage.json").json()
    import hashlib

    for res in package["resources"]:  # every resource is a download next to it, with the right hash
        raw = client.get(f"/downloads/1/{res['path']}").content
        assert res["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    for path in [link for link in links if link.startswith("/downloads/1/")]:
        r = client.get(path)
        assert r.status_code == 200, path
        if path.endswith(".xlsx"):
            assert r.content.startswith(b"PK")
        if path.endswith(".pdf"):
            assert r.content.startswith(b"%PDF")
        if path.endswith(".png"):
            assert r.content.startswith(b"\x89PNG")
    db = client.get("/downloads/renkei.sqlite3")
    assert db.status_code == 200 and db.content.startswith(b"SQLite format 3")
    assert client.get("/downloads/1/nothing.csv").status_code == 404


def test_public_sqlite_has_no_accounts(site, tmp_path):
    client, _ = site
    path = tmp_path / "public.sqlite3"
    path.write_bytes(client.get("/downloads/renkei.sqlite3").content)
    import sqlite3

    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM users").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM partners").fetchone()[0] > 500


def test_diff_and_about(site):
    client, _ = site
    html = client.get("/diff/?a=1&b=2").text
    assert "令和7年8月1日現在（第1版）" in html and "<ins>" in html
    about = client.get("/about/").text
    for line in ("出典：アドレス・ベース・レジストリ（デジタル庁）を加工して作成",
                 "国土数値情報（行政区域データ）（国土交通省）を加工して作成", "CC BY 4.0"):
        assert line in about


def test_pages_are_cached_with_etags(site):
    client, _ = site
    r = client.get("/pref/040002/")
    assert r.headers["cache-control"].startswith("public") and r.headers["etag"]
    again = client.get("/pref/040002/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


# -- API -----------------------------------------------------------------------------------------------------

def test_api_prefectures(site):
    client, reg = site
    data = client.get("/api/v1/prefectures?snapshot=1").json()
    assert len(data) == 47 and data[3]["code"] == "040002" and data[3]["partners"] == 20
    assert data[3]["coverage_percent"] == 55.6 and data[3]["declared"] == 24
    one = client.get("/api/v1/prefectures/040002?snapshot=1").json()
    assert [p["code"] for p in one["partners_list"]] == [p.code for p in reg.partners(1, "宮城県")]
    csv_r = client.get("/api/v1/prefectures/040002.csv?snapshot=1")
    assert csv_r.headers["content-type"].startswith("text/csv") and csv_r.content.startswith(b"\xef\xbb\xbf")
    lines = csv_r.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "code,name,kana,kind,lat,lon,written,status" and len(lines) == 21
    assert client.get("/api/v1/prefectures/999999").status_code == 404


def test_api_pagination_and_filters(site):
    client, reg = site
    page = client.get("/api/v1/partners?snapshot=1&limit=10&offset=5").json()
    got = (page["total"], page["limit"], page["offset"], page["next_offset"], len(page["items"]))
    assert got == (520, 10, 5, 15, 10)
    assert [p["code"] for p in page["items"]] == [p.code for p in reg.partners(1)][5:15]
    miyagi = client.get("/api/v1/partners", params={"snapshot": 1, "prefecture": "宮城県", "limit": 100}).json()
    assert miyagi["total"] == 20 and miyagi["next_offset"] is None
    projects = client.get("/api/v1/projects", params={"ward": "港区", "limit": 5}).json()
    assert projects["total"] == reg.count_projects(ward=MINATO) and len(projects["items"]) <= 5
    assert all(MINATO in [w["code"] for w in p["wards"]] for p in projects["items"])
    field = client.get("/api/v1/projects", params={"field": "観光", "year": 2025}).json()
    assert all(p["field"] == "観光" and p["fiscal_year"] == 2025 for p in field["items"])
    assert field["total"] == reg.count_projects(field="観光", year=2025)
    assert client.get("/api/v1/projects", params={"prefecture": "ほげ県"}).status_code == 422
    assert client.get("/api/v1/projects", params={"field": "グルメ"}).status_code == 422
    assert client.get("/api/v1/projects", params={"limit": 0}).status_code == 422
    csv_text = client.get("/api/v1/projects?format=csv&limit=3").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("id,version,title,field,fiscal_year")


def test_api_etag_and_cache_control(site):
    client, _ = site
    r = client.get("/api/v1/prefectures/040002")
    assert "max-age" in r.headers["cache-control"] and r.headers["etag"].startswith('"')
    assert client.get("/api/v1/prefectures/040002", headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_api_government_ward_search_diff(site):
    client, _ = site
    gov = client.get("/api/v1/governments/043613").json()
    assert gov["name"] == "亘理町" and gov["snapshots"][0]["written"] == "亶理町"
    ward = client.get(f"/api/v1/wards/{MINATO}.json").json()
    assert ward["name"] == "港区" and ward["projects"]
    assert len(client.get("/api/v1/wards").json()) == 23
    found = client.get("/api/v1/search", params={"q": "亶理町"}).json()
    assert found[0]["code"] == "043613"
    dated = client.get("/api/v1/search", params={"q": "浦和市", "as_of": "2000-01-01"}).json()
    assert dated[0]["code"] == "111007" and "2000-01-01" in dated[0]["how"]
    assert client.get("/api/v1/search", params={"q": "浦和市", "as_of": "someday"}).status_code == 422
    both = client.get("/api/v1/search", params={"q": "亘理町・大潟村"}).json()
    assert {"043613", "053686"} <= {x["code"] for x in both}
    d = client.get("/api/v1/diff?a=1&b=2").json()
    assert d["a"]["id"] == 1 and d["b"]["id"] == 2
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "renkei API"


# -- signed-in area and security -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/", "/admin/projects", "/admin/projects/1", "/admin/review", "/admin/upload",
                                  "/admin/audit"])
def test_signed_in_pages_redirect_anonymous_users(site, path):
    client, _ = site
    r = TestClient(client.app).get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_session_cookie_flags_and_open_redirect(fresh):
    app, _ = fresh
    client = TestClient(app)
    page = client.get("/login")
    assert "httponly" in page.headers["set-cookie"].lower() and "samesite=strict" in page.headers["set-cookie"].lower()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": "jimu", "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/admin/"  # never an open redirect
    cookie = r.headers["set-cookie"].lower()
    assert "renkei_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert r.headers["x-frame-options"] == "DENY" and "default-src 'self'" in r.headers["content-security-policy"]


def test_login_needs_csrf_and_is_rate_limited(fresh):
    app, _ = fresh
    client = TestClient(app)
    r = client.post("/login", data={"username": "jimu", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    for _ in range(5):
        bad = client.post("/login", data={"username": "jimu", "password": "wrong password!", "csrf_token": token})
        assert bad.status_code == 401 and "ユーザー名またはパスワードが違います" in bad.text
    slowed = client.post("/login", data={"username": "jimu", "password": PASSWORD, "csrf_token": token})
    assert slowed.status_code == 429 and "しばらく待って" in slowed.text  # even the right password, from here
    assert int(slowed.headers["retry-after"]) >= 1  # a delay, not a lock: see test_accounts.py


def test_ward_editor_cannot_change_another_wards_project(fresh):
    app, reg = fresh
    chuo_project = next(p for p in reg.projects(ward=CHUO, limit=100) if MINATO not in {w for w, _ in p.wards})
    minato = sign_in(app, "minato")
    token = csrf_of(minato)
    r = minato.post(f"/admin/projects/{chuo_project.id}", data={**form_of(chuo_project, title="乗っ取り"),
                                                                 "csrf_token": token})
    assert r.status_code == 403
    assert reg.project(chuo_project.id).title == chuo_project.title
    assert "閲覧のみ" in minato.get(f"/admin/projects/{chuo_project.id}").text
    viewer = sign_in(app, "viewer")
    r = viewer.post(f"/admin/projects/{chuo_project.id}", data={**form_of(chuo_project), "csrf_token": csrf_of(viewer)})
    assert r.status_code == 403


def test_forms_without_csrf_are_refused(fresh):
    app, reg = fresh
    admin = sign_in(app, "jimu")
    p = project_of(reg, CHUO)
    r = admin.post(f"/admin/projects/{p.id}", data=form_of(p, title="CSRFなし"))
    assert r.status_code == 403 and "CSRF" in r.text
    r = admin.post(f"/admin/projects/{p.id}", data={**form_of(p, title="偽トークン"), "csrf_token": "x" * 43})
    assert r.status_code == 403
    assert reg.project(p.id).title == p.title


def test_script_in_a_title_comes_back_escaped(fresh):
    app, reg = fresh
    chuo = sign_in(app, "chuo")
    p = project_of(reg, CHUO)
    evil = '<script>alert("x")</script>'
    r = chuo.post(f"/admin/projects/{p.id}", data={**form_of(p, title=evil), "csrf_token": csrf_of(chuo)},
                  follow_redirects=True)
    assert r.status_code == 200 and "変更を申請しました" in r.text
    pending = {"saved": r.text, "list": chuo.get("/admin/projects").text,
               "changes": sign_in(app, "jimu").get("/admin/changes").text}
    approve_ward(app, CHUO)
    pages = {**pending, "ward": TestClient(app).get(f"/ward/{CHUO}/").text,
             "audit": sign_in(app, "jimu").get("/admin/audit").text}
    for name, page in pages.items():
        assert evil not in page, name
        assert "&lt;script&gt;" in page or "\\u003cscript\\u003e" in page, name


def test_edit_and_conflict(fresh):
    app, reg = fresh
    p = project_of(reg, CHUO)
    a, b = sign_in(app, "chuo"), sign_in(app, "jimu")
    form_a, form_b = a.get(f"/admin/projects/{p.id}").text, b.get(f"/admin/projects/{p.id}").text
    assert f'name="version" value="{p.version}"' in form_a and f'name="version" value="{p.version}"' in form_b
    first = a.post(f"/admin/projects/{p.id}", data={**form_of(p, title="Aの変更"), "csrf_token": csrf_of(a)})
    assert first.status_code == 200 and "変更を申請しました" in first.text
    assert reg.project(p.id).title == p.title  # waiting for approval
    second = b.post(f"/admin/projects/{p.id}", data={**form_of(p, title="Bの変更"), "csrf_token": csrf_of(b)})
    assert second.status_code == 409  # B's form did not show A's pending change
    assert "編集が競合しました" in second.text and "Aの変更" in second.text and "Bの変更" in second.text
    approve_ward(app, CHUO)
    assert reg.project(p.id).title == "Aの変更" and reg.project(p.id).version == p.version + 1
    log = sign_in(app, "jimu").get("/admin/audit").text
    assert "Aの変更" in log and "chuo" in log


def test_create_project(fresh):
    app, reg = fresh
    minato = sign_in(app, "minato")
    data = {"csrf_token": csrf_of(minato), "title": "新しい事業", "field": "観光", "fiscal_year": "2026",
            "start_date": "", "end_date": "", "summary": "", "source_url": "", "wards": [MINATO],
            "partners": "亘理町、075647"}
    before = reg.count_projects()
    r = minato.post("/admin/projects/new", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/changes?proposed=")
    assert reg.count_projects() == before and "新しい事業" in minato.get("/admin/projects").text  # marked pending
    approve_ward(app, MINATO)
    (p,) = [p for p in reg.projects(ward=MINATO, limit=1000) if p.title == "新しい事業"]
    assert [c for c, _, _ in p.partners] == ["043613", "075647"]
    bad = minato.post("/admin/projects/new", data={**data, "wards": [CHUO]})
    assert bad.status_code == 403  # only its own ward's projects
    unknown = minato.post("/admin/projects/new", data={**data, "partners": "ほげほげ村"})
    assert unknown.status_code == 422 and "「ほげほげ村」を特定できません" in unknown.text


def test_review_queue(fresh):
    app, reg = fresh
    reg.revise(1)  # decisions apply to drafts: a draft copy of the published seed
    admin = sign_in(app, "jimu")
    page = admin.get("/admin/review").text
    assert "宮城県「亶理町」" in page and "「亘理町」で確定" in page
    token = csrf_of(admin)
    r = admin.post("/admin/review", data={"csrf_token": token, "pref_code": "040002", "written": "亶理町",
                                          "action": "accept", "code": "043613"}, follow_redirects=True)
    assert r.status_code == 200 and "宮城県「亶理町」</h2>" not in r.text
    r = admin.post("/admin/review", data={"csrf_token": token, "pref_code": "010006", "written": "美幌市",
                                          "action": "manual", "code": "015431"}, follow_redirects=True)
    assert "北海道「美幌市」</h2>" not in r.text
    assert reg.decisions()[-1]["decided_by"] == "jimu"
    ward = sign_in(app, "minato")
    assert ward.post("/admin/review", data={"csrf_token": csrf_of(ward), "pref_code": "040002", "written": "x",
                                            "action": "accept", "code": "043613"}).status_code == 403


def test_upload_confirm_and_cancel(fresh, tmp_path, make_fixtures):
    app, reg = fresh
    admin = sign_in(app, "jimu")
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="cp932", newline="\r\n")
    before = len(reg.snapshots())
    r = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin)},
                   files={"file": ("r8.csv", path.read_bytes(), "text/csv")})
    assert r.status_code == 200 and "検証結果：r8.csv" in r.text and "要確認 <strong>1</strong>" in r.text
    assert "<td>亶理町</td><td>誤記訂正</td><td>亘理町</td>" in r.text
    token = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    assert len(reg.snapshots()) == before  # nothing written yet
    done = admin.post(f"/admin/upload/{token}", data={"csrf_token": csrf_of(admin), "decision": "import"})
    assert "取り込みました" in done.text and len(reg.snapshots()) == before + 1
    r = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin)},
                   files={"file": ("again.csv", path.read_bytes(), "text/csv")})
    token = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    cancelled = admin.post(f"/admin/upload/{token}", data={"csrf_token": csrf_of(admin), "decision": "cancel"})
    assert "取り込みを取り消しました" in cancelled.text and len(reg.snapshots()) == before + 1
    broken = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin)},
                        files={"file": ("broken.xlsx", b"PK\x03\x04broken", "application/octet-stream")})
    assert broken.status_code == 422 and "broken.xlsx" in broken.text
    assert "壊れているか、途中で切れています" in broken.text


def test_ward_uploads_only_its_own_projects(fresh, tmp_path, make_fixtures):
    """A ward's template only proposes its own projects: bad rows all reported, then pending, never a list."""
    app, reg = fresh
    snapshots = len(reg.snapshots())
    minato = sign_in(app, "minato")
    grid = make_fixtures.project_grid(10)
    path = make_fixtures.write_projects(grid, tmp_path / "p.csv")
    r = minato.post("/admin/upload", data={"csrf_token": csrf_of(minato)},
                    files={"file": ("p.csv", path.read_bytes(), "text/csv")})
    others = sum("港区" not in row[0] for row in grid[1:])
    assert r.status_code == 422 and r.text.count("港区以外の事業は登録できません") == others  # every row at once
    assert f"問題のある行が{others}件" in r.text and 'action="/admin/upload/' not in r.text  # cannot be confirmed
    own = [grid[0]] + [[("港区" if i == 0 else c) for i, c in enumerate(row)] for row in grid[1:]]
    path = make_fixtures.write_projects(own, tmp_path / "own.csv")
    r = minato.post("/admin/upload", data={"csrf_token": csrf_of(minato)},
                    files={"file": ("own.csv", path.read_bytes(), "text/csv")})
    assert r.status_code == 200 and "連携事業テンプレート" in r.text
    added = int(re.search(r"追加 (\d+)・変更 0・変更なし (\d+)", r.text).group(1))
    assert added > 0  # rows already registered for 港区 alone (the fixture's) are unchanged
    token = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    public = TestClient(app).get(f"/ward/{MINATO}/").text
    done = minato.post(f"/admin/upload/{token}", data={"csrf_token": csrf_of(minato), "decision": "import"})
    assert "承認を申請しました" in done.text and len(reg.changes(ward=MINATO)) == added
    assert TestClient(app).get(f"/ward/{MINATO}/").text == public and len(reg.snapshots()) == snapshots
    approve_ward(app, MINATO)
    assert TestClient(app).get(f"/ward/{MINATO}/").text != public and len(reg.snapshots()) == snapshots
    lists = make_fixtures.write_text(make_fixtures.published_grid([("宮城県", ["仙台市"])]), tmp_path / "l.tsv",
                                     delimiter="\t", encoding="utf-8", newline="\n")
    r = minato.post("/admin/upload", data={"csrf_token": csrf_of(minato)},
                    files={"file": ("l.tsv", lists.read_bytes(), "text/plain")})
    assert r.status_code == 403


def test_audit_log_is_for_admins(fresh):
    app, _ = fresh
    assert sign_in(app, "minato").get("/admin/audit").status_code == 403
    page = sign_in(app, "jimu").get("/admin/audit").text
    assert "変更履歴" in page and "import" in page and "users" in page


def test_user_add_cli(tmp_path):
    from click.testing import CliRunner

    from renkei.cli import cli

    db = str(tmp_path / "u.sqlite3")
    r = CliRunner().invoke(cli, ["--db", db, "user", "add", "minato1", "--role", "ward", "--ward", "港区"],
                           env={"RENKEI_PASSWORD": PASSWORD})
    assert r.exit_code == 0 and "アカウント minato1 を作成しました（区の担当者・港区）" in r.output
    bad = CliRunner().invoke(cli, ["--db", db, "user", "add", "x", "--role", "ward"], env={"RENKEI_PASSWORD": PASSWORD})
    assert bad.exit_code == 1 and "--ward" in bad.output
    reg = Registry(db)
    from sqlalchemy import select

    from renkei.registry.schema import User

    with reg.Session() as s:
        assert s.scalar(select(User.password_hash)).startswith("$argon2id$")
    assert "minato1" in CliRunner().invoke(cli, ["--db", db, "user", "list"]).output


def test_cache_front(fresh):
    """`renkei serve` runs the app behind CacheFront: repeated public GETs come from memory, changes show at once."""
    from renkei.web.app import CacheFront

    app, reg = fresh
    front = TestClient(CacheFront(app, app.state.site))
    first = front.get(f"/ward/{CHUO}/")
    calls = []
    original = app.state.site.cached
    app.state.site.cached = lambda *a, **k: calls.append(1) or original(*a, **k)
    again = front.get(f"/ward/{CHUO}/")
    assert again.content == first.content and not calls  # served without entering FastAPI
    assert again.headers["etag"] == first.headers["etag"] and again.headers["x-frame-options"] == "DENY"
    assert front.get(f"/ward/{CHUO}/", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    download = front.get("/downloads/1/renkei_coverage_2025-08-01.csv")
    cached = front.get("/downloads/1/renkei_coverage_2025-08-01.csv")
    assert cached.headers["content-disposition"] == download.headers["content-disposition"]
    app.state.site.cached = original
    editor = sign_in(app, "chuo")
    p = project_of(reg, CHUO)
    form = {**form_of(p, title="承認後に反映される題名"), "csrf_token": csrf_of(editor)}
    assert editor.post(f"/admin/projects/{p.id}", data=form).status_code == 200
    assert "承認後に反映される題名" not in front.get(f"/ward/{CHUO}/").text  # pending: nothing public
    approve_ward(app, CHUO)
    assert "承認後に反映される題名" in front.get(f"/ward/{CHUO}/").text  # approved: public at once


def test_the_japanese_font_is_served_for_machines_without_one(site):
    """Offline LGWAN terminals may have no Japanese font: the stylesheet falls back to the bundled one."""
    client, _ = site
    css = client.get("/static/site.css").text
    assert 'url("/static/fonts/ipaexg.ttf")' in css and '"renkei IPAex", sans-serif' in css
    font = client.get("/static/fonts/ipaexg.ttf")
    assert font.status_code == 200 and font.content[:4] == b"\x00\x01\x00\x00"
    assert client.get("/static/fonts/IPA_Font_License_Agreement_v1.0.txt").status_code == 200


def test_the_site_on_both_backends(db_url, directory, resolver, make_fixtures, tmp_path):
    """The shared deployment runs on PostgreSQL: pages, API, sign-in, an edit, a conflict and a review there too."""
    reg = make_registry(db_url, directory, resolver, make_fixtures, tmp_path)
    try:
        app = create_app(registry=reg)
        client = TestClient(app)
        assert "宮城県の連携自治体" in client.get("/pref/040002/?snapshot=1").text
        assert client.get("/api/v1/partners?snapshot=1&prefecture=040002").json()["total"] == 20
        p = project_of(reg, CHUO)
        a, b = sign_in(app, "chuo"), sign_in(app, "jimu")
        assert a.post(f"/admin/projects/{p.id}", data={**form_of(p, title="一番目"), "csrf_token": csrf_of(a)}
                      ).status_code == 200
        assert b.post(f"/admin/projects/{p.id}", data={**form_of(p, title="二番目"), "csrf_token": csrf_of(b)}
                      ).status_code == 409
        approve_ward(app, CHUO)
        r = b.post("/admin/review", data={"csrf_token": csrf_of(b), "pref_code": "040002", "written": "亶理町",
                                          "action": "accept", "code": "043613"}, follow_redirects=True)
        assert "宮城県「亶理町」</h2>" not in r.text
        assert reg.project(p.id).title == "一番目"
    finally:
        reg.engine.dispose()


def test_editions_page_releases_and_withdraws(fresh):
    app, reg = fresh
    draft = reg.revise(1).id
    admin = sign_in(app, "jimu")
    page = admin.get("/admin/editions").text
    assert "下書き（未公表）" in page and f'id="snapshot-{draft}"' in page
    assert "令和7年8月1日現在" in admin.get(f"/admin/editions/{draft}/diff").text
    ward = sign_in(app, "minato")
    assert "下書き（未公表）" in ward.get("/admin/editions").text  # seen, but not released, by a ward editor
    assert ward.post(f"/admin/editions/{draft}", data={"csrf_token": csrf_of(ward), "action": "release"}
                     ).status_code == 403
    assert reg.snapshot(draft).state == "draft"
    r = admin.post(f"/admin/editions/{draft}", data={"csrf_token": csrf_of(admin), "action": "release",
                                                     "note": "訂正版", "source": "javascript:alert(1)",
                                                     "confirm": "1"})
    assert r.status_code == 422 and "http:// または https://" in r.text and reg.snapshot(draft).state == "draft"
    asked = admin.post(f"/admin/editions/{draft}", data={"csrf_token": csrf_of(admin), "action": "release",
                                                         "note": "訂正版"})  # the first 公表する only asks
    assert asked.status_code == 200 and "「令和7年8月1日現在（第2版）」として公表しますか" in asked.text
    assert reg.snapshot(draft).state == "draft"
    r = admin.post(f"/admin/editions/{draft}", data={"csrf_token": csrf_of(admin), "action": "release",
                                                     "note": "訂正版", "confirm": "1"})
    assert r.status_code == 200 and "「令和7年8月1日現在（第2版）」を公表しました" in r.text
    assert reg.snapshot(1).superseded_by == draft and reg.snapshot("2025-08-01").id == draft
    r = admin.post(f"/admin/editions/{draft}", data={"csrf_token": csrf_of(admin), "action": "withdraw",
                                                     "reason": "訂正の誤り", "confirm": "1"})
    assert r.status_code == 200 and reg.snapshot("2025-08-01").id == 1
    assert f"を取り下げました（理由: 訂正の誤り）。公開ページには「{reg.snapshot().label}」が表示されています" in r.text
    history = TestClient(app).get("/downloads/").text
    assert "取り下げ" in history and "訂正の誤り" in history
    assert [a["actor"] for a in reg.audit_log() if a["action"] in ("publish", "withdraw")][:2] == ["jimu", "jimu"]


def test_review_form_asks_twice_for_a_code_of_another_prefecture(fresh):
    app, reg = fresh
    reg.revise(1)
    admin = sign_in(app, "jimu")
    form = {"csrf_token": csrf_of(admin), "pref_code": "040002", "written": "亶理町", "action": "manual",
            "code": "472018"}
    r = admin.post("/admin/review", data=form)
    assert r.status_code == 422 and "472018（沖縄県那覇市）は宮城県の自治体ではなく" in r.text
    assert 'name="force" value="1"' in r.text and reg.decisions() == []
    r = admin.post("/admin/review", data={**form, "force": "1"}, follow_redirects=True)
    assert r.status_code == 200 and "宮城県「亶理町」</h2>" not in r.text
    (d,) = reg.decisions()
    assert d["code"] == "472018" and "確認のうえ記録" in d["note"]
    assert "確認のうえ記録" in admin.get("/admin/decisions").text


def test_list_upload_reports_a_duplicate_before_confirming_and_sets_the_as_of_date(fresh, tmp_path, make_fixtures):
    from renkei.cli import default_list_path

    app, reg = fresh
    admin = sign_in(app, "jimu")
    seed = open(default_list_path(), "rb").read()  # noqa: SIM115
    r = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin)},
                   files={"file": ("seed.txt", seed, "text/plain")})
    assert r.status_code == 200
    assert "このファイルは既に #1「令和7年8月1日現在（第1版）」として取り込まれています" in r.text
    assert 'value="import"' not in r.text  # nothing to confirm: only cancel
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "女川町"])], "特別区連携自治体数一覧")
    path = make_fixtures.write_text(grid, tmp_path / "nodate.csv", delimiter=",", encoding="utf-8", newline="\n")
    bad = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin), "as_of": "いつか"},
                     files={"file": ("nodate.csv", path.read_bytes(), "text/csv")})
    assert bad.status_code == 422 and "時点「いつか」を日付として読めません" in bad.text
    r = admin.post("/admin/upload", data={"csrf_token": csrf_of(admin), "as_of": "令和9年8月1日"},
                   files={"file": ("nodate.csv", path.read_bytes(), "text/csv")})
    assert "時点 令和9年8月1日" in r.text  # kept with the checked report: the confirmation needs no date field
    token = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    done = admin.post(f"/admin/upload/{token}", data={"csrf_token": csrf_of(admin), "decision": "import"})
    assert "下書き（未公表）" in done.text
    new = reg.snapshots()[-1]
    assert (new.as_of, new.state) == ("2027-08-01", "draft")


def test_approvals_in_the_browser_are_for_admins(fresh):
    """A ward editor proposes, sees its pending change, may withdraw it, never approves; an admin decides."""
    app, reg = fresh
    p = project_of(reg, CHUO)
    chuo = sign_in(app, "chuo")
    chuo.post(f"/admin/projects/{p.id}", data={**form_of(p, title="却下される題名"), "csrf_token": csrf_of(chuo)})
    (change,) = reg.changes(ward=CHUO)
    page = chuo.get(f"/admin/projects/{p.id}").text
    assert "承認待ち" in page and 'value="却下される題名"' in page and f'name="pending" value="{change.id}"' in page
    assert chuo.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(chuo), "decision": "approve"}
                     ).status_code == 403
    assert chuo.post(f"/admin/changes/ward/{CHUO}", data={"csrf_token": csrf_of(chuo)}).status_code == 403
    minato = sign_in(app, "minato")
    assert minato.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(minato), "decision": "withdraw"}
                       ).status_code == 403  # not its ward's change
    assert "却下される題名" not in minato.get("/admin/changes").text
    admin = sign_in(app, "jimu")
    assert admin.post(f"/admin/changes/{change.id}", data={"decision": "reject"}).status_code == 403  # CSRF
    r = admin.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(admin), "decision": "reject",
                                                       "reason": "表記を確認してください"}, follow_redirects=True)
    assert "却下しました" in r.text and reg.project(p.id).title == p.title
    assert "表記を確認してください" in chuo.get("/admin/changes").text  # the ward sees the decision and why
    again = admin.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(admin), "decision": "approve"})
    assert again.status_code == 409 and "承認待ちの変更ではありません" in again.text
    chuo.post(f"/admin/projects/{p.id}", data={**form_of(p, title="承認される題名"), "csrf_token": csrf_of(chuo)})
    (change,) = reg.changes(ward=CHUO)
    r = admin.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(admin), "decision": "approve"},
                   follow_redirects=True)
    assert "承認しました" in r.text and reg.project(p.id).title == "承認される題名"


def test_deleting_a_project_in_the_browser(fresh):
    app, reg = fresh
    p = next(p for p in reg.projects(ward=CHUO, limit=100) if len(p.wards) == 1)
    chuo = sign_in(app, "chuo")
    r = chuo.post(f"/admin/projects/{p.id}/delete", data={"csrf_token": csrf_of(chuo), "version": str(p.version),
                                                          "pending": "0", "reason": "重複登録"}, follow_redirects=True)
    assert "変更を申請しました" in r.text and reg.count_projects(ward=CHUO) == len(reg.projects(ward=CHUO))
    assert p.title in TestClient(app).get(f"/ward/{CHUO}/").text  # still public while pending
    approve_ward(app, CHUO)
    assert p.title not in TestClient(app).get(f"/ward/{CHUO}/").text
    assert p.id not in {x["id"] for x in TestClient(app).get(f"/api/v1/projects?ward={CHUO}&limit=500").json()["items"]}


def test_blank_template_for_ward_editors(fresh):
    app, _ = fresh
    assert TestClient(app).get("/admin/template.xlsx", follow_redirects=False).status_code == 303  # sign in first
    minato = sign_in(app, "minato")
    xlsx = minato.get("/admin/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    csv_file = minato.get("/admin/template.csv")
    assert csv_file.content.decode("utf-8-sig").startswith("区,連携先都道府県,連携先,事業名")
    assert minato.get("/admin/template.pdf").status_code == 404
    assert sign_in(app, "viewer").get("/admin/template.xlsx").status_code == 403


def test_derive_a_draft_in_the_browser(fresh):
    app, reg = fresh
    assert sign_in(app, "minato").get("/admin/derive").status_code == 403
    admin = sign_in(app, "jimu")
    bad = admin.post("/admin/derive", data={"csrf_token": csrf_of(admin), "since": "来年", "until": "2026-03-31"})
    assert bad.status_code == 422 and "日付として読めません：来年" in bad.text
    before = len(reg.snapshots())
    r = admin.post("/admin/derive", data={"csrf_token": csrf_of(admin), "since": "2025-04-01",
                                          "until": "令和8年3月31日", "as_of": "2026-08-01"})
    assert r.status_code == 200 and "下書きを作成しました" in r.text and len(reg.snapshots()) == before + 1
    draft = reg.snapshots()[-1]
    assert draft.kind == "projects" and draft.as_of == "2026-08-01" and f"→ {draft.partners}（" in r.text
