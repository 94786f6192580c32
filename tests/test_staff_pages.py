"""The secretariat's pages (issue 19): deliberate publishing, discarding, an internal memo, one menu per role,
POST/redirect/GET, a Japanese page for a GET of a form's address, and public pages that agree with each other."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from test_web import CHUO, MINATO, csrf_of, fresh, sign_in  # noqa: F401  (fixtures and helpers)


def _r8(tmp_path, make_fixtures) -> bytes:
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    return make_fixtures.write_text(grid, tmp_path / "r8.csv", delimiter=",", encoding="utf-8",
                                    newline="\n").read_bytes()


def _status(page: str) -> str:
    found = re.search(r'role="status">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_publishing_asks_first_then_publishes_and_says_what_the_public_sees(fresh, tmp_path, make_fixtures):  # noqa: F811
    app, reg = fresh
    admin = sign_in(app, "jimu")
    token = csrf_of(admin, "/admin/upload")
    r = admin.post("/admin/upload", data={"csrf_token": token}, files={"file": ("r8.csv", _r8(tmp_path, make_fixtures),
                                                                              "text/csv")})
    assert "内部メモ（公開されません）" in r.text and 'name="note"' not in r.text
    upload = re.search(r'action="/admin/upload/([^"]+)"', r.text).group(1)
    admin.post(f"/admin/upload/{upload}", data={"csrf_token": token, "decision": "import", "memo": "レビュー用"})
    draft = reg.snapshots()[-1]
    assert draft.state == "draft" and draft.note == ""  # the memo never becomes the public note
    assert any((a["after"] or {}).get("memo") == "レビュー用" for a in reg.audit_log() if a["action"] == "import")
    current = reg.snapshot()

    asked = admin.get(f"/admin/editions/{draft.id}/publish", params={"note": "令和8年の公表一覧です"})
    assert asked.status_code == 200 and "「令和8年8月1日現在（第1版）」として公表しますか" in asked.text
    assert f"公開中の「{current.label}」→ 公表後の「令和8年8月1日現在（第1版）」" in asked.text
    assert '<p class="edition-note">令和8年の公表一覧です</p>' in asked.text  # the note as it will appear
    assert "亶理町" not in asked.text or "要確認のままの名称" in asked.text
    assert "注意：" in asked.text and "減ります" in asked.text  # 3 names against the whole list: a strong warning
    assert reg.snapshot(draft.id).state == "draft"  # asking changed nothing
    form = {"csrf_token": token, "action": "release", "note": "令和8年の公表一覧です"}
    first = admin.post(f"/admin/editions/{draft.id}", data=form, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith(f"/admin/editions/{draft.id}/publish?")
    assert reg.snapshot(draft.id).state == "draft"
    done = admin.post(f"/admin/editions/{draft.id}", data={**form, "confirm": "1"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/admin/editions?done=release&id={draft.id}"
    page = admin.get(done.headers["location"]).text  # the redirect's page can be reloaded: it only reads
    assert _status(page) == ("「令和8年8月1日現在（第1版）」を公表しました。"
                             "公開ページには「令和8年8月1日現在（第1版）」が表示されています。")
    assert reg.snapshot().id == draft.id and reg.snapshot(draft.id).note == "令和8年の公表一覧です"
    assert "令和8年の公表一覧です" in TestClient(app).get("/").text

    asked = admin.get(f"/admin/editions/{draft.id}/withdraw", params={"reason": "誤り"})
    assert f"取り下げると、公開ページ・API・ダウンロードには「{current.label}」" in asked.text
    r = admin.post(f"/admin/editions/{draft.id}", data={"csrf_token": token, "action": "withdraw", "reason": "誤り"},
                   follow_redirects=False)
    assert r.status_code == 303 and reg.snapshot(draft.id).state == "published"  # the first click only asks
    r = admin.post(f"/admin/editions/{draft.id}", data={"csrf_token": token, "action": "withdraw", "reason": "誤り",
                                                        "confirm": "1"})
    assert _status(r.text) == (f"「令和8年8月1日現在（第1版）」を取り下げました（理由: 誤り）。"
                               f"公開ページには「{current.label}」が表示されています。")


def test_a_draft_is_discarded_after_a_confirmation(fresh):  # noqa: F811
    app, reg = fresh
    admin = sign_in(app, "jimu")
    draft = reg.revise(1, actor="jimu")
    page = admin.get("/admin/editions").text
    assert f'href="/admin/editions/{draft.id}/discard">下書きを破棄</a>' in page
    asked = admin.get(f"/admin/editions/{draft.id}/discard")
    assert f"下書き「{draft.label}」を破棄しますか" in asked.text and "元に戻せません" in asked.text
    token = csrf_of(admin)
    r = admin.post(f"/admin/editions/{draft.id}", data={"csrf_token": token, "action": "discard"},
                   follow_redirects=False)
    assert r.headers["location"] == f"/admin/editions/{draft.id}/discard" and reg.snapshot(draft.id)
    r = admin.post(f"/admin/editions/{draft.id}", data={"csrf_token": token, "action": "discard", "confirm": "1"})
    assert _status(r.text).startswith(f"下書き「{draft.label}」を破棄しました。")
    assert draft.id not in {s.id for s in reg.snapshots()}
    refused = admin.post("/admin/editions/1", data={"csrf_token": token, "action": "discard", "confirm": "1"})
    assert refused.status_code == 422 and "破棄できるのは下書きだけです" in refused.text
    ward = sign_in(app, "minato")
    assert ward.get(f"/admin/editions/{reg.revise(1).id}/discard").status_code == 403


def test_a_get_of_a_form_address_gets_a_japanese_page(fresh):  # noqa: F811
    app, _reg = fresh
    admin = sign_in(app, "jimu")
    for path in ("/admin/editions/1", "/logout", "/admin/users/1/edit", "/admin/upload/x"):
        r = admin.get(path)
        assert r.status_code == 405 and "このアドレスはフォームの送信専用です" in r.text, path
        assert "Method Not Allowed" not in r.text
    assert 'href="/admin/editions">元のページへ戻る' in admin.get("/admin/editions/1").text
    assert TestClient(app).get("/api/v1/snapshots", params={}).status_code == 200
    assert "detail" in TestClient(app).post("/api/v1/snapshots").json()  # the API keeps its JSON


def test_each_role_sees_only_the_pages_it_can_act_on(fresh):  # noqa: F811
    app, _reg = fresh

    def menu(user: str) -> list[str]:
        page = sign_in(app, user).get("/admin/").text
        nav = page.split('<nav class="admin"')[1].split("</nav>")[0]
        return re.findall(r">([^<>]+)</a>", nav)

    assert menu("minato") == ["概要", "連携事業", "承認待ち・却下", "テンプレート", "テンプレートのアップロード"]
    assert menu("viewer") == ["概要", "連携事業", "版の一覧"]
    assert {"版の管理", "要確認の名称", "アカウント", "変更履歴", "一覧の下書き作成"} <= set(menu("jimu"))
    ward_upload = sign_in(app, "minato").get("/admin/upload").text
    assert "<h1>連携事業テンプレートのアップロード</h1>" in ward_upload and 'name="as_of"' not in ward_upload
    dashboard = sign_in(app, "minato").get("/admin/").text
    assert "/admin/review" not in dashboard and "/admin/editions" not in dashboard


def test_public_pages_agree_on_partners_by_projects(fresh):  # noqa: F811
    app, reg = fresh
    client = TestClient(app)
    listed = {p.code for p in reg.partners()}
    by_projects = {c for w in (MINATO, CHUO) for c in reg.ward_partners(w)}
    pref_code = next(reg.directory[c].pref_code for c in sorted(by_projects))
    page = client.get(f"/pref/{pref_code}/").text
    for code in by_projects:
        if reg.directory[code].pref_code == pref_code:
            assert f"<code>{code}</code>" in page  # every partner by projects is on its prefecture's page
    assert "地方公共団体数（都道府県を含む）" in page and "（#" not in page
    assert ("連携事業で結ばれている自治体" in page) == bool({c for c in by_projects if c not in listed
                                                    and reg.directory[c].pref_code == pref_code})
    assert "公表一覧" in page and 'class="badge projects"' in page


def test_a_listed_government_without_wards_says_the_list_has_no_breakdown(fresh):  # noqa: F811
    app, reg = fresh
    listed = {p.code for p in reg.partners(1)}  # the embedded list, an earlier edition
    in_projects = {c for w in reg.directory.special_wards for c in reg.ward_partners(w.code)}
    code = sorted(listed - in_projects)[0]
    page = TestClient(app).get(f"/gov/{code}/", params={"snapshot": 1}).text
    assert "公表一覧には区ごとの内訳がありません" in page and "版ごとの掲載" in page
    assert "スナップショット" not in page and not re.search(r"#\d", page.split("<main")[1])


def test_downloads_are_grouped_with_a_line_and_a_size_and_named_by_edition(fresh):  # noqa: F811
    app, reg = fresh
    second = reg.release(reg.revise(1, actor="jimu").id, actor="jimu", note="訂正した版です")
    page = TestClient(app).get("/downloads/").text
    section = page.split(f'id="s{second.id}"')[1].split("</section>")[0]
    assert [h for h in re.findall(r"<h3>(.*?)</h3>", section)] == ["公表一覧の再現", "オープンデータ", "地図"]
    assert '<p class="edition-note">訂正した版です</p>' in section
    assert "特別区連携自治体数一覧_2025-08-01_第2版.xlsx" in section
    assert re.search(r"公表一覧と同じ表（Excel）・[\d.]+ kB", section)
    first = page.split('id="s1"')[1].split("</section>")[0]
    assert "特別区連携自治体数一覧_2025-08-01.xlsx" in first and "第2版" not in first
    r = TestClient(app).get(f"/downloads/{second.id}/特別区連携自治体数一覧_2025-08-01_第2版.tsv")
    assert r.status_code == 200 and "亘理町" in r.content.decode("utf-8-sig")


def test_about_explains_the_reconciliation_service_and_the_contact(fresh, monkeypatch):  # noqa: F811
    from renkei.web import create_app

    app, reg = fresh
    page = TestClient(app).get("/about/").text
    assert "OpenRefine で使う（照合サービス）" in page and "http://testserver/reconcile" in page
    assert "問い合わせ先を設定していません" in page
    assert re.search(r"<title>このサイトについて[^<]*</title>", page)  # the title is words, never markup
    assert page.count('id="contact"') == 1
    for value, expected in (("renkei@example.jp", '<a href="mailto:renkei@example.jp">renkei@example.jp</a>'),
                            ("https://example.jp/toiawase", '<a href="https://example.jp/toiawase">'),
                            ("特別区長会事務局 03-0000-0000", "<p>特別区長会事務局 03-0000-0000</p>"),
                            ("javascript:alert(1)", "<p>javascript:alert(1)</p>")):
        monkeypatch.setenv("RENKEI_CONTACT", value)  # a setting of the server, read when it starts
        assert expected in TestClient(create_app(registry=reg)).get("/about/").text, value


def test_top_page_explains_names_to_review_and_skips_the_map(fresh):  # noqa: F811
    app, reg = fresh
    page = TestClient(app).get("/", params={"snapshot": 1}).text  # the embedded list has names to review
    assert reg.snapshot(1).needs_review and "連携自治体の数には含めていません" in page
    assert "連携自治体の数には含めていません" not in TestClient(app).get("/").text  # none to review: no note
    assert page.index('href="#pref-table"') < page.index("<svg") < page.index('id="pref-table"')


def test_the_api_reference_is_in_the_servers_language(fresh, monkeypatch):  # noqa: F811
    from renkei.web import create_app

    _app, reg = fresh
    monkeypatch.delenv("RENKEI_LANG", raising=False)
    schema = TestClient(create_app(registry=reg)).get("/api/v1/openapi.json").json()
    snapshots = schema["paths"]["/api/v1/snapshots"]["get"]
    assert snapshots["summary"] == "公表された版（古い順）" and "/reconcile" in schema["info"]["description"]
    texts = [v for path in schema["paths"].values() for op in path.values() for k, v in op.items()
             if k in ("summary", "description")]
    assert texts and all(re.search(r"[ぁ-んァ-ン一-龥]", t) for t in texts)  # no English summary is left
    monkeypatch.setenv("RENKEI_LANG", "en")
    english = TestClient(create_app(registry=reg)).get("/api/v1/openapi.json").json()
    assert english["paths"]["/api/v1/snapshots"]["get"]["summary"] == "Published editions, oldest first"
    assert english["info"]["description"].startswith("The registry of the partners")


def test_a_result_message_is_only_about_what_happened(fresh):  # noqa: F811
    app, reg = fresh
    admin = sign_in(app, "jimu")
    for query in ({"done": "remove", "user": "誰か"}, {"done": "add", "user": "nobody"}):
        assert 'role="status"' not in admin.get("/admin/users", params=query).text  # a crafted link says nothing
    draft = reg.revise(1, actor="jimu")
    for done in ("release", "withdraw", "discard"):  # a draft was not published, withdrawn or discarded
        assert 'role="status"' not in admin.get("/admin/editions", params={"done": done, "id": draft.id}).text
    assert "を公表しました" in admin.get("/admin/editions", params={"done": "release", "id": 1}).text


def test_api_error_bodies_are_in_the_servers_language(fresh, monkeypatch):  # noqa: F811
    from renkei.web import create_app

    _app, reg = fresh
    monkeypatch.delenv("RENKEI_LANG", raising=False)
    client = TestClient(create_app(registry=reg))
    r = client.get("/api/v1/partners", params={"limit": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "1 以上の値にしてください"
    assert r.json()["detail"][0]["loc"] == ["query", "limit"]  # the body keeps its shape
    assert client.get("/api/v1/governments/999999").json()["detail"] == "自治体「999999」はありません"
    bad = client.get("/api/v1/partners", params={"prefecture": "架空県"}).json()["detail"][0]["msg"]
    assert bad == "都道府県「架空県」はありません（6桁のコードまたは名称）"
    monkeypatch.setenv("RENKEI_LANG", "en")
    assert client.get("/api/v1/partners", params={"limit": 0}).json()["detail"][0]["msg"] == \
        "Input should be greater than or equal to 1"


def test_a_registry_with_nothing_published_yet_says_so_on_the_top_page(tmp_path, directory, resolver):
    """A production registry made with `db upgrade --no-seed` has no edition until the first release: its top page
    says so (200), not 「ページが見つかりません」."""
    from renkei.registry import Registry, database
    from renkei.web import create_app

    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    engine = database.make_engine(url)
    database.upgrade(engine)
    engine.dispose()
    reg = Registry.open(url, directory=directory, resolver=resolver)
    try:
        r = TestClient(create_app(registry=reg)).get("/")
        assert r.status_code == 200 and "まだ公表された一覧はありません" in r.text
        assert TestClient(create_app(registry=reg)).get("/?snapshot=1").status_code == 404  # an id: still 404
    finally:
        reg.engine.dispose()
