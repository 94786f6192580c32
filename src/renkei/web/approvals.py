"""The ward workflow in the signed-in area: pending changes, their approval, the blank template, deriving a draft.

A ward editor's edits and template uploads only ever create 承認待ち changes (see
:mod:`renkei.registry.changes`); an admin approves or rejects them here, one by one or all of
one ward's shown changes at once, and derives the draft list from the approved projects. Every route
checks the role on the server and every POST its CSRF token. Every decision is a compare-and-set in
:mod:`renkei.registry.workflow`: the loser of a race gets the 409 conflict page, never a 500.
"""

from __future__ import annotations

import tempfile

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..i18n import _
from ..registry import ChangeConflict, PermissionDenied, RegistryError, permissions, workflow
from .admin import _reg, actor_ward, check_csrf, require
from .core import render, render_text
from .params import MAX_ID, Id

router = APIRouter(include_in_schema=False)
TEMPLATE_NAME = "連携事業テンプレート"
SHOWN = 500  # pending changes listed on one page; 「すべて承認」 approves the ones shown, never more
TEMPLATE_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "csv": "text/csv; charset=utf-8"}


@router.get("/admin/template.{ext}")
def template(request: Request, ext: str) -> Response:
    """The blank project template, for ward editors and admins (the file `renkei template` writes)."""
    from urllib.parse import quote

    from ..documents.projects import write_template

    require(request, "admin", "ward")
    if ext not in TEMPLATE_TYPES:
        raise HTTPException(404, "テンプレートは XLSX と CSV です")
    with tempfile.TemporaryDirectory() as tmp:
        data = next(p for p in write_template(tmp) if p.suffix == f".{ext}").read_bytes()
    name = quote(f"{TEMPLATE_NAME}.{ext}")
    return Response(data, media_type=TEMPLATE_TYPES[ext],
                    headers={"Content-Disposition": f"attachment; filename=\"template.{ext}\"; "
                                                    f"filename*=UTF-8''{name}"})


@router.get("/admin/changes", response_class=HTMLResponse)
def changes(request: Request) -> Response:
    """Admins: every pending change, by ward. Ward editors: their ward's pending and recently decided changes."""
    return _changes_page(request)


def _changes_page(request: Request, status_code: int = 200, error: str | None = None,
                  reason_error: tuple[int, str] | None = None, reason: str = "") -> Response:
    """The changes page; ``reason_error``: (change id, message) shown beside that change's rejection reason."""
    account = require(request, "admin", "ward")
    reg = _reg(request)
    ward = actor_ward(account)
    by_ward: dict[str, list] = {}
    for c in reg.changes(ward=ward, limit=SHOWN):
        by_ward.setdefault(c.ward_code, []).append(c)
    counts = reg.pending_counts()
    decided = reg.changes(state="decided", ward=ward, limit=50) if ward else []
    reopenable = {c.id for c in reg.rejections(ward)[1] if c.action != "delete"} if ward else set()
    return render(request, "web/admin/changes.html", status_code=status_code, by_ward=by_ward, counts=counts,
                  total=counts.get(ward, 0) if ward else sum(counts.values()), decided=decided, error=error,
                  shown=SHOWN, reason_error=reason_error, reason=reason, reopenable=reopenable)


@router.post("/admin/changes/{change_id}", response_class=HTMLResponse)
def decide_change(request: Request, change_id: Id, csrf_token: str = Form(""), decision: str = Form(...),
                  reason: str = Form("", max_length=500)) -> Response:
    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    try:
        if decision == "withdraw":
            reg.withdraw_change(change_id, actor=account.username, actor_ward=actor_ward(account))
            return RedirectResponse(f"/admin/changes?done={decision}", status_code=303)
        permissions.check_decide(actor_ward(account))
        if decision == "approve":
            reg.approve([change_id], actor=account.username)
        elif decision == "reject":
            reg.reject(change_id, actor=account.username, reason=reason)
        else:
            raise HTTPException(422, _("不明な操作です"))
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except ChangeConflict as exc:  # a conflict, or a change decided meanwhile
        return _changes_page(request, 409, str(exc))
    except RegistryError as exc:  # a rejection without a reason: said beside the field, nothing decided
        return _changes_page(request, 422, reason_error=(change_id, str(exc)), reason=reason)
    return RedirectResponse(f"/admin/changes?done={decision}", status_code=303)


@router.post("/admin/changes/ward/{ward}", response_class=HTMLResponse)
def approve_ward(request: Request, ward: str, csrf_token: str = Form(""),
                 change_ids: list[int] = Form([], max_length=SHOWN)) -> Response:
    """「すべて承認」: approve the pending changes of one ward that the page showed (their ids), and no other.

    A change proposed after the page was loaded is not among the ids, so it waits; a shown one decided
    meanwhile makes the whole request a conflict (nothing approved) and the page is shown again.
    """
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    if reg.directory.get(ward) not in reg.directory.special_wards:
        raise HTTPException(404, _("特別区が見つかりません"))
    if not change_ids or not all(0 < i <= MAX_ID for i in change_ids):
        return _changes_page(request, 409, _("承認する変更が指定されていません。読み込み直してください"))
    try:
        n = reg.approve(change_ids, ward=ward, actor=account.username)
    except RegistryError as exc:
        return _changes_page(request, 409, str(exc))
    return RedirectResponse(f"/admin/changes?done=approve&n={n}", status_code=303)


@router.get("/admin/derive", response_class=HTMLResponse)
def derive_form(request: Request) -> Response:
    require(request, "admin")
    return render(request, "web/admin/derive.html", error=None, form={})


@router.post("/admin/derive", response_class=HTMLResponse)
def derive(request: Request, csrf_token: str = Form(""), since: str = Form(...), until: str = Form(...),
           as_of: str = Form(""), note: str = Form("", max_length=500)) -> Response:
    """Make a draft list from the approved projects of the period, then show it against the last edition."""
    from ..documents.wareki import parse

    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    form = {"since": since, "until": until, "as_of": as_of, "note": note}
    dates = {k: parse(form[k]) if form[k] else None for k in ("since", "until", "as_of")}
    bad = [form[k] for k in dates if form[k] and dates[k] is None]
    try:
        if bad:
            raise RegistryError(f"日付として読めません：{'、'.join(bad)}（2026-03-31 または 令和8年3月31日）")
        result = reg.derive(since=dates["since"], until=dates["until"], as_of=dates["as_of"], note=note,
                            actor=account.username)
    except RegistryError as exc:
        return render(request, "web/admin/derive.html", status_code=422, error=str(exc), form=form)
    snap = result.snapshot
    try:
        base = reg.snapshot()  # the last published edition
    except RegistryError:  # nothing published yet
        base = None
    d = reg.diff(base.id, snap.id) if base else None
    return render(request, "web/admin/derived.html", snap=snap, base=base, d=d, report=result.report)


def install_conflict_page(app: FastAPI) -> None:
    """A race that reaches the web as a database error is a 409 conflict page in Japanese, never a 500."""

    @app.exception_handler(ChangeConflict)
    @app.exception_handler(StaleDataError)
    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: Exception) -> Response:
        detail = str(exc if isinstance(exc, ChangeConflict) else workflow.race())
        text = render_text(request, "web/error.html", status=409, message=_("他の操作と重なりました"), detail=detail)
        return HTMLResponse(text, status_code=409)
