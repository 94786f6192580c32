"""The admin's accounts page: the same operations as `renkei user`, authorised on the server.

Only admins reach it; every POST checks the session's CSRF token. An admin cannot disable or
remove the account it is signed in with (nor can anyone remove the last admin: see accounts).
"""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..i18n import N_, _
from ..registry import Registry, RegistryError, accounts, passwords
from .admin import check_csrf, require
from .core import render
from .params import Id

router = APIRouter(include_in_schema=False)
ACTIONS = {"disable": N_("無効にしました"), "enable": N_("有効にしました"), "remove": N_("削除しました"),
           "password": N_("パスワードを変更しました"), "add": N_("作成しました")}  # gettext when shown


def _reg(request: Request) -> Registry:
    return request.app.state.site.registry


def _page(request: Request, status: int = 200, error: str | None = None, done: str | None = None,
          form: dict[str, str] | None = None) -> HTMLResponse:
    reg = _reg(request)
    wards = {w.code: w.name for w in reg.directory.special_wards}
    return render(request, "web/admin/users.html", status_code=status, users=accounts.users(reg), wards=wards,
                  roles={k: _(v) for k, v in accounts.ROLE_NAMES.items()}, error=error, done=done, form=form or {},
                  password_min=passwords.MIN_LENGTH, password_max=passwords.MAX_LENGTH,
                  username_max=passwords.MAX_USERNAME)


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(request: Request, done: str = "") -> Response:
    require(request, "admin")
    return _page(request, done=_(ACTIONS[done]) if done in ACTIONS else None)


@router.post("/admin/users", response_class=HTMLResponse)
def user_add(request: Request, csrf_token: str = Form(""), username: str = Form(""), password: str = Form(""),
             role: str = Form(""), ward: str = Form(""), display_name: str = Form("")) -> Response:
    # plain str fields, no max_length: a validation error would echo the password back
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    try:
        accounts.add_user(_reg(request), username, password, role, ward or None, display_name,
                          actor=account.username)
    except RegistryError as exc:
        form = {"username": username[:passwords.MAX_USERNAME], "role": role, "ward": ward,
                "display_name": display_name[:80]}
        return _page(request, 422, error=str(exc), form=form)
    return RedirectResponse("/admin/users?done=add", status_code=303)


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def user_change(request: Request, user_id: Id, csrf_token: str = Form(""), action: str = Form(""),
                password: str = Form("")) -> Response:
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    if action not in ACTIONS or action == "add":
        raise HTTPException(422, _("不明な操作です"))
    reg = _reg(request)
    target = next((u for u in accounts.users(reg) if u.id == user_id), None)
    if target is None:
        raise HTTPException(404, _("このアカウントはありません"))
    if target.id == account.id and action in ("disable", "remove"):
        return _page(request, 422, error=_("ログイン中の自分のアカウントは無効化・削除できません"))
    try:
        if action in ("disable", "enable"):
            accounts.set_disabled(reg, target.username, action == "disable", actor=account.username)
        elif action == "remove":
            accounts.remove_user(reg, target.username, actor=account.username)
        else:
            accounts.set_password(reg, target.username, password, actor=account.username)
    except RegistryError as exc:
        return _page(request, 422, error=f"{target.username}: {exc}")
    if action == "password" and target.id == account.id:  # its own sessions ended with the change
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(f"/admin/users?done={action}", status_code=303)
