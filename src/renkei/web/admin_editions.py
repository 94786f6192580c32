"""The signed-in area's editions page: every snapshot with its state, and the admin's release, withdraw, revise,
discard.

Drafts appear here (and only here, on the web), labelled 「下書き（未公表）」. Only an admin changes a state,
and deliberately: 公表する, 取り下げる and 下書きを破棄 each show first, on a page that can be reloaded, what
the public will see afterwards (the label, partners before → after, problems still open, the note as it
will appear, warnings); only the explicit second confirmation (``confirm=1``) changes anything. Every POST
ends in a redirect (POST/redirect/GET) whose page says what was done and what the public sees now. Each change
is audited by the registry with the admin's name and the reason.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..i18n import _
from ..registry import Registry, RegistryError, SnapshotInfo
from .admin import _reg, check_csrf, require
from .core import render
from .params import Id

router = APIRouter(include_in_schema=False)
NOTE_MAX = 2000  # a public note is a paragraph, not a document
REASON_MAX = 500


def _page(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    reg = _reg(request)
    snaps = list(reversed(reg.snapshots()))
    return render(request, "web/admin/editions.html", status_code=status_code, snaps=snaps,
                  current=_current(reg), labels={s.id: s.label for s in snaps}, **context)


def _current(reg: Registry) -> int | None:
    try:
        return reg.snapshot().id
    except RegistryError:
        return None


def _public_now(reg: Registry) -> str:
    """What the public sees now, in a sentence."""
    current = _current(reg)
    if current is None:
        return _("公開ページに表示される公表済みの版はありません。")
    return _("公開ページには「{label}」が表示されています。").format(label=reg.snapshot(current).label)


def _done(reg: Registry, done: str, snapshot_id: int) -> str | None:
    """The result of the last action, rebuilt from the registry (a reload shows the same sentence)."""
    if done == "discard":
        entry = next((e for e in reg.audit_log(limit=50, action="discard") if e["target_id"] == str(snapshot_id)),
                     None)
        if entry is None:  # nothing was discarded under this id: say nothing
            return None
        label = (entry["before"] or {}).get("label", "")
        return _("下書き「{label}」を破棄しました。").format(label=label) + _public_now(reg)
    try:
        s = reg.snapshot(snapshot_id)
    except RegistryError:
        return None
    if done == "import" and s.state == "draft":
        return _("「{label}」を下書きとして取り込みました（連携自治体 {partners}、要確認 {review}）。"
                 "公表するまで公開ページは変わりません。").format(label=s.label, partners=s.partners,
                                                     review=s.needs_review)
    if done == "release" and s.state != "draft":
        return _("「{label}」を公表しました。").format(label=s.label) + _public_now(reg)
    if done == "withdraw" and s.state == "withdrawn":
        return _("「{label}」を取り下げました（理由: {reason}）。").format(label=s.label, reason=s.withdrawn_reason) \
            + _public_now(reg)
    if done == "revise" and s.revises:
        return _("「{original}」の訂正版の下書きを作りました。公表するまで公開ページは変わりません。").format(
            original=reg.snapshot(s.revises).label)
    return None


@router.get("/admin/editions", response_class=HTMLResponse)
def editions(request: Request, done: str = Query("", max_length=10), id: Id | None = Query(None)) -> Response:
    require(request)
    reg = _reg(request)
    return _page(request, done=_done(reg, done, id) if id else None)


def _after(done: str, snapshot_id: int) -> RedirectResponse:
    return RedirectResponse("/admin/editions?" + urlencode({"done": done, "id": snapshot_id}), status_code=303)


@router.get("/admin/editions/{snapshot_id}/diff", response_class=HTMLResponse)
def edition_diff(request: Request, snapshot_id: Id) -> Response:
    """A snapshot (a draft, typically) against the latest published edition, before it is released."""
    require(request)
    reg = _reg(request)
    try:
        snap = reg.snapshot(snapshot_id)
        base = reg.snapshot(snap.revises) if snap.revises else reg.snapshot()
        d = reg.diff(base.id, snap.id)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc
    return render(request, "web/admin/edition_diff.html", snap=snap, d=d)


def _snapshot(reg: Registry, snapshot_id: int) -> SnapshotInfo:
    try:
        return reg.snapshot(snapshot_id)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/admin/editions/{snapshot_id}/publish", response_class=HTMLResponse)
def confirm_release(request: Request, snapshot_id: Id, note: str | None = Query(None, max_length=NOTE_MAX),
                    source: str | None = Query(None, max_length=NOTE_MAX)) -> Response:
    """The first 公表する: what the public will see, with the note exactly as it will appear."""
    require(request, "admin")
    reg = _reg(request)
    snap = _snapshot(reg, snapshot_id)
    if snap.state != "draft":
        return _after("release", snap.id) if snap.state == "published" else RedirectResponse("/admin/editions", 303)
    preview = reg.release_preview(snapshot_id, note=note)
    return render(request, "web/admin/edition_publish.html", p=preview,
                  source=snap.source if source is None else source.strip())


@router.get("/admin/editions/{snapshot_id}/withdraw", response_class=HTMLResponse)
def confirm_withdraw(request: Request, snapshot_id: Id, reason: str = Query("", max_length=REASON_MAX)) -> Response:
    """The first 取り下げる: which edition the public will see instead."""
    require(request, "admin")
    reg = _reg(request)
    snap = _snapshot(reg, snapshot_id)
    if snap.state != "published":
        return RedirectResponse("/admin/editions", status_code=303)
    return render(request, "web/admin/edition_withdraw.html", snap=snap, reason=reason.strip(),
                  after=reg.public_after_withdrawal(snapshot_id), is_current=_current(reg) == snap.id)


@router.get("/admin/editions/{snapshot_id}/discard", response_class=HTMLResponse)
def confirm_discard(request: Request, snapshot_id: Id) -> Response:
    """The first 下書きを破棄: names the draft; nothing public changes."""
    require(request, "admin")
    snap = _snapshot(_reg(request), snapshot_id)
    if snap.state != "draft":
        return RedirectResponse("/admin/editions", status_code=303)
    return render(request, "web/admin/edition_discard.html", snap=snap)


@router.post("/admin/editions/{snapshot_id}", response_class=HTMLResponse)
def change_state(request: Request, snapshot_id: Id, csrf_token: str = Form(""), action: str = Form(...),
                 note: str = Form("", max_length=NOTE_MAX), source: str = Form("", max_length=NOTE_MAX),
                 reason: str = Form("", max_length=REASON_MAX), confirm: str = Form("")) -> Response:
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    if action in ("release", "withdraw", "discard") and confirm != "1":  # the first click only asks
        page = {"release": "publish", "withdraw": "withdraw", "discard": "discard"}[action]
        query = {"release": {"note": note, "source": source}, "withdraw": {"reason": reason}}.get(action, {})
        return RedirectResponse(f"/admin/editions/{snapshot_id}/{page}" + (f"?{urlencode(query)}" if query else ""),
                                status_code=303)
    try:
        if action == "release":
            s = reg.release(snapshot_id, actor=account.username, note=note.strip(), source=source.strip() or None)
        elif action == "withdraw":
            s = reg.withdraw(snapshot_id, reason=reason, actor=account.username)
        elif action == "revise":
            s = reg.revise(snapshot_id, actor=account.username)
        elif action == "discard":
            s = reg.discard(snapshot_id, actor=account.username)
        else:
            raise HTTPException(422, _("不明な操作です"))
    except RegistryError as exc:
        return _page(request, status_code=422, error=str(exc))
    request.app.state.site.changed()
    return _after(action, s.id)


@router.get("/admin/decisions", response_class=HTMLResponse)
def decisions(request: Request, undone: Id | None = Query(None), n: int = Query(0, ge=0, le=10**6)) -> Response:
    require(request)
    done = _("判断を取り消しました（下書きの{n}件を元に戻しました）").format(n=n) if undone else None
    return render(request, "web/admin/decisions.html", rows=list(reversed(_reg(request).decisions())), done=done)


@router.post("/admin/decisions/{decision_id}/undo", response_class=HTMLResponse)
def undo_decision(request: Request, decision_id: Id, csrf_token: str = Form("")) -> Response:
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    try:
        reverted = reg.undo_decision(decision_id, actor=account.username)
    except RegistryError as exc:
        return render(request, "web/admin/decisions.html", status_code=422, rows=list(reversed(reg.decisions())),
                      error=str(exc))
    request.app.state.site.changed()
    return RedirectResponse(f"/admin/decisions?undone={decision_id}&n={reverted}", status_code=303)
