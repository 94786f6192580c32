"""The signed-in area's editions page: every snapshot with its state, and the admin's release, withdraw, revise.

Drafts appear here (and only here, on the web), labelled 「下書き（未公表）」. Only an admin
changes a state; each change is audited by the registry with the admin's name and the reason.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..i18n import _
from ..registry import RegistryError
from .admin import _reg, check_csrf, require
from .core import render
from .params import Id

router = APIRouter(include_in_schema=False)


def _page(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    reg = _reg(request)
    snaps = list(reversed(reg.snapshots()))
    try:
        current = reg.snapshot().id
    except RegistryError:
        current = None
    return render(request, "web/admin/editions.html", status_code=status_code, snaps=snaps, current=current,
                  **context)


@router.get("/admin/editions", response_class=HTMLResponse)
def editions(request: Request) -> Response:
    require(request)
    return _page(request)


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


@router.post("/admin/editions/{snapshot_id}", response_class=HTMLResponse)
def change_state(request: Request, snapshot_id: Id, csrf_token: str = Form(""), action: str = Form(...),
                 note: str = Form(""), source: str = Form(""), reason: str = Form("")) -> Response:
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    try:
        if action == "release":
            s = reg.release(snapshot_id, actor=account.username, note=note.strip() or None,
                            source=source.strip() or None)
            done = _("#{id} {label} を公表しました").format(id=s.id, label=s.label)
        elif action == "withdraw":
            s = reg.withdraw(snapshot_id, reason=reason, actor=account.username)
            done = _("#{id} {label} を取り下げました（理由: {reason}）").format(id=s.id, label=s.label,
                                                                          reason=s.withdrawn_reason)
        elif action == "revise":
            s = reg.revise(snapshot_id, actor=account.username)
            done = _("#{original} の訂正版の下書き #{id} を作りました").format(original=s.revises, id=s.id)
        else:
            raise HTTPException(422, "unknown action")
    except RegistryError as exc:
        return _page(request, status_code=422, error=str(exc))
    request.app.state.site.changed()
    return _page(request, done=done)


@router.get("/admin/decisions", response_class=HTMLResponse)
def decisions(request: Request) -> Response:
    require(request)
    return render(request, "web/admin/decisions.html", rows=list(reversed(_reg(request).decisions())))


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
    done = _("判断 #{id} を取り消しました（下書きの{n}件を元に戻しました）").format(id=decision_id, n=reverted)
    return render(request, "web/admin/decisions.html", rows=list(reversed(reg.decisions())), done=done)
