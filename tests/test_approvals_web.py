"""Approvals people can check: partners as 「広島県府中市（342084）」 on every staff page, the ward form by name,
every error at once, audit entries of real changes only, rejection with a reason the ward sees, and reopening.

Every test runs on SQLite and on PostgreSQL (the ``db_url`` fixture); the browser walk is in test_browser.py.
"""

from __future__ import annotations

import re

import pytest
import staff_site
from fastapi.testclient import TestClient
from staff_site import csrf_of

from renkei.audit_view import describe
from renkei.registry import PermissionDenied, RegistryError

MINATO, CHUO = staff_site.MINATO, staff_site.CHUO
WATARI, FUCHU_HIROSHIMA, FUCHU_TOKYO, MIYAGI = "043613", "342084", "132063", "040002"
FUCHU_LABEL, MIYAGI_LABEL, WATARI_LABEL = "広島県府中市（342084）", "宮城県（040002）", "宮城県亘理町（043613）"


def sign_in(app, username: str) -> TestClient:
    return staff_site.sign_in(app, username, follow_redirects=False)  # a POST answers 303: the tests look at it


def form(client: TestClient, **values: object) -> dict[str, object]:
    data: dict[str, object] = {"title": "物産展", "field": "", "fiscal_year": "", "start_date": "", "end_date": "",
                               "summary": "", "source_url": "", "wards": [MINATO], "partners": "",
                               "csrf_token": csrf_of(client)}
    data.update(values)
    return data


def field_errors(html: str, name: str) -> str:
    """The error list shown beside one field (empty if none), after checking the field points to it."""
    found = re.search(rf'<ul class="error field-error" id="{name}-error">(.*?)</ul>', html, re.S)
    return found.group(1) if found else ""


def test_partners_read_with_prefecture_and_code_on_every_staff_page(web):
    app, reg = web
    p = reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    minato = sign_in(app, "minato")
    r = minato.post(f"/admin/projects/{p.id}", data=form(minato, version=str(p.version), pending="0",
                                                          partners="宮城県亘理町\n広島県府中市\n宮城県"))
    assert r.status_code == 303
    admin = sign_in(app, "jimu")
    changes = admin.get("/admin/changes").text  # 承認待ち
    assert f"<ins>{WATARI_LABEL}、{FUCHU_LABEL}、{MIYAGI_LABEL}</ins>" in changes
    assert f"<del>{WATARI_LABEL}</del>" in changes
    listed = admin.get("/admin/projects").text  # the pending list and the live list
    assert f"{WATARI_LABEL}、{FUCHU_LABEL}、{MIYAGI_LABEL}" in listed and WATARI_LABEL in listed
    edit = admin.get(f"/admin/projects/{p.id}").text  # the form: names to edit, labels as the answer
    assert "宮城県亘理町\n広島県府中市\n宮城県</textarea>" in edit and FUCHU_LABEL in edit
    admin.post(f"/admin/changes/{reg.changes()[0].id}", data={"csrf_token": csrf_of(admin), "decision": "approve"})
    audit = admin.get("/admin/audit").text
    assert FUCHU_LABEL in audit and "342084</td>" not in audit


def test_the_conflict_page_compares_codes_and_shows_labels(web):
    app, reg = web
    p = reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI, FUCHU_HIROSHIMA], actor="jimu")
    first, second = sign_in(app, "jimu"), sign_in(app, "jimu2")
    assert second.post(f"/admin/projects/{p.id}", data=form(second, version="1", pending="0", title="先に保存",
                                                            partners="亘理町、広島県府中市")).status_code == 303
    r = first.post(f"/admin/projects/{p.id}", data=form(first, version="1", pending="0", title="後から保存",
                                                        partners=f"{WATARI}\n広島県府中市"))
    assert r.status_code == 409
    rows = dict(re.findall(r'<tr( class="differs")?><th scope="row">(\S+?)</th>', r.text)[i][::-1]
                for i in range(9))
    assert rows["事業名"] == ' class="differs"' and rows["連携先"] == "" and rows["区"] == ""
    assert r.text.count(f"{WATARI_LABEL}、{FUCHU_LABEL}") == 2  # both sides as labels, never a code against a name


def test_the_ward_form_takes_names_corrects_a_typo_and_keeps_an_ambiguous_name(web):
    app, reg = web
    minato = sign_in(app, "minato")
    r = minato.post("/admin/projects/new", data=form(minato, partners="豆理町\n府中市", fiscal_year="令和7年度"))
    assert r.status_code == 422 and reg.changes() == []
    errors = field_errors(r.text, "partners")
    assert "「府中市」は複数の自治体に当てはまります" in errors
    assert "東京都府中市（132063）" in errors and FUCHU_LABEL in errors and "豆理町" not in errors
    assert "豆理町\n府中市</textarea>" in r.text  # kept as typed
    assert f"豆理町 → <span class=\"place\">{WATARI_LABEL}</span>" in r.text  # the resolver's answer
    assert 'aria-describedby="partners-error partners-help"' in r.text
    assert 'value="令和7年度"' in r.text
    r = minato.post("/admin/projects/new", data=form(minato, partners="豆理町\n広島県府中市", fiscal_year="令和7年度"),
                    follow_redirects=False)
    assert r.status_code == 303
    (change,) = reg.changes()
    assert [x["code"] for x in change.values["partners"]] == [WATARI, FUCHU_HIROSHIMA]
    assert change.values["fiscal_year"] == 2025


def test_every_error_at_once_each_beside_its_field(web):
    app, reg = web
    minato = sign_in(app, "minato")
    r = minato.post("/admin/projects/new", data=form(minato, title=" ", fiscal_year="来年", start_date="いつか",
                                                     end_date="2025-04-01", source_url="ftp://example",
                                                     partners="ほげほげ村"))
    assert r.status_code == 422 and reg.changes() == []
    for name, message in [("title", "事業名を入力してください"), ("fiscal_year", "年度「来年」を読めません"),
                          ("start_date", "日付「いつか」を読めません"), ("source_url", "出典URLは"),
                          ("partners", "「ほげほげ村」を特定できません")]:
        assert message in field_errors(r.text, name), name
        assert re.search(rf'id="{name}"[^>]*aria-invalid="true" aria-describedby="{name}-error', r.text), name
    assert "入力に問題があります（5項目）" in r.text
    both = minato.post("/admin/projects/new", data=form(minato, start_date="令和8年4月1日", end_date="2026-03-31",
                                                        partners="亘理町"))
    assert "終了日が開始日より前です" in field_errors(both.text, "end_date")


def test_the_editors_own_ward_is_fixed(web):
    app, reg = web
    minato = sign_in(app, "minato")
    page = minato.get("/admin/projects/new").text
    assert re.search(rf'value="{MINATO}" checked disabled> 港区</label><input type="hidden" name="wards" '
                     rf'value="{MINATO}">', page)
    assert re.search(rf'value="{CHUO}"> 中央区</label>', page)  # a co-ward may be added
    admin_page = sign_in(app, "jimu").get("/admin/projects/new").text
    assert "disabled>" not in admin_page.split('class="wards"')[1].split("</fieldset>")[0]
    r = minato.post("/admin/projects/new", data=form(minato, wards=[MINATO, CHUO], partners="亘理町"))
    assert r.status_code == 303 and reg.changes()[0].values["wards"] == [MINATO, CHUO]


def test_the_audit_log_lists_only_the_fields_that_changed(web):
    app, reg = web
    p = reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu", summary="")
    change = reg.propose_update(p.id, p.version, {"partners": [WATARI, FUCHU_HIROSHIMA]}, actor="minato",
                                actor_ward=MINATO, pending_seen=0)
    reg.approve([change.id], actor="jimu")
    request, approval = (describe(a, reg.directory) for a in reversed(reg.audit_log(limit=2)))
    for line in (request, approval):
        assert line.changes == (("連携先", WATARI_LABEL, f"{WATARI_LABEL}、{FUCHU_LABEL}"),), line.action
    page = sign_in(app, "jimu").get("/admin/audit").text
    assert "131032</td>" not in page and "港区 → 131032" not in page


def reject_through_the_page(app, reg, reason: str):
    admin = sign_in(app, "jimu")
    (change,) = reg.changes()
    return change, admin.post(f"/admin/changes/{change.id}", data={"csrf_token": csrf_of(admin), "decision": "reject",
                                                                  "reason": reason})


def test_a_rejection_needs_a_reason(web):
    app, reg = web
    reg.propose_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="minato", actor_ward=MINATO)
    change, r = reject_through_the_page(app, reg, "  ")
    assert r.status_code == 422 and reg.changes()[0].state == "pending"
    assert re.search(rf'id="reason{change.id}-error" role="alert">却下の理由を入力してください', r.text)
    assert f'aria-describedby="reason{change.id}-error"' in r.text
    with pytest.raises(RegistryError, match="却下の理由を入力してください"):
        reg.reject(change.id, actor="jimu", reason="")
    _change, r = reject_through_the_page(app, reg, "年度が違います")
    assert r.status_code == 303 and reg.changes(state="rejected")[0].reason == "年度が違います"


def test_the_wards_dashboard_counts_its_rejections_with_their_reasons(web):
    app, reg = web
    for title in ("一つ目", "二つ目", "取り下げる"):
        reg.propose_project(title=title, wards=[MINATO], partners=[WATARI], actor="minato", actor_ward=MINATO)
    first, second, withdrawn = reg.changes()
    reg.reject(first.id, actor="jimu", reason="連携先が違います")
    reg.reject(second.id, actor="jimu", reason="年度を入れてください")
    reg.withdraw_change(withdrawn.id, actor="minato", actor_ward=MINATO)  # its own withdrawal is not a rejection
    page = sign_in(app, "minato").get("/admin/").text
    assert "却下された申請 2件" in page and "連携先が違います" in page and "年度を入れてください" in page
    assert f'href="/admin/changes/{first.id}/reopen"' in page and "取り下げる" not in page
    assert "却下された申請" not in sign_in(app, "chuo").get("/admin/").text


def test_a_rejected_change_is_reopened_corrected_and_proposed_again(web):
    app, reg = web
    p = reg.add_project(title="物産展", wards=[MINATO], partners=[WATARI], actor="jimu")
    reg.propose_update(p.id, p.version, {"title": "物産展2025", "partners": [FUCHU_TOKYO]}, actor="minato",
                       actor_ward=MINATO, pending_seen=0)
    rejected, _r = reject_through_the_page(app, reg, "府中市は広島県のはずです")
    minato = sign_in(app, "minato")
    assert sign_in(app, "chuo").get(f"/admin/changes/{rejected.id}/reopen").status_code == 403
    page = minato.get(f"/admin/changes/{rejected.id}/reopen").text
    assert 'value="物産展2025"' in page and "東京都府中市</textarea>" in page  # the rejected values
    assert "府中市は広島県のはずです" in page and f'name="reopens" value="{rejected.id}"' in page
    assert f'href="/admin/changes/{rejected.id}/reopen"' in minato.get("/admin/changes").text  # 最近の判断 too
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = minato.post(f"/admin/projects/{p.id}", data=form(minato, title="物産展2025", partners="広島県府中市",
                                                          version=version, pending="0", reopens=str(rejected.id)))
    assert r.status_code == 303
    (again,) = reg.changes()
    assert (again.reopens_id, again.values["partners"][0]["code"], again.state) == (rejected.id, FUCHU_HIROSHIMA,
                                                                                  "pending")
    request = reg.audit_log(limit=1)[0]
    assert (request["action"], request["after"]["reopens"]) == ("request", rejected.id)
    assert "却下された申請" not in minato.get("/admin/").text
    assert f'href="/admin/changes/{rejected.id}/reopen"' not in minato.get("/admin/changes").text
    assert f"再申請（却下された申請番号 {rejected.id} を修正）" in sign_in(app, "jimu").get("/admin/changes").text
    twice = minato.post(f"/admin/projects/{p.id}", data=form(minato, title="三回目", partners="亘理町",
                                                             version=version, pending=str(again.id),
                                                             reopens=str(rejected.id)))
    assert twice.status_code == 422 and "再申請できる却下された申請ではありません" in twice.text
    assert [c.id for c in reg.changes()] == [again.id]


def test_a_rejected_creation_is_proposed_again_by_its_ward_only(web):
    _app, reg = web
    created = reg.propose_project(title="新規", wards=[MINATO], partners=[WATARI], actor="minato",
                                  actor_ward=MINATO)
    reg.reject(created.id, actor="jimu", reason="年度がありません")
    with pytest.raises(PermissionDenied):
        reg.propose_project(title="新規", wards=[MINATO, CHUO], partners=[WATARI], actor="chuo",
                            actor_ward=CHUO, reopens=created.id)
    again = reg.propose_project(title="新規", wards=[MINATO], partners=[WATARI], actor="minato",
                                actor_ward=MINATO, fiscal_year=2025, reopens=created.id)
    assert again.reopens_id == created.id and reg.rejections(MINATO) == (0, [])
