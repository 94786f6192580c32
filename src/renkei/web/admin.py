"""The signed-in area: sign-in, projects, the review queue, uploads and the audit log.

Security in one place: sessions are HttpOnly, SameSite=Strict cookies; every POST checks a
CSRF token; failed sign-ins slow down per (account, address) and per address (registry.throttle, in the database);
roles decide what each account may change (a ward editor only its own ward's projects).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..documents.projects import FIELDS
from ..i18n import _
from ..registry import ConflictError, PermissionDenied, Registry, RegistryError, accounts, passwords, throttle
from ..registry.accounts import Account
from .core import Site, render
from .params import MAX_ID, Id, Offset
from .security import COOKIE, SECURITY_HEADERS, secure_cookies

router = APIRouter(include_in_schema=False)
AUDIT_PAGE = 100  # entries per page of the audit log
LOGIN_CSRF_COOKIE = "renkei_login_csrf"


async def session_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Attach the signed-in account (if any) and the security headers every response carries."""
    request.state.account, request.state.csrf = None, ""
    request.state.static = request.app.state.static  # set by create_app for renkei build-site, never by a request
    token = request.cookies.get(COOKIE)
    if token:
        site: Site = request.app.state.site
        found = accounts.session(site.registry, token)
        if found:
            request.state.account, request.state.csrf = found
    response = await call_next(request)
    if request.method not in ("GET", "HEAD"):
        request.app.state.site.changed()  # it may have written: public pages re-check at once
    for k, v in SECURITY_HEADERS.items():
        response.headers.setdefault(k, v)
    if token and request.state.account is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _reg(request: Request) -> Registry:
    return request.app.state.site.full  # drafts included: the signed-in area


def actor_ward(account: Account) -> str | None:
    """The ward whose changes wait for approval, or None for an admin (whose changes apply at once)."""
    return account.ward_code if account.role == "ward" else None


def require(request: Request, *roles: str) -> Account:
    """The signed-in account, or a redirect to the sign-in page; 403 if its role may not do this."""
    account: Account | None = request.state.account
    if account is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/login?next={_safe_next(target)}"})
    if roles and account.role not in roles:
        raise HTTPException(403, _("この操作は許可されていません"))
    return account


def check_csrf(request: Request, token: str | None) -> None:
    if not token or not request.state.csrf or not secrets.compare_digest(token, request.state.csrf):
        raise HTTPException(403, _("フォームの有効期限が切れたか、不正な送信です（CSRF）。"
                                   "ページを読み込み直してください"))


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/admin/"
    return target


def _client(request: Request) -> str:
    """The client's address: the peer, or the forwarded address when the peer is a trusted proxy (security.py)."""
    return request.client.host if request.client else "?"


def _login_page(request: Request, csrf: str, next: str, status: int = 200, error: str | None = None,
                username: str = "") -> HTMLResponse:
    response = render(request, "web/login.html", status_code=status, login_csrf=csrf, next=_safe_next(next),
                      error=error, username=username[:passwords.MAX_USERNAME], password_max=passwords.MAX_LENGTH)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/admin/") -> Response:
    token = secrets.token_urlsafe(32)
    response = _login_page(request, token, next)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure_cookies(request), max_age=3600, path="/login")
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
          next: str = Form("/admin/")) -> Response:
    # no max_length on the fields: a validation error would echo the input, and the password must never be echoed
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        raise HTTPException(403, _("フォームの有効期限が切れたか、不正な送信です（CSRF）"))
    try:
        _account, token, _renewed = accounts.login(_reg(request), username, password, _client(request))
    except throttle.Throttled as exc:
        response = _login_page(request, cookie, next, 429, str(exc), username)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except accounts.LoginRefused as exc:
        return _login_page(request, cookie, next, 401, str(exc), username)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                        max_age=int(accounts.SESSION_FOR.total_seconds()), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    require(request)
    check_csrf(request, csrf_token)
    accounts.logout(_reg(request), request.cookies.get(COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/admin/", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    account = require(request)
    reg = _reg(request)
    ward = account.ward_code if account.role == "ward" else None
    counts = reg.pending_counts()
    return render(request, "web/admin/dashboard.html", snaps=reg.snapshots(), queue=len(reg.review_queue()),
                  role_name=accounts.role_text(account.role),
                  projects=reg.count_projects(ward=ward),
                  pending=counts.get(ward, 0) if ward else sum(counts.values()))


@router.get("/admin/projects", response_class=HTMLResponse)
def project_list(request: Request, offset: Offset = 0) -> Response:
    account = require(request)
    reg = _reg(request)
    ward = account.ward_code if account.role == "ward" else None
    offset = max(0, offset)
    items = reg.projects(ward=ward, limit=50, offset=offset)
    pending = reg.changes(ward=ward, limit=200) if account.role in ("admin", "ward") else []
    return render(request, "web/admin/projects.html", items=items, offset=offset,
                  total=reg.count_projects(ward=ward), pending=pending,
                  pending_ids={c.project_id for c in pending if c.project_id})


def _wards(reg: Registry) -> list[Any]:
    return list(reg.directory.special_wards)


def _form_context(request: Request, **extra: object) -> dict[str, object]:
    return {"fields": FIELDS, "wards": _wards(_reg(request)), **extra}


def _partner_codes(reg: Registry, text: str) -> tuple[list[str], list[str]]:
    """Partners typed as names or codes (separated by 、・ , or spaces) → (codes, problems)."""
    import re

    codes, problems = [], []
    for token in (t for t in re.split(r"[、・,，\s/／]+", text) if t):
        if token.isdigit() and reg.directory.get(token):
            codes.append(token)
            continue
        r = reg.resolver.resolve_cached(token)
        if r.code and r.status in ("exact", "normalized", "variant"):
            codes.append(r.code)
        else:
            hint = "、".join(f"{c.prefecture}{c.name}（{c.code}）" for c in r.candidates[:4])
            problems.append(_("「{token}」を特定できません").format(token=token)
                            + (_("。候補：{hint}").format(hint=hint) if hint else "") + _("。コードで入力してください"))
    return codes, problems


def _values(title: str, field: str, fiscal_year: str, start_date: str, end_date: str, summary: str,
            source_url: str) -> dict[str, object]:
    for d in (start_date, end_date):
        if d:
            try:
                date.fromisoformat(d)
            except ValueError as exc:
                raise RegistryError(_("日付「{value}」は YYYY-MM-DD で入力してください").format(value=d)) from exc
    if source_url and not source_url.startswith(("http://", "https://")):
        raise RegistryError(_("出典URLは http:// または https:// で始めてください"))
    year = None
    if fiscal_year.strip():
        if not fiscal_year.strip().isdigit() or not 1900 < int(fiscal_year) < 2200:
            raise RegistryError(_("年度は西暦4桁で入力してください（例: 2025）"))
        year = int(fiscal_year)
    return {"title": title.strip(), "field": field or None, "fiscal_year": year, "start_date": start_date or None,
            "end_date": end_date or None, "summary": summary, "source_url": source_url}


def _editor(request: Request, csrf_token: str) -> tuple[Account, Registry]:
    """The signed-in editor (admin or ward) of a project form, after its CSRF check."""
    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    return account, _reg(request)


def _submitted(reg: Registry, partners: str, *fields: str) -> tuple[list[str], dict[str, object]]:
    """A project form's partners (as codes) and values; RegistryError with every problem found."""
    codes, problems = _partner_codes(reg, partners)
    if problems:
        raise RegistryError(" / ".join(problems))
    return codes, _values(*fields)


@router.get("/admin/projects/new", response_class=HTMLResponse)
def new_project_form(request: Request) -> Response:
    account = require(request, "admin", "ward")
    blank = {"id": None, "version": 0, "title": "", "field": None, "fiscal_year": None, "start_date": None,
             "end_date": None, "summary": "", "source_url": "",
             "wards": [{"code": account.ward_code}] if account.ward_code else [], "partners": []}
    return render(request, "web/admin/project_form.html", **_form_context(request, p=blank, errors=[]))


@router.post("/admin/projects/new", response_class=HTMLResponse)
def create_project(request: Request, csrf_token: str = Form(""), title: str = Form(""), field: str = Form(""),
                   fiscal_year: str = Form(""), start_date: str = Form(""), end_date: str = Form(""),
                   summary: str = Form(""), source_url: str = Form(""), wards: list[str] | None = Form(None),
                   partners: str = Form("")) -> Response:
    account, reg = _editor(request, csrf_token)
    try:
        codes, values = _submitted(reg, partners, title, field, fiscal_year, start_date, end_date, summary,
                                   source_url)
        change = reg.propose_project(wards=wards or [], partners=codes, actor=account.username,
                                     actor_ward=account.ward_code if account.role == "ward" else None, **values)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except RegistryError as exc:
        draft = {"id": None, "version": 0, "title": title, "field": field, "fiscal_year": fiscal_year,
                 "start_date": start_date, "end_date": end_date, "summary": summary, "source_url": source_url,
                 "wards": [{"code": w} for w in wards or []], "partners": [], "partners_text": partners}
        return render(request, "web/admin/project_form.html", status_code=422,
                      **_form_context(request, p=draft, errors=[str(exc)]))
    if change.state == "pending":  # a ward editor's project waits for the secretariat
        return RedirectResponse(f"/admin/changes?proposed={change.id}", status_code=303)
    return RedirectResponse(f"/admin/projects/{change.project_id}?saved=1", status_code=303)


def _with_pending(reg: Registry, p: dict[str, object], pending: Any) -> dict[str, object]:
    """The form's values: the project as approved, or as its pending change would make it (marked as such)."""
    p = {**p, "pending": pending.id if pending else 0}
    if pending is not None and pending.action == "update":
        v = pending.values
        p.update({k: v[k] for k in ("title", "field", "fiscal_year", "start_date", "end_date", "summary",
                                    "source_url")})
        p["wards"] = [{"code": w, "name": n} for w, n in zip(v["wards"], v["ward_names"], strict=True)]
        p["partners"] = [{"code": x["code"], "name": n, "pref_code": x["pref_code"]}
                         for x, n in zip(v["partners"], v["partner_names"], strict=True)]
    return p


@router.get("/admin/projects/{project_id}", response_class=HTMLResponse)
def edit_project_form(request: Request, project_id: Id, saved: int = 0) -> Response:
    account = require(request)
    reg = _reg(request)
    try:
        p = reg.project(project_id)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc
    editable = account.can_edit_project({w for w, _ in p.wards})
    pending = reg.pending_change(project_id) if account.role in ("admin", "ward") else None
    return render(request, "web/admin/project_form.html",
                  **_form_context(request, p=_with_pending(reg, p.as_dict(), pending), errors=[], saved=saved,
                                  editable=editable, pending=pending))


@router.post("/admin/projects/{project_id}", response_class=HTMLResponse)
def update_project(request: Request, project_id: Id, csrf_token: str = Form(""),
                   version: int = Form(..., ge=0, le=MAX_ID),
                   title: str = Form(""), field: str = Form(""), fiscal_year: str = Form(""),
                   start_date: str = Form(""), end_date: str = Form(""), summary: str = Form(""),
                   source_url: str = Form(""), wards: list[str] | None = Form(None),
                   partners: str = Form(""), pending: int = Form(0)) -> Response:
    account, reg = _editor(request, csrf_token)
    try:
        codes, values = _submitted(reg, partners, title, field, fiscal_year, start_date, end_date, summary,
                                   source_url)
        changes = {**values, "wards": wards or [], "partners": codes}
        change = reg.propose_update(project_id, version, changes, actor=account.username, pending_seen=pending,
                                    actor_ward=account.ward_code if account.role == "ward" else None)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except ConflictError as exc:
        yours = {"title": title, "field": field, "fiscal_year": fiscal_year, "start_date": start_date,
                 "end_date": end_date, "summary": summary, "source_url": source_url, "partners": partners,
                 "wards": "、".join(reg.directory[w].name for w in wards or [] if reg.directory.get(w))}
        return render(request, "web/admin/conflict.html", status_code=409, yours=yours, theirs=exc.theirs,
                      project_id=project_id)
    except RegistryError as exc:
        try:
            p = reg.project(project_id).as_dict()
        except RegistryError:  # no such project (or deleted)
            raise HTTPException(404, str(exc)) from exc
        p.update(title=title, summary=summary, source_url=source_url, partners_text=partners, version=version,
                 pending=pending)
        return render(request, "web/admin/project_form.html", status_code=422,
                      **_form_context(request, p=p, errors=[str(exc)], editable=True))
    return RedirectResponse(f"/admin/projects/{project_id}?saved={2 if change.state == 'pending' else 1}",
                            status_code=303)


@router.post("/admin/projects/{project_id}/delete", response_class=HTMLResponse)
def delete_project(request: Request, project_id: int, csrf_token: str = Form(""), version: int = Form(...),
                   pending: int = Form(0), reason: str = Form("", max_length=500)) -> Response:
    """Delete a project: a change like any other (a ward editor's waits for approval); the project is kept."""
    account, reg = _editor(request, csrf_token)
    try:
        change = reg.propose_delete(project_id, version, actor=account.username, pending_seen=pending,
                                    reason=reason, actor_ward=account.ward_code if account.role == "ward" else None)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except ConflictError:
        return RedirectResponse(f"/admin/projects/{project_id}?stale=1", status_code=303)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc
    if change.state == "pending":
        return RedirectResponse(f"/admin/projects/{project_id}?saved=2", status_code=303)
    return RedirectResponse("/admin/projects?deleted=1", status_code=303)


@router.get("/admin/review", response_class=HTMLResponse)
def review_queue(request: Request) -> Response:
    require(request)
    return render(request, "web/admin/review.html", items=list(enumerate(_reg(request).review_queue(), 1)))


@router.post("/admin/review", response_class=HTMLResponse)
def decide(request: Request, csrf_token: str = Form(""), pref_code: str = Form(...), written: str = Form(...),
           action: str = Form(...), code: str = Form(""), force: str = Form("")) -> Response:
    """Record a decision. A code outside the item's prefecture (and not a candidate) asks for a second
    confirmation, which records it with a note (see reviews.guard)."""
    from ..registry import OutsidePrefecture

    account = require(request, "admin")
    check_csrf(request, csrf_token)
    if action not in ("accept", "choose", "manual", "reject"):
        raise HTTPException(422, "unknown action")
    try:
        _reg(request).decide(pref_code, written, code=code.strip() or None, action=action, actor=account.username,
                             force=force == "1")
    except OutsidePrefecture as exc:
        confirm = {"pref_code": pref_code, "written": written, "action": action, "code": code.strip()}
        return render(request, "web/admin/review.html", status_code=422,
                      items=list(enumerate(_reg(request).review_queue(), 1)), error=str(exc), confirm=confirm)
    except RegistryError as exc:
        return render(request, "web/admin/review.html", status_code=422,
                      items=list(enumerate(_reg(request).review_queue(), 1)), error=str(exc))
    return RedirectResponse("/admin/review?done=1", status_code=303)


@router.get("/admin/upload", response_class=HTMLResponse)
def upload_form(request: Request) -> Response:
    require(request, "admin", "ward")
    return render(request, "web/admin/upload.html", error=None)


@router.post("/admin/upload", response_class=HTMLResponse)
async def upload(request: Request, csrf_token: str = Form(""), file: UploadFile = File(...),
                 as_of: str = Form("")) -> Response:
    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    from starlette.concurrency import run_in_threadpool

    from ..documents import DocumentError
    from ..documents.limits import Limits
    from ..sinks import FileNameError, clean_filename

    try:
        name = clean_filename(file.filename or "upload")  # no folders or control characters; "." and ".." refused
    except FileNameError as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc))
    as_of = as_of.strip()
    if as_of:  # a list's as-of date, typed as ISO or 和暦 (a project upload never sets it: see _preview)
        from ..documents.wareki import parse

        if parse(as_of) is None:
            return render(request, "web/admin/upload.html", status_code=422,
                          error=_("時点「{value}」を日付として読めません（例: 2026-08-01、令和8年8月1日）")
                          .format(value=as_of))
        as_of = parse(as_of) or ""
    limits = Limits.from_env()
    data = await file.read(limits.max_bytes + 1)  # the body guard (security.py) refused anything much larger
    try:
        limits.check_size(len(data), name)
    except DocumentError as exc:
        return render(request, "web/admin/upload.html", status_code=413, error=str(exc))
    # parsed in a worker thread: the event loop keeps serving other requests meanwhile
    return await run_in_threadpool(_preview, request, account, name, data, as_of)


def _preview(request: Request, account: Account, name: str, data: bytes, as_of: str = "") -> Response:
    import tempfile
    from pathlib import Path

    from ..documents import DocumentError
    from ..documents.projects import sniff_projects
    from ..validate import check

    reg = _reg(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            is_projects = sniff_projects(path)
            if is_projects:  # every bad row at once; a ward's rows become pending changes, never a list
                return project_preview(request, account, name, path, tmp,
                                       lambda: _keep_upload(reg, account, name, data))
            if account.role == "ward":
                raise HTTPException(403, _("区の担当者がアップロードできるのは連携事業テンプレートだけです"))
            from ..aggregate import read_list

            as_of = "" if is_projects else as_of
            report = check(read_list(str(path), resolver=reg.resolver, as_of=as_of or None), reg.resolver)
        except DocumentError as exc:
            return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    token = _keep_upload(reg, account, name, data)
    duplicate = reg.find_duplicate(report.document.sha256, report.document.as_of)
    return render(request, "web/admin/upload_report.html", report=report, d=report.document, token=token,
                  filename=name, totals=report.totals, is_projects=is_projects, duplicate=duplicate, as_of=as_of)


def _keep_upload(reg: Registry, account: Account, name: str, data: bytes) -> str:
    """Keep a checked upload until its uploader confirms or cancels it; returns the confirmation token."""
    from sqlalchemy import delete

    from ..registry.base import now
    from ..registry.schema import PendingUpload

    token = secrets.token_urlsafe(24)
    with reg.Session.begin() as s:
        s.execute(delete(PendingUpload).where(PendingUpload.user_id == account.id))
        s.add(PendingUpload(token=token, user_id=account.id, filename=name, data=data, created_at=now()))
    return token


def project_preview(request: Request, account: Account, name: str, path: Path, tmp: str,
                    keep: Callable[[], str]) -> Response:
    """The preview of a project template: every bad row at once, else what it would add or change, and the
    names that were corrected. A file with bad rows cannot be confirmed: nothing is written until it is fixed."""
    from ..documents import DocumentError

    reg = _reg(request)
    try:
        result = reg.import_projects(path, imported_by=account.username, actor_ward=actor_ward(account),
                                     dry_run=True)
    except DocumentError as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    for e in result.problems.items:
        e.file = name
    return render(request, "web/admin/upload_projects.html", status_code=422 if result.problems else 200,
                  result=result, filename=name, report=result.report, ward=actor_ward(account),
                  token=None if result.problems else keep())  # a file with bad rows cannot be confirmed


def project_confirm(request: Request, account: Account, name: str, path: Path, tmp: str) -> Response:
    from ..documents import DocumentError

    reg = _reg(request)
    try:
        result = reg.import_projects(path, imported_by=account.username, actor_ward=actor_ward(account))
    except (DocumentError, RegistryError) as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    return render(request, "web/admin/projects_imported.html", result=result, filename=name,
                  ward=actor_ward(account))


@router.post("/admin/upload/{token}", response_class=HTMLResponse)
def confirm_upload(request: Request, token: str, csrf_token: str = Form(""), decision: str = Form(...),
                   memo: str = Form("", max_length=500), as_of: str = Form("")) -> Response:
    import tempfile
    from pathlib import Path

    from sqlalchemy import delete

    from ..documents import DocumentError
    from ..documents.projects import sniff_projects
    from ..registry.schema import PendingUpload

    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    with reg.Session() as s:
        pending = s.get(PendingUpload, token)
        if pending is None or pending.user_id != account.id:
            raise HTTPException(404, _("このアップロードは見つかりません（取り消し済みか期限切れ）"))
        name, data = pending.filename, pending.data
    with reg.Session.begin() as s:
        s.execute(delete(PendingUpload).where(PendingUpload.token == token))
    if decision != "import":
        return RedirectResponse("/admin/upload?cancelled=1", status_code=303)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        if sniff_projects(path):  # projects only: pending for a ward editor, approved at once for an admin
            return project_confirm(request, account, name, path, tmp)
        if account.role == "ward":
            raise HTTPException(403, _("区の担当者がアップロードできるのは連携事業テンプレートだけです"))
        try:
            from ..documents.projects import sniff_projects
            from ..documents.wareki import parse

            list_as_of = None if sniff_projects(path) else parse(as_of) if as_of else None
            # the upload's memo is internal (the audit log keeps it); the public note is set when publishing
            result = reg.import_file(path, memo=memo, imported_by=account.username, as_of=list_as_of)
        except (DocumentError, RegistryError) as exc:
            return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    return RedirectResponse(f"/admin/editions?done=import&id={result.snapshot.id}", status_code=303)  # PRG


@router.get("/admin/audit", response_class=HTMLResponse)
def audit(request: Request, offset: Offset = 0, actor: str = Query("", max_length=80),
          action: str = Query("", max_length=40), since: str = Query("", max_length=10),
          until: str = Query("", max_length=10)) -> Response:
    """The audit log for people: filtered by person, action and dates (days in Japan time, both included)."""
    from urllib.parse import urlencode

    from ..audit_view import ACTIONS, describe
    from ..i18n import JST, gettext

    require(request, "admin")
    offset, reg = max(0, offset), _reg(request)
    days: dict[str, date | None] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            days[name] = None
    first, last = days["since"], days["until"]
    start = datetime.combine(first, dtime.min, JST) if first else None
    end = datetime.combine(last + timedelta(days=1), dtime.min, JST) if last else None
    rows = reg.audit_log(limit=AUDIT_PAGE, offset=offset, actor=actor or None, action=action or None,
                         since=start, until=end)
    actors, actions = reg.audit_facets()
    filters = {"actor": actor, "action": action, "since": since if first else "", "until": until if last else ""}

    def query(**changes: object) -> str:
        return urlencode({k: v for k, v in {**filters, **changes}.items() if v})

    labels = {snap.id: snap.label for snap in reg.snapshots()}  # editions by label, never 「#3」
    return render(request, "web/admin/audit.html", rows=[describe(r, reg.directory, labels) for r in rows],
                  offset=offset,
                  page=AUDIT_PAGE, actors=actors, filters=filters, query=query,
                  actions=[(a, gettext(ACTIONS[a]) if a in ACTIONS else a) for a in actions])
