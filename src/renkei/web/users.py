"""The admin's accounts page: the same operations as `renkei user`, authorised on the server.

Only admins reach it; every POST checks the session's CSRF token and ends in a redirect to a page
that can be reloaded (POST/redirect/GET), whose message names the account and its role. Deleting
asks first on a page of its own that names the account. An admin cannot disable or remove the
account it is signed in with (nor can anyone remove the last admin: see accounts).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..i18n import N_, _
from ..registry import Registry, RegistryError, accounts, passwords
from ..registry.accounts import Account
from .admin import check_csrf, require
from .core import render
from .params import Id

router = APIRouter(include_in_schema=False)
# the result of each action, naming the account and its role; gettext when shown
ACTIONS = {"disable": N_("アカウント「{name}」（{role}）を無効にしました"),
           "enable": N_("アカウント「{name}」（{role}）を有効にしました"),
           "remove": N_("アカウント「{name}」を削除しました"),
           "password": N_("アカウント「{name}」（{role}）のパスワードを変更しました"),
           "add": N_("アカウント「{name}」（{role}）を作成しました"),
           "update": N_("アカウント「{name}」を変更しました：{role}、表示名「{display_name}」")}


def _reg(request: Request) -> Registry:
    return request.app.state.site.registry


def _wards(reg: Registry) -> dict[str, str]:
    return {w.code: w.name for w in reg.directory.special_wards}


def role_with_ward(reg: Registry, account: Account) -> str:
    """「区の担当者・港区」: the role as the accounts page names it, with a ward editor's ward."""
    ward = _wards(reg).get(account.ward_code or "")
    return accounts.role_text(account.role) + (f"・{ward}" if ward else "")


def _done(request: Request, action: str, name: str) -> str | None:
    """The result message of a redirect, rebuilt from the account as it is now (a reload shows the same)."""
    if action not in ACTIONS:
        return None
    reg = _reg(request)
    found = next((u for u in accounts.users(reg) if u.username == name), None)
    removed = action == "remove" and found is None and any(
        (e["before"] or {}).get("username") == name for e in reg.audit_log(limit=20, action="remove"))
    if found is None and not removed:  # a message only about what really happened (no text from a link)
        return None
    return _(ACTIONS[action]).format(name=name, role=role_with_ward(reg, found) if found else "",
                                     display_name=found.display_name if found else "")


def _after(action: str, name: str) -> RedirectResponse:
    return RedirectResponse("/admin/users?" + urlencode({"done": action, "user": name}), status_code=303)


def _page(request: Request, status: int = 200, error: str | None = None, done: str | None = None,
          form: dict[str, str] | None = None) -> HTMLResponse:
    reg = _reg(request)
    return render(request, "web/admin/users.html", status_code=status, users=accounts.users(reg), wards=_wards(reg),
                  roles={k: _(v) for k, v in accounts.ROLE_NAMES.items()}, error=error, done=done, form=form or {},
                  password_min=passwords.MIN_LENGTH, password_max=passwords.MAX_LENGTH,
                  username_max=passwords.MAX_USERNAME, display_name_max=accounts.MAX_DISPLAY_NAME)


def _target(request: Request, user_id: int) -> Account:
    target = next((u for u in accounts.users(_reg(request)) if u.id == user_id), None)
    if target is None:
        raise HTTPException(404, _("このアカウントはありません"))
    return target


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(request: Request, done: str = "", user: str = "") -> Response:
    require(request, "admin")
    return _page(request, done=_done(request, done, user[:passwords.MAX_USERNAME]))


@router.post("/admin/users", response_class=HTMLResponse)
def user_add(request: Request, csrf_token: str = Form(""), username: str = Form(""), password: str = Form(""),
             role: str = Form(""), ward: str = Form(""), display_name: str = Form("")) -> Response:
    # plain str fields, no max_length: a validation error would echo the password back
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    try:
        created = accounts.add_user(_reg(request), username, password, role, ward or None, display_name,
                                    actor=account.username)
    except RegistryError as exc:
        form = {"username": username[:passwords.MAX_USERNAME], "role": role, "ward": ward,
                "display_name": display_name[:accounts.MAX_DISPLAY_NAME]}
        return _page(request, 422, error=str(exc), form=form)
    return _after("add", created.username)


def _edit_page(request: Request, target: Account, status: int = 200, error: str | None = None,
               form: dict[str, str] | None = None) -> HTMLResponse:
    reg = _reg(request)
    wards = _wards(reg)
    values = form or {"role": target.role, "ward": wards.get(target.ward_code or "", ""),
                      "display_name": target.display_name}
    return render(request, "web/admin/user_edit.html", status_code=status, target=target, wards=wards,
                  roles={k: _(v) for k, v in accounts.ROLE_NAMES.items()}, error=error, form=values,
                  role_text=role_with_ward(reg, target), password_min=passwords.MIN_LENGTH,
                  password_max=passwords.MAX_LENGTH, display_name_max=accounts.MAX_DISPLAY_NAME)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_edit_form(request: Request, user_id: Id) -> Response:
    require(request, "admin")
    return _edit_page(request, _target(request, user_id))


@router.post("/admin/users/{user_id}/edit", response_class=HTMLResponse)
def user_edit(request: Request, user_id: Id, csrf_token: str = Form(""), role: str = Form(""),
              ward: str = Form(""), display_name: str = Form("")) -> Response:
    """Change the role, ward and display name; the registry checks that the role and the ward go together."""
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    target = _target(request, user_id)
    try:
        accounts.set_user(_reg(request), target.username, role=role, ward=ward, display_name=display_name,
                          actor=account.username)
    except RegistryError as exc:
        form = {"role": role, "ward": ward, "display_name": display_name[:accounts.MAX_DISPLAY_NAME]}
        return _edit_page(request, target, 422, error=str(exc), form=form)
    return _after("update", target.username)


@router.get("/admin/users/{user_id}/remove", response_class=HTMLResponse)
def user_remove_form(request: Request, user_id: Id) -> Response:
    """Deleting cannot be undone: this page names the account and asks once more."""
    account = require(request, "admin")
    target = _target(request, user_id)
    return render(request, "web/admin/user_remove.html", target=target, self_account=target.id == account.id,
                  role_text=role_with_ward(_reg(request), target))


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
def user_change(request: Request, user_id: Id, csrf_token: str = Form(""), action: str = Form(""),
                password: str = Form(""), confirm: str = Form("")) -> Response:
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    if action not in ACTIONS or action in ("add", "update"):
        raise HTTPException(422, _("不明な操作です"))
    reg = _reg(request)
    target = _target(request, user_id)
    if target.id == account.id and action in ("disable", "remove"):
        return _page(request, 422, error=_("ログイン中の自分のアカウント「{name}」は無効化・削除できません")
                     .format(name=target.username))
    if action == "remove" and confirm != "1":  # only the confirmation page deletes
        return RedirectResponse(f"/admin/users/{target.id}/remove", status_code=303)
    try:
        if action in ("disable", "enable"):
            accounts.set_disabled(reg, target.username, action == "disable", actor=account.username)
        elif action == "remove":
            accounts.remove_user(reg, target.username, actor=account.username)
        else:
            accounts.set_password(reg, target.username, password, actor=account.username)
    except RegistryError as exc:
        return _page(request, 422, error=_("アカウント「{name}」：{problem}").format(name=target.username,
                                                                                 problem=exc))
    if action == "password" and target.id == account.id:  # its own sessions ended with the change
        return RedirectResponse("/login", status_code=303)
    return _after(action, target.username)
