"""The signed-in area: sign-in, projects, the review queue, uploads and the audit log.

Security in one place: sessions are HttpOnly, SameSite=Strict cookies; every POST checks a
CSRF token; failed sign-ins slow down per (account, address) and per address (registry.throttle, in the database);
roles decide what each account may change (a ward editor only its own ward's projects).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..documents.projects import FIELDS
from ..i18n import _
from ..registry import (
    ChangeConflict,
    ConflictError,
    PermissionDenied,
    Registry,
    RegistryError,
    accounts,
    passwords,
    throttle,
)
from ..registry.accounts import Account
from .core import Site, render
from .params import MAX_ID, FormNumber, Id, Offset
from .project_form import PartnerAnswer, SubmittedProject, partners_text, read_form
from .security import COOKIE, SECURITY_HEADERS, secure_cookies

if TYPE_CHECKING:
    from ..registry.staging import Staged
    from ..validate import Report

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
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request),
                        max_age=int(accounts.SESSION_FOR.total_seconds()), path="/")
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    require(request)
    check_csrf(request, csrf_token)
    accounts.logout(_reg(request), request.cookies.get(COOKIE), _client(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/admin/", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    account = require(request)
    reg = _reg(request)
    ward = account.ward_code if account.role == "ward" else None
    counts = reg.pending_counts()
    rejections_total, rejections = reg.rejections(ward) if ward else (0, [])  # a ward reads why, and corrects
    return render(request, "web/admin/dashboard.html", snaps=reg.snapshots(), queue=len(reg.review_queue()),
                  role_name=accounts.role_text(account.role),
                  projects=reg.count_projects(ward=ward), rejections=rejections, rejections_total=rejections_total,
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


def _fixed_wards(account: Account, project_wards: list[str]) -> list[str]:
    """The wards a ward editor cannot untick: its own, and a joint project's others (only an admin removes one)."""
    if account.role != "ward" or not account.ward_code:
        return []
    return list(dict.fromkeys([account.ward_code, *project_wards]))


def _form_page(request: Request, account: Account, p: dict[str, Any], *, status_code: int = 200,
               errors: dict[str, list[str]] | None = None, answers: list[PartnerAnswer] | None = None,
               fixed: list[str] | None = None, **extra: object) -> Response:
    """The project form: ``p`` as the form shows it (texts as typed, ward codes, partners as names)."""
    return render(request, "web/admin/project_form.html", status_code=status_code, fields=FIELDS,
                  wards=_wards(_reg(request)), p=p, errors=errors or {}, answers=answers or [],
                  fixed_wards=fixed if fixed is not None else _fixed_wards(account, list(p["wards"])),
                  **extra)


def _form_values(reg: Registry, values: dict[str, Any], **extra: object) -> dict[str, object]:
    """A project (or a change's values) as the form shows it: ward codes, partners as names one per line."""
    wards = [w["code"] if isinstance(w, dict) else w for w in values.get("wards") or []]
    return {"id": None, "version": 0, "pending": 0, "reopens": 0, **{k: values.get(k) for k in PROJECT_TEXTS},
            "wards": wards, "partners_text": partners_text(reg.directory, list(values.get("partners") or [])),
            "partners": list(values.get("partners") or []), **extra}


PROJECT_TEXTS = ("title", "field", "fiscal_year", "start_date", "end_date", "summary", "source_url")


def _editor(request: Request, csrf_token: str) -> tuple[Account, Registry]:
    """The signed-in editor (admin or ward) of a project form, after its CSRF check."""
    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    return account, _reg(request)


def _typed(form: SubmittedProject, texts: dict[str, str], **extra: object) -> dict[str, object]:
    """The form shown again after a problem: every field exactly as typed."""
    return {"id": None, "version": 0, "pending": 0, "reopens": 0, **texts, "wards": form.wards, "partners": [],
            **extra}


@router.get("/admin/projects/new", response_class=HTMLResponse)
def new_project_form(request: Request) -> Response:
    account = require(request, "admin", "ward")
    blank = _form_values(_reg(request), {"wards": [account.ward_code] if account.ward_code else []})
    return _form_page(request, account, blank)


@router.get("/admin/changes/{change_id}/reopen", response_class=HTMLResponse)
def reopen_form(request: Request, change_id: Id) -> Response:
    """A rejected change opened again by its ward: the form pre-filled with the rejected values and the reason."""
    account = require(request, "admin", "ward")
    reg = _reg(request)
    try:
        rejected = reg.reopenable(change_id, actor_ward=actor_ward(account))
        extra: dict[str, object] = {"reopens": rejected.id}
        if rejected.project_id is not None:
            current = reg.project(rejected.project_id)
            pending = reg.pending_change(current.id, actor_ward=actor_ward(account))
            extra.update(id=current.id, version=current.version, pending=pending.id if pending else 0)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc
    p = _form_values(reg, rejected.values, **extra)
    return _form_page(request, account, p, rejected=rejected,
                      fixed=_fixed_wards(account, list((rejected.current or {}).get("wards") or [])))


@router.post("/admin/projects/new", response_class=HTMLResponse)
def create_project(request: Request, csrf_token: str = Form(""), title: str = Form(""), field: str = Form(""),
                   fiscal_year: str = Form(""), start_date: str = Form(""), end_date: str = Form(""),
                   summary: str = Form(""), source_url: str = Form(""), wards: list[str] | None = Form(None),
                   partners: str = Form("", max_length=20000), reopens: int = Form(0, ge=0, le=MAX_ID)) -> Response:
    account, reg = _editor(request, csrf_token)
    texts = {"title": title, "field": field, "fiscal_year": fiscal_year, "start_date": start_date,
             "end_date": end_date, "summary": summary, "source_url": source_url}
    form = read_form(reg, **texts, wards=wards or [], partners=partners)
    if not form.errors:
        try:
            change = reg.propose_project(wards=form.wards, partners=form.partner_codes, actor=account.username,
                                         actor_ward=actor_ward(account), reopens=reopens or None,
                                         **form.values)
        except PermissionDenied as exc:
            raise HTTPException(403, str(exc)) from exc
        except ChangeConflict:
            raise  # the 409 conflict page (approvals.install_conflict_page)
        except RegistryError as exc:
            form.add("form", str(exc))
    if form.errors:
        return _form_page(request, account, _typed(form, texts, partners_text=partners, reopens=reopens),
                          status_code=422, errors=form.errors, answers=form.partners)
    if change.state == "pending":  # a ward editor's project waits for the secretariat
        return RedirectResponse(f"/admin/changes?proposed={change.id}", status_code=303)
    return RedirectResponse(f"/admin/projects/{change.project_id}?saved=1", status_code=303)


def _with_pending(p: dict[str, object], pending: Any) -> dict[str, object]:
    """The form's values: the project as approved, or as its pending change would make it (marked as such)."""
    p = {**p, "pending": pending.id if pending else 0}
    if pending is not None and pending.action == "update":
        v = pending.values
        p.update({k: v[k] for k in PROJECT_TEXTS}, wards=list(v["wards"]), partners=list(v["partners"]))
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
    # another ward's editor (and a viewer) sees the approved project only: no pending values, no proposer
    pending = reg.pending_change(project_id, actor_ward=actor_ward(account)) if account.role in ("admin", "ward") \
        else None
    shown = _with_pending(p.as_dict(), pending)
    values = _form_values(reg, shown, id=p.id, version=p.version, pending=shown["pending"])
    return _form_page(request, account, values, saved=saved, editable=editable, pending=pending,
                      fixed=_fixed_wards(account, [w for w, _ in p.wards]))


@router.post("/admin/projects/{project_id}", response_class=HTMLResponse)
def update_project(request: Request, project_id: Id, csrf_token: str = Form(""),
                   version: int = Form(..., ge=0, le=MAX_ID),
                   title: str = Form(""), field: str = Form(""), fiscal_year: str = Form(""),
                   start_date: str = Form(""), end_date: str = Form(""), summary: str = Form(""),
                   source_url: str = Form(""), wards: list[str] | None = Form(None),
                   partners: str = Form("", max_length=20000), pending: FormNumber = 0,
                   reopens: int = Form(0, ge=0, le=MAX_ID)) -> Response:
    account, reg = _editor(request, csrf_token)
    texts = {"title": title, "field": field, "fiscal_year": fiscal_year, "start_date": start_date,
             "end_date": end_date, "summary": summary, "source_url": source_url}
    form = read_form(reg, **texts, wards=wards or [], partners=partners)
    if not form.errors:
        try:
            changes = {**form.values, "wards": form.wards, "partners": form.partner_codes}
            change = reg.propose_update(project_id, version, changes, actor=account.username, pending_seen=pending,
                                        actor_ward=actor_ward(account), reopens=reopens or None)
        except PermissionDenied as exc:
            raise HTTPException(403, str(exc)) from exc
        except ConflictError as exc:
            yours = {**form.values, "wards": form.wards, "partners": form.partner_codes}
            return render(request, "web/admin/conflict.html", status_code=409, yours=yours, theirs=exc.theirs,
                          project_id=project_id)
        except ChangeConflict:
            raise  # the 409 conflict page (approvals.install_conflict_page)
        except RegistryError as exc:
            form.add("form", str(exc))
    if form.errors:
        try:
            current = reg.project(project_id)
        except RegistryError as exc:  # no such project (or deleted)
            raise HTTPException(404, str(exc)) from exc
        typed = _typed(form, texts, id=project_id, version=version, pending=pending, partners_text=partners,
                       reopens=reopens)
        return _form_page(request, account, typed, status_code=422, errors=form.errors, answers=form.partners,
                          editable=True, fixed=_fixed_wards(account, [w for w, _ in current.wards]))
    return RedirectResponse(f"/admin/projects/{project_id}?saved={2 if change.state == 'pending' else 1}",
                            status_code=303)


@router.post("/admin/projects/{project_id}/delete", response_class=HTMLResponse)
def delete_project(request: Request, project_id: Id, version: FormNumber, csrf_token: str = Form(""),
                   pending: FormNumber = 0, reason: str = Form("", max_length=500)) -> Response:
    """Delete a project: a change like any other (a ward editor's waits for approval); the project is kept."""
    account, reg = _editor(request, csrf_token)
    try:
        change = reg.propose_delete(project_id, version, actor=account.username, pending_seen=pending,
                                    reason=reason, actor_ward=account.ward_code if account.role == "ward" else None)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from exc
    except ConflictError:
        return RedirectResponse(f"/admin/projects/{project_id}?stale=1", status_code=303)
    except ChangeConflict:
        raise  # the 409 conflict page (approvals.install_conflict_page)
    except RegistryError as exc:
        raise HTTPException(404, str(exc)) from exc
    if change.state == "pending":
        return RedirectResponse(f"/admin/projects/{project_id}?saved=2", status_code=303)
    return RedirectResponse("/admin/projects?deleted=1", status_code=303)


@router.get("/admin/review", response_class=HTMLResponse)
def review_queue(request: Request, decided: int = Query(0, ge=0, le=MAX_ID), undone: int = Query(0, ge=0, le=MAX_ID),
                 accepted: int = Query(0, ge=0, le=100_000), at: int = Query(0, ge=0, le=100_000)) -> Response:
    """The queue. After a decision it names what was decided (with 取り消す) and focuses the next item (``at``:
    the decided item's place, which the next item now holds; ``autofocus`` works without JavaScript)."""
    require(request)
    reg = _reg(request)
    return _review_page(request, reg, decided=reg.decision(decided) if decided else None,
                        undone=reg.decision(undone) if undone else None, accepted=accepted, at=at)


def _review_page(request: Request, reg: Registry, status_code: int = 200, **context: Any) -> Response:
    from ..registry.reviews import is_cheap

    items = reg.review_queue()
    return render(request, "web/admin/review.html", status_code=status_code, items=list(enumerate(items, 1)),
                  cheap=sum(1 for i in items if is_cheap(i)), **context)


@router.post("/admin/review", response_class=HTMLResponse)
def decide(request: Request, csrf_token: str = Form(""), pref_code: str = Form(...), written: str = Form(...),
           action: str = Form(...), code: str = Form(""), force: str = Form(""),
           at: int = Form(0, ge=0, le=100_000)) -> Response:
    """Record a decision. A code outside the item's prefecture (and not a candidate) asks for a second
    confirmation, which records it with a note (see reviews.guard)."""
    from ..registry import OutsidePrefecture
    from ..registry.reviews import typed_code

    account = require(request, "admin")
    check_csrf(request, csrf_token)
    if action not in ("accept", "choose", "manual", "reject"):
        raise HTTPException(422, "unknown action")
    reg = _reg(request)
    typed = typed_code(code)
    try:
        reg.decide(pref_code, written, code=typed, action=action, actor=account.username, force=force == "1")
    except OutsidePrefecture as exc:
        confirm = {"pref_code": pref_code, "written": written, "action": action, "code": typed or "", "at": at}
        return _review_page(request, reg, 422, error=str(exc), confirm=confirm)
    except RegistryError as exc:
        return _review_page(request, reg, 422, error=str(exc))
    decision = reg.decision_id(pref_code, written)
    # no #fragment: Chromium ignores autofocus on a page whose address has one
    return RedirectResponse(f"/admin/review?decided={decision}&at={at}", status_code=303)


@router.post("/admin/review/undo", response_class=HTMLResponse)
def undo_review(request: Request, csrf_token: str = Form(""), decision_id: int = Form(..., ge=1, le=MAX_ID),
                at: int = Form(0, ge=0, le=100_000)) -> Response:
    """取り消す beside the message of a decision just made: the item comes back to the queue."""
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    try:
        reg.undo_decision(decision_id, actor=account.username)
    except RegistryError as exc:
        return _review_page(request, reg, 422, error=str(exc))
    return RedirectResponse(f"/admin/review?undone={decision_id}&at={at}", status_code=303)


@router.get("/admin/review/suggestions", response_class=HTMLResponse)
def suggestions(request: Request) -> Response:
    """What 「提案をすべて確定」 would decide: every cheap suggestion (reviews.is_cheap), listed, to confirm."""
    from ..registry.reviews import is_cheap

    require(request, "admin")
    items = [i for i in _reg(request).review_queue() if is_cheap(i)]
    return render(request, "web/admin/review_suggestions.html", items=items)


@router.post("/admin/review/suggestions", response_class=HTMLResponse)
def accept_suggestions(request: Request, csrf_token: str = Form(""), item: list[str] = Form([])) -> Response:
    """Accept the listed suggestions (each ``item`` is pref_code:written); those no longer cheap are left."""
    account = require(request, "admin")
    check_csrf(request, csrf_token)
    keys = [(pref, written) for pref, _colon, written in (k.partition(":") for k in item[:10_000] if ":" in k)]
    n = _reg(request).accept_suggestions(keys, actor=account.username)
    return RedirectResponse(f"/admin/review?accepted={n}", status_code=303)


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
    """Classify the upload once, then read and validate it once: a list's checked report is kept (staging) and
    shown; a project template gets its own preview."""
    import tempfile
    from pathlib import Path

    from ..documents import DocumentError
    from ..documents.classify import OTHER_TABLE, PROJECT_TEMPLATE, classify
    from ..documents.layout import missing_header
    from ..registry import staging

    reg = _reg(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            kind = classify(path, data)
            if kind == PROJECT_TEMPLATE:  # every bad row at once; a ward's rows become pending changes, never a list
                return project_preview(request, account, name, path, tmp)
            if account.role == "ward":
                raise HTTPException(403, _("区の担当者がアップロードできるのは連携事業テンプレートだけです"))
            if kind == OTHER_TABLE:
                raise missing_header(str(path))
            report = reg.read_checked(path, data=data, as_of=as_of or None)
        except DocumentError as exc:
            return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    token = staging.keep(reg, account.id, name, report=report)
    return upload_report(request, reg, report, name, token)


def upload_report(request: Request, reg: Registry, report: Report, filename: str, token: str) -> Response:
    """The validation report of a list upload (reports.grouping shapes it: by prefecture, errors first)."""
    from ..reports.grouping import group_problems, review_keys, settled_count

    duplicate = reg.find_duplicate(report.document.sha256, report.document.as_of)
    return render(request, "web/admin/upload_report.html", report=report, d=report.document, token=token,
                  filename=filename, totals=report.totals, duplicate=duplicate, groups=group_problems(report),
                  settled=settled_count(report, reg.decided_among(review_keys(report))))


def project_preview(request: Request, account: Account, name: str, path: Path, tmp: str) -> Response:
    """The preview of a project template, read and checked once: every bad row at once, else what it would add
    or change, and the names that were corrected. Its checked records are kept (staging) for the confirmation;
    a file with bad rows is not kept and cannot be confirmed: nothing is written until it is fixed."""
    from ..documents import DocumentError
    from ..registry import staging
    from ..reports.grouping import group_problems

    reg = _reg(request)
    try:
        result = reg.read_template(path, actor_ward=actor_ward(account))
    except DocumentError as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc).replace(tmp + "/", ""))
    for e in result.problems.items:
        e.file = name
    token = None if result.problems else staging.keep(reg, account.id, name, template=result)
    return render(request, "web/admin/upload_projects.html", status_code=422 if result.problems else 200,
                  result=result, filename=name, report=result.report, ward=actor_ward(account), token=token,
                  groups=group_problems(result.report) if result.report else [])


def project_confirm(request: Request, account: Account, staged: Staged) -> Response:
    """Apply the records the preview showed (never the file again), then redirect to a page that can be
    reloaded (POST/redirect/GET)."""
    from urllib.parse import urlencode

    from ..documents import DocumentError

    assert staged.template is not None  # confirm_upload sends only a staged template here
    try:
        result = _reg(request).apply_template(staged.template, imported_by=account.username,
                                              actor_ward=actor_ward(account))
    except (DocumentError, RegistryError) as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc))
    query = urlencode({"file": staged.filename, "created": result.created, "updated": result.updated,
                       "unchanged": result.unchanged})
    return RedirectResponse(f"/admin/upload/projects-done?{query}", status_code=303)


@router.get("/admin/upload/projects-done", response_class=HTMLResponse)
def projects_imported(request: Request, file: str = Query("", max_length=200), created: Offset = 0,
                      updated: Offset = 0, unchanged: Offset = 0) -> Response:
    """What a confirmed template did (the numbers the confirmation redirected with): reloading changes nothing."""
    account = require(request, "admin", "ward")
    return render(request, "web/admin/projects_imported.html", filename=file, created=created, updated=updated,
                  unchanged=unchanged, ward=actor_ward(account))


@router.post("/admin/upload/{token}", response_class=HTMLResponse)
def confirm_upload(request: Request, token: str, csrf_token: str = Form(""), decision: str = Form(...),
                   memo: str = Form("", max_length=500)) -> Response:
    """Import what the preview showed: a list's kept report is written as it is (never read again)."""
    from ..registry import staging

    account = require(request, "admin", "ward")
    check_csrf(request, csrf_token)
    reg = _reg(request)
    staged = staging.take(reg, token, account.id)
    if staged is None:
        raise HTTPException(404, _("このアップロードは見つかりません（取り消し済みか期限切れ）"))
    if decision != "import":
        return RedirectResponse("/admin/upload?cancelled=1", status_code=303)
    if staged.template is not None:  # projects only: pending for a ward editor, approved at once for an admin
        return project_confirm(request, account, staged)
    if account.role == "ward":
        raise HTTPException(403, _("区の担当者がアップロードできるのは連携事業テンプレートだけです"))
    try:  # the upload's memo is internal (the audit log keeps it); the public note is set when publishing
        assert staged.report is not None  # a staged upload holds a template or a checked list
        result = reg.import_report(staged.report, memo=memo, imported_by=account.username)
    except RegistryError as exc:
        return render(request, "web/admin/upload.html", status_code=422, error=str(exc))
    return RedirectResponse(f"/admin/editions?done=import&id={result.snapshot.id}", status_code=303)  # PRG


@router.get("/admin/audit", response_class=HTMLResponse)
def audit(request: Request, offset: Offset = 0, actor: str = Query("", max_length=80),
          action: str = Query("", max_length=40), since: str = Query("", max_length=10),
          until: str = Query("", max_length=10)) -> Response:
    """The audit log for people: filtered by person, action and dates (days in Japan time, both included)."""
    from urllib.parse import urlencode

    from ..audit_view import ACTIONS, describe
    from ..i18n import gettext
    from ..registry.audit import japan_days as audit_days

    require(request, "admin")
    offset, reg = max(0, offset), _reg(request)
    days: dict[str, date | None] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            days[name] = None
    first, last = days["since"], days["until"]
    start, end = audit_days(first, last)
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
