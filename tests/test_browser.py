"""Browser tests: Playwright driving Debian's /usr/bin/chromium against a real `renkei serve`.

They skip on a laptop without Chromium (saying so), never in CI (CI=true), where .ci/run installs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import IN_CI, free_port

CHROMIUM = os.environ.get("RENKEI_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"


def _chromium_or_skip() -> None:
    missing = not Path(CHROMIUM).exists()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true but Chromium ({CHROMIUM}) or playwright is missing: .ci/run installs both")
        pytest.skip(f"browser tests skipped: {CHROMIUM} or the playwright package is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory, make_fixtures):
    """A real `renkei serve` on a free loopback port, with projects and accounts."""
    _chromium_or_skip()
    from renkei.registry import Registry, accounts

    tmp = tmp_path_factory.mktemp("browser")
    db = str(tmp / "browser.sqlite3")
    reg = Registry.open(db)
    reg.import_file(make_fixtures.write_projects(make_fixtures.project_grid(60), tmp / "p.csv"), release=True)
    reg.revise(1)  # a draft copy of the seed: review decisions apply to drafts
    accounts.add_user(reg, "jimu", PASSWORD, "admin", display_name="事務局")
    accounts.add_user(reg, "chuo", PASSWORD, "ward", "中央区")
    reg.engine.dispose()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "renkei", "--db", db, "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/about/", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.2)
    yield base, Registry(db), tmp
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP")
    pg = context.new_page()
    yield pg
    context.close()


def sign_in(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("ユーザー名").fill(user)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/admin/")


def test_search_with_a_typo(server, page):
    base, _, _ = server
    page.goto(f"{base}/search/")
    page.locator("#q").press_sequentially("亶理町", delay=30)
    suggestion = page.locator("#suggestions a", has_text="亘理町")
    suggestion.wait_for()
    suggestion.click()
    page.wait_for_url(f"{base}/gov/043613/")
    assert page.locator("h1").inner_text().startswith("亘理町")


def test_prefecture_page(server, page):
    base, reg, _ = server
    page.goto(f"{base}/pref/040002/?snapshot=1")
    assert page.locator("h1").inner_text() == "宮城県の連携自治体"
    rows = page.locator("main table").first.locator("tbody tr")  # partners by projects have a table of their own
    assert rows.count() == len(reg.partners(1, "宮城県"))
    assert page.get_by_text("※原資料の記載4件が欠落").first.is_visible()


def test_national_map_clicks_through_to_a_prefecture(server, page):
    base, _, _ = server
    page.goto(f"{base}/")
    page.locator('a[aria-label="長野県"] path').click()
    page.wait_for_url(f"{base}/pref/200000/")
    assert "長野県" in page.locator("h1").inner_text()


def test_keyboard_and_phone(server, browser):
    base, _, _ = server
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base}/pref/040002/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "本文へ移動"  # the skip link comes first
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380  # no sideways scrolling on a phone
    context.close()


def approve_all(page, base: str, ward_name: str) -> None:
    """The secretariat approves every pending change of one ward at /admin/changes."""
    page.goto(f"{base}/admin/changes")
    page.get_by_role("button", name=f"{ward_name}の承認待ちをすべて承認").click()
    page.get_by_text("承認しました").wait_for()


def test_sign_in_and_edit_a_project(server, browser):
    base, reg, _ = server
    p = reg.projects(ward="131024", limit=1)[0]
    ward_ctx, admin_ctx = browser.new_context(), browser.new_context()
    ward, admin = ward_ctx.new_page(), admin_ctx.new_page()
    sign_in(ward, base, "chuo")
    assert "管理画面" in ward.locator("h1").inner_text()
    ward.goto(f"{base}/admin/projects/{p.id}")
    ward.get_by_label("事業名").fill("ブラウザで編集した事業")
    ward.get_by_role("button", name="変更を申請").click()
    ward.get_by_text("変更を申請しました。").wait_for()
    assert reg.project(p.id).title == p.title  # waiting for approval
    sign_in(admin, base, "jimu")
    approve_all(admin, base, "中央区")
    assert reg.project(p.id).title == "ブラウザで編集した事業"
    ward_ctx.close()
    admin_ctx.close()


def test_conflict(server, browser):
    base, reg, _ = server
    p = reg.projects(ward="131024", limit=2)[-1]
    a_ctx, b_ctx = browser.new_context(), browser.new_context()
    a, b = a_ctx.new_page(), b_ctx.new_page()
    sign_in(a, base, "chuo")
    sign_in(b, base, "jimu")
    a.goto(f"{base}/admin/projects/{p.id}")
    b.goto(f"{base}/admin/projects/{p.id}")
    a.get_by_label("事業名").fill("Aさんの版")
    a.get_by_role("button", name="変更を申請").click()
    a.get_by_text("変更を申請しました。").wait_for()
    b.get_by_label("事業名").fill("Bさんの版")
    b.get_by_role("button", name="保存").click()  # B's form did not show A's pending change
    b.get_by_text("編集が競合しました").wait_for()
    table = b.locator("table.conflict").inner_text()
    assert "Aさんの版" in table and "Bさんの版" in table
    assert reg.project(p.id).title == p.title
    a_ctx.close()
    b_ctx.close()


def test_review_queue(server, page):
    base, _, _ = server
    sign_in(page, base, "jimu")
    page.goto(f"{base}/admin/review")
    assert page.get_by_text("宮城県「亶理町」").is_visible()
    page.get_by_role("button", name="「亘理町」で確定").click()
    page.get_by_role("status").filter(has_text="宮城県「亶理町」を 亘理町（043613）として確定しました").wait_for()
    assert page.locator("section.review-item", has_text="宮城県「亶理町」").count() == 0


def test_review_decision_is_undone(server, page):
    base, reg, _ = server
    sign_in(page, base, "jimu")
    page.goto(f"{base}/admin/review")
    item = page.locator("section.review-item", has_text="北海道「美幌市」")
    item.get_by_role("button", name="自治体ではない").click()
    page.get_by_role("status").filter(has_text="北海道「美幌市」を自治体ではないと記録しました").wait_for()
    assert page.locator("section.review-item", has_text="北海道「美幌市」").count() == 0
    page.get_by_role("link", name="判断の一覧と取り消し").click()
    row = page.locator("tr", has_text="美幌市")
    row.get_by_role("button", name="取り消す").click()
    page.get_by_role("status").filter(has_text="を取り消しました").wait_for()
    assert page.locator("tr", has_text="美幌市").get_by_text("取り消し済み").is_visible()
    page.goto(f"{base}/admin/review")
    assert page.get_by_text("北海道「美幌市」").is_visible()  # back in the queue
    assert next(d for d in reg.decisions() if d["written"] == "美幌市")["undone_by"] == "jimu"


def test_upload(server, page, make_fixtures):
    base, reg, tmp = server
    before = len(reg.snapshots())
    grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "仙台市", "女川町"])],
                                        "特別区連携自治体数一覧(令和8年8月1日現在)")
    path = make_fixtures.write_xlsx(grid, tmp / "令和8年.xlsx", sheets=1)
    sign_in(page, base, "jimu")
    page.goto(f"{base}/admin/upload")
    page.set_input_files("#file", str(path))
    page.get_by_role("button", name="検証する").click()
    page.get_by_text("検証結果：令和8年.xlsx").wait_for()
    page.get_by_role("button", name="下書きとして取り込む").click()
    page.get_by_text("取り込みました").first.wait_for()
    assert len(reg.snapshots()) == before + 1


def _tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only, no clicks)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_review_with_the_keyboard_only(server, browser, tmp_path):
    """Tab to the first item's suggestion, Enter; the message names the decision and the focus is on the next
    item's suggestion (no 25 Tabs from the top); Enter again decides that one too."""
    base, reg, _ = server
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    sign_in(page, base, "jimu")
    page.goto(f"{base}/admin/review")
    first, second, third = reg.review_queue()[:3]
    assert first.code and second.code and third.code  # each has a suggestion: its button comes first
    _tab_to(page, "#r1 button")
    assert page.evaluate("document.activeElement.textContent") == f"「{first.name}」で確定"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text=f"「{first.written}」を {first.name}").wait_for()
    page.screenshot(path=str(tmp_path / "review-after-one.png"), full_page=False)
    assert page.evaluate("document.activeElement.closest('section').id") == "r1"
    assert page.evaluate("document.activeElement.textContent") == f"「{second.name}」で確定"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text=f"「{second.written}」を {second.name}").wait_for()
    assert page.evaluate("document.activeElement.textContent") == f"「{third.name}」で確定"
    assert {d["written"] for d in reg.decisions() if not d["undone_at"]} >= {first.written, second.written}
    context.close()


def test_convert_names_with_the_keyboard_on_a_phone(server, browser):
    base, _, _ = server
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{base}/")
    _tab_to(page, 'a[href="/convert/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/convert/")
    _tab_to(page, "#names")
    page.keyboard.type("市区町村\n亶理町\n飯館村\n府中市\n城島町・三潴町")
    _tab_to(page, 'button[type="submit"]')
    page.keyboard.press("Enter")
    page.locator("table.converted").wait_for()
    table = page.locator("table.converted").inner_text()
    assert "043613" in table and "075647" in table and "誤記訂正" in table and "corrected" in table
    headers = page.locator("table.converted thead th").all_inner_texts()
    assert headers[0] == "市区町村" and "都道府県（判定）" in headers and "判定コード" in headers  # the detected header
    # the page opens at the result, with the focus on it: the next Tab goes into the result, not the form
    assert page.evaluate("document.activeElement.id") == "result"
    assert page.evaluate("document.getElementById('result').getBoundingClientRect().top") < 200
    # no code is broken over lines, however narrow the phone (one line box per code cell's text)
    lines = page.evaluate("""() => [...document.querySelectorAll('table.converted td.code')]
        .filter(td => td.textContent.trim())
        .map(td => { const r = document.createRange(); r.selectNodeContents(td);
                     return r.getClientRects().length; })""")
    assert lines and set(lines) == {1}, lines
    assert page.evaluate("document.documentElement.scrollWidth") <= 380  # the table scrolls in its own region
    _tab_to(page, "div.scroll[role=region][tabindex='0']")  # and that region is reachable to scroll with the keyboard
    assert page.get_by_role("button", name="CSV で受け取る").is_visible()  # the downloads, under the result
    with page.expect_download() as info:
        page.get_by_role("button", name="CSV で受け取る").click()
    assert info.value.suggested_filename == "名称_コード付き.csv"
    context.close()


def test_convert_upload_downloads_xlsx(server, page, tmp_path):
    base, _, _ = server
    src = tmp_path / "連携先.csv"
    src.write_text("市区町村\n亶理町\n", encoding="utf-8")
    page.goto(f"{base}/convert/")
    page.set_input_files("#file", str(src))
    page.get_by_label("Excel（XLSX、判定ごとに色分け）").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="変換する").click()
    download = info.value
    assert download.suggested_filename == "連携先_コード付き.xlsx"
    from openpyxl import load_workbook

    with open(download.path(), "rb") as f:
        ws = load_workbook(f).worksheets[0]
    assert ws["B2"].value == "043613"


AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # vendored from npm axe-core (scripts/vendor_assets.py)
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def _axe_violations(page, url: str) -> list[dict]:
    page.goto(url)
    if url.endswith("/api/docs"):
        page.locator(".swagger-ui .info").wait_for()  # Swagger UI has rendered the spec
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


def test_axe_finds_nothing_serious_on_any_page_type(server, browser):
    """axe-core in Chromium on every page type, anonymous and signed in (admin and ward editor): nothing serious."""
    from page_types import crawl

    base, _, _ = server
    found = []
    for who in ("anonymous", "jimu", "chuo"):
        context = browser.new_context(locale="ja-JP", bypass_csp=True)  # axe is injected as a script
        page = context.new_page()
        if who != "anonymous":
            sign_in(page, base, who)

        def fetch(url: str, page=page) -> tuple[int, str, str]:
            r = page.request.get(base + url)
            return r.status, r.headers.get("content-type", ""), r.text()

        start = ["/", "/search/?q=亶理町", "/api/docs"] + (["/admin/"] if who != "anonymous" else ["/login"])
        pages = crawl(fetch, start)
        assert len(pages) >= (11 if who == "anonymous" else 15), sorted(pages)
        for kind, (url, _) in sorted(pages.items()):
            found += [(who, kind, v) for v in _axe_violations(page, base + url)]
        context.close()
    assert not found, found


def test_the_api_docs_work_offline_under_the_sites_csp(server, browser):
    """Swagger UI is served from the site itself: it renders every operation with the CSP on and no other origin."""
    base, _, _ = server
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    elsewhere, refused = [], []
    page.on("request", lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url))
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/api/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 17
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert not elsewhere and not refused, (elsewhere, refused)
    context.close()


def test_ward_changes_wait_for_approval_then_a_draft_is_derived(server, browser, make_fixtures):
    """Issue 10: a ward's upload and edits change nothing public until an admin approves them; the admin then
    derives a draft list from the approved projects and compares it with the last edition."""
    base, reg, tmp = server
    ward_ctx, admin_ctx = browser.new_context(), browser.new_context()
    ward, admin = ward_ctx.new_page(), admin_ctx.new_page()

    def visible() -> tuple:
        """What an anonymous visitor sees (a new context each time: the pages may be cached for 60 s)."""
        context = browser.new_context()
        public = context.new_page()
        public.goto(f"{base}/ward/131024/")
        ward_page = public.locator("main").inner_text()
        public.goto(f"{base}/")
        top = public.locator("main").inner_text()
        context.close()
        return ward_page, top, len(reg.snapshots()), reg.count_projects()

    before = visible()
    sign_in(ward, base, "chuo")
    with ward.expect_download() as download:  # the blank template, from the web
        ward.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == "連携事業テンプレート.xlsx"
    rows = [["中央区", "宮城県", "女川町", f"ブラウザ事業{i}", "観光", "2025", "", "", "", ""] for i in range(4)]
    path = make_fixtures.write_projects([make_fixtures.PROJECT_HEADER, *rows], tmp / "chuo.xlsx")
    ward.goto(f"{base}/admin/upload")
    ward.set_input_files("#file", str(path))
    ward.get_by_role("button", name="検証する").click()
    ward.get_by_text("追加 4・変更 0・変更なし 0").wait_for()
    ward.get_by_role("button", name="承認待ちとして申請する").click()
    ward.get_by_text("承認を申請しました").wait_for()
    p = reg.projects(ward="131024", limit=3)[-1]
    ward.goto(f"{base}/admin/projects/{p.id}")
    ward.get_by_label("概要").fill("区が直した概要")
    ward.get_by_role("button", name="変更を申請").click()
    ward.get_by_text("変更を申請しました。").wait_for()
    ward.goto(f"{base}/admin/projects")
    pending = reg.changes(ward="131024")
    assert {c.action for c in pending} >= {"create", "update"}
    assert ward.locator("#pending-h").inner_text() == f"承認待ち（{len(pending)}件）"  # its own, marked as such
    assert visible() == before  # nothing public changed: pages, snapshots, projects

    sign_in(admin, base, "jimu")
    admin.goto(f"{base}/admin/changes")
    assert admin.locator("#change-" + str(reg.changes(ward="131024")[-1].id)).get_by_text("区が直した概要").count()
    approve_all(admin, base, "中央区")
    after = visible()
    assert after[0] != before[0] and "ブラウザ事業0" in after[0] and after[2] == before[2]
    assert reg.project(p.id).summary == "区が直した概要"

    admin.goto(f"{base}/admin/derive")
    admin.get_by_label("期間の始め").fill("2025-04-01")
    admin.get_by_label("期間の終わり", exact=True).fill("2026-03-31")
    admin.get_by_label("時点（公表する日付。空欄なら期間の終わり）").fill("2026-08-01")
    admin.get_by_role("button", name="下書きを作成").click()
    admin.get_by_text("下書きを作成しました").wait_for()
    draft = reg.snapshots()[-1]
    assert draft.kind == "projects" and draft.as_of == "2026-08-01"
    compared = admin.locator("p.totals").inner_text()  # the comparison with the last edition
    assert "前回の版" in admin.locator("main").inner_text() and f"→ {draft.partners}（" in compared
    assert admin.locator("table.diff tbody tr").count() >= 1
    assert visible()[:2] == after[:2]  # a draft: no public page changed
    admin.get_by_role("link", name="版の管理で公表する").click()
    admin.locator(f"#snapshot-{draft.id}").get_by_role("button", name="公表する").click()
    admin.get_by_role("heading", name="として公表しますか").wait_for()  # the first click only asks
    admin.get_by_role("button", name="この内容で公表する").click()
    admin.get_by_text("を公表しました").wait_for()
    assert reg.snapshot().id == draft.id and "令和8年8月1日現在" in visible()[1]  # published: the public list
    ward_ctx.close()
    admin_ctx.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_ward_form_by_name_and_a_rejection_the_ward_sees(server, browser, viewport):
    """The ward editor's form (own ward fixed, partners by name, the error beside the field, the text kept), an
    admin rejecting with a reason, and the ward reading it on its dashboard and proposing again."""
    base, reg, _ = server
    title = f"連携の物産展（{viewport['width']}）"
    ward_ctx, admin_ctx = browser.new_context(viewport=viewport), browser.new_context(viewport=viewport)
    ward, admin = ward_ctx.new_page(), admin_ctx.new_page()
    sign_in(ward, base, "chuo")
    ward.goto(f"{base}/admin/projects/new")
    own = ward.get_by_role("checkbox", name="中央区")
    assert own.is_checked() and own.is_disabled()
    ward.get_by_label("事業名").fill(title)
    ward.get_by_label("年度").fill("令和7年度")
    ward.get_by_label("連携先", exact=True).fill("豆理町\n府中市")
    ward.get_by_role("button", name="変更を申請").click()
    error = ward.locator("#partners-error")
    error.wait_for()
    assert "広島県府中市（342084）" in error.inner_text() and "東京都府中市（132063）" in error.inner_text()
    assert ward.get_by_label("連携先", exact=True).input_value() == "豆理町\n府中市"  # kept as typed
    assert "宮城県亘理町（043613）" in ward.locator("ul.answers").inner_text()  # the typo, corrected
    box = error.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # beside the field, on screen
    ward.get_by_label("連携先", exact=True).fill("豆理町\n広島県府中市")
    ward.get_by_role("button", name="変更を申請").click()
    ward.wait_for_url("**/admin/changes?proposed=*")
    (change,) = [c for c in reg.changes(ward="131024") if c.title == title]
    sign_in(admin, base, "jimu")
    admin.goto(f"{base}/admin/changes")
    row = admin.locator(f"#change-{change.id}")
    assert "広島県府中市（342084）" in row.inner_text()
    row.get_by_label("却下の理由").fill("年度は令和8年度です")
    row.get_by_role("button", name="却下").click()
    admin.get_by_text("却下しました").wait_for()
    ward.goto(f"{base}/admin/")
    rejected = ward.locator(f"#rejected-{change.id}")
    assert "年度は令和8年度です" in rejected.inner_text() and ward.get_by_text("却下された申請").is_visible()
    rejected.get_by_role("link", name="直して再申請する").click()
    assert ward.get_by_label("事業名").input_value() == title
    ward.get_by_label("年度").fill("令和8年度")
    ward.get_by_role("button", name="直して再申請").click()
    ward.wait_for_url("**/admin/changes?proposed=*")
    (again,) = [c for c in reg.changes(ward="131024") if c.title == title]
    assert (again.reopens_id, again.values["fiscal_year"]) == (change.id, 2026)
    ward.goto(f"{base}/admin/")
    assert ward.locator(f"#rejected-{change.id}").count() == 0
    ward_ctx.close()
    admin_ctx.close()


# -- the secretariat's publishing and accounts, on a desktop and on a phone (issue 19) --------------------------------

SHOTS = os.environ.get("RENKEI_SCREENSHOTS")  # a folder to keep the screenshots in, to look at them


def _shot(page, tmp: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_serious_axe(page) -> None:
    page.add_script_tag(path=str(AXE))
    serious = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
    assert not serious, (page.url, serious)


def _fits(page, width: int) -> None:
    """Nothing wider than the screen: wide tables scroll inside their own region."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 5, page.url


VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 800}}


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_secretariat_publishes_withdraws_and_discards(server, browser, make_fixtures, device):
    base, reg, tmp = server
    year = {"desktop": 10, "phone": 11}[device]  # one list per run, on dates no other test publishes
    context = browser.new_context(locale="ja-JP", viewport=VIEWPORTS[device], bypass_csp=True,
                                  is_mobile=device == "phone")
    page = context.new_page()
    sign_in(page, base, "jimu")
    public_before = reg.snapshot().label

    def upload(title: str, name: str) -> int:
        grid = make_fixtures.published_grid([("宮城県", ["宮城県(県庁)", "亶理町", "女川町"])], title)
        path = make_fixtures.write_text(grid, tmp / name, delimiter="\t", encoding="utf-8", newline="\n")
        page.goto(f"{base}/admin/upload")
        page.get_by_label("ファイル").set_input_files(str(path))
        page.get_by_role("button", name="検証する").click()
        page.get_by_label("内部メモ（公開されません）").fill("レビュー用の内部メモ")
        page.get_by_role("button", name="取り込む").click()
        page.get_by_role("status").filter(has_text="を下書きとして取り込みました").wait_for()
        return reg.snapshots()[-1].id

    draft = upload(f"特別区連携自治体数一覧(令和{year}年8月1日現在)", f"r{year}.tsv")
    label = f"令和{year}年8月1日現在（第1版）"
    page.goto(f"{base}/admin/editions")
    row = page.locator(f"#snapshot-{draft}")
    assert row.get_by_label("公開する注記（公開ページに表示されます）").input_value() == ""  # the memo stays inside
    row.get_by_label("公開する注記（公開ページに表示されます）").fill(f"令和{year}年の公表一覧")
    row.get_by_role("button", name="公表する").click()
    page.get_by_role("heading", name=f"「{label}」として公表しますか").wait_for()
    assert page.locator("p.warning").first.is_visible() and "減ります" in page.locator("main").inner_text()
    assert page.locator(".edition-note").inner_text() == f"令和{year}年の公表一覧"
    assert reg.snapshot(draft).state == "draft"
    _no_serious_axe(page)
    _fits(page, VIEWPORTS[device]["width"])
    _shot(page, tmp, f"{device}-publish-confirm")
    page.get_by_role("button", name="この内容で公表する").click()
    page.get_by_role("status").filter(has_text=f"「{label}」を公表しました").wait_for()
    assert f"公開ページには「{label}」が表示されています" in page.get_by_role("status").inner_text()
    page.reload()  # the result page only reads: reloading publishes nothing twice
    top = urllib.request.urlopen(base + "/").read().decode()
    assert reg.snapshot().id == draft and "レビュー用の内部メモ" not in top and f"令和{year}年の公表一覧" in top

    row = page.locator(f"#snapshot-{draft}")
    row.get_by_label("取り下げの理由").fill("確認のための取り下げ")
    row.get_by_role("button", name="取り下げる").click()
    page.get_by_role("heading", name=f"「{label}」を取り下げますか").wait_for()
    assert f"「{public_before}」" in page.locator(".warning").inner_text()  # what the public will see instead
    _no_serious_axe(page)
    _fits(page, VIEWPORTS[device]["width"])
    _shot(page, tmp, f"{device}-withdraw-confirm")
    page.get_by_role("button", name=f"「{label}」を取り下げる").click()
    page.get_by_role("status").filter(has_text="を取り下げました").wait_for()
    assert f"公開ページには「{public_before}」が表示されています" in page.get_by_role("status").inner_text()
    assert reg.snapshot().label == public_before

    second = upload(f"特別区連携自治体数一覧(令和{year}年9月1日現在)", f"r{year}-9.tsv")
    page.goto(f"{base}/admin/editions")
    page.locator(f"#snapshot-{second}").get_by_role("link", name="下書きを破棄").click()
    page.get_by_role("heading", name="を破棄しますか").wait_for()
    _no_serious_axe(page)
    _shot(page, tmp, f"{device}-discard-confirm")
    page.get_by_role("button", name="下書きを破棄する").click()
    page.get_by_role("status").filter(has_text="を破棄しました").wait_for()
    assert second not in {s.id for s in reg.snapshots()}
    _fits(page, VIEWPORTS[device]["width"])
    _shot(page, tmp, f"{device}-editions")
    page.goto(f"{base}/admin/editions/{draft}")  # an address that only takes a form: a Japanese page
    assert "このアドレスはフォームの送信専用です" in page.locator("h1").inner_text()
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_secretariat_manages_accounts(server, browser, device):
    base, reg, tmp = server
    name = f"sato-{device}"
    context = browser.new_context(locale="ja-JP", viewport=VIEWPORTS[device], bypass_csp=True,
                                  is_mobile=device == "phone")
    page = context.new_page()
    sign_in(page, base, "jimu")
    page.goto(f"{base}/admin/users")
    assert page.get_by_label("役割").input_value() == ""  # 「選択してください」: no role is preselected
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("役割").select_option(label="管理者（事務局）")
    page.get_by_label("区（区の担当者のみ）").select_option(label="港区")
    page.get_by_label("パスワード", exact=True).fill("violet tractor anemone")
    page.get_by_role("button", name="作成する").click()
    page.get_by_role("alert").filter(has_text="管理者（事務局）には区を指定できません").wait_for()
    page.get_by_label("役割").select_option(label="区の担当者")
    page.get_by_label("パスワード", exact=True).fill("violet tractor anemone")
    page.get_by_role("button", name="作成する").click()
    page.get_by_role("status").filter(has_text=f"アカウント「{name}」（区の担当者・港区）を作成しました").wait_for()
    _no_serious_axe(page)
    _fits(page, VIEWPORTS[device]["width"])
    _shot(page, tmp, f"{device}-accounts")

    page.get_by_role("link", name=f"「{name}」を変更").click()
    page.get_by_label("表示名").fill("佐藤（中央区）")
    page.get_by_label("区（区の担当者のみ）").select_option(label="中央区")
    _no_serious_axe(page)
    _shot(page, tmp, f"{device}-account-edit")
    page.get_by_role("button", name="変更を保存する").click()
    page.get_by_role("status").filter(has_text=f"アカウント「{name}」を変更しました：区の担当者・中央区").wait_for()

    page.get_by_role("link", name=f"「{name}」を変更").click()
    page.get_by_role("link", name=f"アカウント「{name}」を削除する…").click()
    page.get_by_role("heading", name=f"アカウント「{name}」の削除").wait_for()
    assert "元に戻せません" in page.locator(".warning").inner_text()
    assert name in {a.username for a in __import__("renkei.registry", fromlist=["accounts"]).accounts.users(reg)}
    _no_serious_axe(page)
    _fits(page, VIEWPORTS[device]["width"])
    _shot(page, tmp, f"{device}-account-remove")
    page.get_by_role("button", name=f"「{name}」を削除する").click()
    page.get_by_role("status").filter(has_text=f"アカウント「{name}」を削除しました").wait_for()
    context.close()


def test_phone_codes_do_not_wrap_the_search_shows_its_hint_and_the_map_can_be_skipped(server, browser):
    base, _, _ = server
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{base}/pref/040002/?snapshot=1")
    heights = page.eval_on_selector_all("main td code", "els => els.map(e => e.getBoundingClientRect().height)")
    line = page.eval_on_selector("main td code", "e => parseFloat(getComputedStyle(e).lineHeight) || 30")
    assert heights and max(heights) < 1.5 * line  # 040002 on one line, never 0400/02
    hint = page.evaluate("""() => {
      const input = document.querySelector('#q-header'), probe = document.createElement('span');
      probe.style.font = getComputedStyle(input).font; probe.textContent = input.placeholder;
      document.body.appendChild(probe); const need = probe.getBoundingClientRect().width; probe.remove();
      const s = getComputedStyle(input);
      return [need, input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)];
    }""")
    assert hint[0] <= hint[1], hint  # the whole placeholder fits
    page.goto(f"{base}/")
    for _press in range(30):  # the map's skip link comes before its 47 links
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('skip-inline')"):
            break
    else:
        pytest.fail("no skip link before the national map")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "pref-table"
    page.keyboard.press("Tab")  # the next stop is the table, after the map
    assert page.evaluate("!!document.activeElement.closest('#pref-table')")
    context.close()
