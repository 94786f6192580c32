"""The audit log as a person reads it: actions in words, targets by name, changes field by field, times in JST.

The registry stores each row as it happened (an action key, a table and id, the values before and after, UTC).
This module only presents them: 「判断　宮城県「亶理町」→亘理町」 rather than ``review review_decisions
040002:亶理町`` and two JSON dumps. A server's file paths never show (only the file's own name). An action or
table this module does not know yet is shown by its key, so a new kind of change is never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath

from .directory import Directory
from .i18n import N_, _, format_date, format_datetime
from .registry.accounts import ROLE_NAMES
from .registry.audit import AuditEntry

ACTIONS = {
    "import": N_("取り込み"), "review": N_("判断"), "publish": N_("公表"), "withdraw": N_("取り下げ"),
    "approve": N_("承認"),
    "release": N_("公表"), "reject": N_("却下"), "create": N_("作成"), "update": N_("変更"), "delete": N_("削除"),
    "revise": N_("改訂"), "derive": N_("集計"), "undo": N_("取り消し"), "disable": N_("利用停止"),
    "enable": N_("利用再開"), "remove": N_("削除"), "passwd": N_("パスワード変更"), "password": N_("パスワード変更"),
    "request": N_("申請"), "state": N_("状態の変更"), "supersede": N_("差し替え"), "login": N_("ログイン"),
    "login_failed": N_("ログイン失敗"), "logout": N_("ログアウト"),
    "discard": N_("下書きの破棄"),
}
FIELDS = {
    "title": N_("事業名"), "field": N_("分野"), "fiscal_year": N_("年度"), "start_date": N_("開始日"),
    "end_date": N_("終了日"), "summary": N_("概要"), "source_url": N_("出典URL"), "wards": N_("区"),
    "partners": N_("連携先"), "source": N_("ファイル"), "as_of": N_("時点"), "projects": N_("事業数"),
    "username": N_("ユーザー名"), "role": N_("役割"), "ward_code": N_("区"), "code": N_("コード"),
    "action": N_("判断"), "note": N_("注記"), "state": N_("状態"), "reason": N_("理由"), "label": N_("版"),
    "display_name": N_("表示名"), "written": N_("記載"), "status": N_("状態"), "kind": N_("種類"),
    "address": N_("接続元アドレス"), "signed_in_from": N_("ログイン時の接続元"),
    "disabled": N_("利用"), "edition": N_("版"), "supersedes": N_("差し替え対象"), "revises": N_("訂正元"),
    "memo": N_("内部メモ"), "undone_at": N_("取り消した日時"),
    "undone_by": N_("取り消した人"),
}
STATES = {"draft": N_("下書き"), "published": N_("公表"), "withdrawn": N_("取り下げ")}
KINDS = {"list": N_("公表一覧"), "projects": N_("連携事業から作成")}
SNAPSHOT_KEYS = ("supersedes", "revises")  # values that are snapshot ids: shown by their labels
CHANGES = {"create": N_("追加"), "update": N_("変更"), "delete": N_("削除")}  # a ward's proposed change
ROLES = ROLE_NAMES  # the same words as the accounts page
PLACES = {"wards", "partners", "code", "ward_code"}  # values naming local governments, shown by label
HIDDEN = {"id", "version", "updated_at", "updated_by", "created_at", "decided_at", "decided_by", "sha256",
          "pref_code", "password_hash", "project_id", "change", "label"}  # bookkeeping, shown elsewhere or never


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: str  # JST, for people
    at_utc: str  # ISO, for <time datetime>
    actor: str
    action: str  # in words
    action_key: str
    target: str  # named: 宮城県「亶理町」→亘理町, 港区の事業「…」
    changes: tuple[tuple[str, str, str], ...]  # (field, before, after) for the fields that changed


def describe(row: AuditEntry, directory: Directory, labels: dict[int, str] | None = None) -> AuditLine:
    """One audit row (as :func:`renkei.registry.audit.log` returns it) in the reader's language.

    ``labels`` names snapshots by their edition labels (「令和7年8月1日現在（第2版）」), id → label.
    """
    labels = labels or {}
    action = str(row["action"])
    stored_before, stored_after = row.get("before"), row.get("after")
    before = stored_before if isinstance(stored_before, dict) else {}
    after = stored_after if isinstance(stored_after, dict) else {}
    at = row["at"]
    return AuditLine(id=int(row["id"]), at=format_datetime(at), at_utc=str(at), actor=str(row["actor"]),
                     action=_(ACTIONS[action]) if action in ACTIONS else action, action_key=action,
                     target=target_text(str(row["target"]), str(row["target_id"]), before, after, directory, labels),
                     changes=tuple(changes(before, after, directory, labels)))


def target_text(table: str, target_id: str, before: dict, after: dict, directory: Directory,
                labels: dict[int, str] | None = None) -> str:
    values = {**before, **after}
    if table == "review_decisions":
        pref_code, _sep, written = target_id.partition(":")
        pref = directory.get(pref_code)
        chosen = directory.get(str(values.get("code") or ""))
        where = _("{prefecture}「{written}」").format(prefecture=pref.name if pref else pref_code, written=written)
        return f"{where}→{chosen.name}" if chosen else where
    if table == "projects":
        wards = "・".join(w.get("name", "") for w in values.get("wards") or [] if isinstance(w, dict))
        title = values.get("title") or target_id
        return _("{wards}の事業「{title}」").format(wards=wards, title=title) if wards else \
            _("事業「{title}」").format(title=title)
    if table == "snapshots":  # by its label as the editions page shows it now (a discarded draft: as it was)
        when = values.get("as_of")
        label = (labels or {}).get(int(target_id)) if target_id.isdigit() else None
        label = label or values.get("label") or (_("{date}現在").format(date=format_date(when)) if when else "")
        name = file_name(values.get("source"))
        return _("版「{label}」").format(label=label) + (f"（{name}）" if name else "") if label else \
            _("一覧の取り込み（{file}）").format(file=name)
    if table == "users":
        return _("ユーザー「{name}」").format(name=values.get("username") or target_id)
    if table == "project_changes":  # a ward's change to a project, waiting for approval or decided
        wards = "・".join(e.name for e in (directory.get(str(w)) for w in values.get("wards") or []) if e)
        title = values.get("title") or ""
        named = _("{wards}の事業「{title}」").format(wards=wards, title=title) if wards else \
            _("事業「{title}」").format(title=title)
        kind = CHANGES.get(str(values.get("change")), N_("変更"))
        return named + _("（{kind}の申請）").format(kind=_(kind))
    return f"{table} {target_id}"


def changes(before: dict, after: dict, directory: Directory,
            labels: dict[int, str] | None = None) -> list[tuple[str, str, str]]:
    """(field, before, after) for the fields whose shown value really changed."""
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in HIDDEN:
            continue
        old, new = (value_text(key, before.get(key), directory, labels),
                    value_text(key, after.get(key), directory, labels))
        if old != new:
            out.append((_(FIELDS[key]) if key in FIELDS else key, old, new))
    return out


def value_text(key: str, value: object, directory: Directory, labels: dict[int, str] | None = None) -> str:
    """A stored value as words: names for codes and lists of places, a file's own name for a path, dates in 和暦,
    states and roles in the words of the pages, editions by label (第2版), never a bare True/False."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, dict) or key in PLACES:
        return place_text(value, directory)
    if isinstance(value, list):
        return "、".join(value_text(key, v, directory, labels) for v in value)
    if isinstance(value, bool):
        if key == "disabled":
            return _("無効") if value else _("有効")
        return _("はい") if value else _("いいえ")
    if key == "state":
        return _(STATES[str(value)]) if value in STATES else str(value)
    if key == "kind":
        return _(KINDS[str(value)]) if value in KINDS else str(value)
    if key == "edition":
        return _("第{n}版").format(n=value)
    if key in SNAPSHOT_KEYS:
        found = (labels or {}).get(int(str(value))) if str(value).isdigit() else None
        return found or _("別の版")
    if key == "source":
        return file_name(value)
    if key == "role":
        return _(ROLES[str(value)]) if value in ROLES else str(value)
    if key == "action":
        return _(ACTIONS[str(value)]) if value in ACTIONS else str(value)
    if key in ("as_of", "start_date", "end_date") and isinstance(value, str) and len(value) == 10:
        return format_date(value)
    return str(value)


def place_text(value: object, directory: Directory) -> str:
    """Wards and partners by code, as labels (「広島県府中市（342084）」, in code order): a project stores
    ``{code, name}``, a change the bare code, and the same place written either way reads the same, so only a
    real change of place is listed."""
    from .labels import code_label, place_code

    items = value if isinstance(value, list) else [value]
    written = {place_code(v): str(v.get("written") or v.get("name") or "") if isinstance(v, dict) else ""
               for v in items}
    return "、".join(code_label(directory, code, written[code]) for code in sorted(written) if code)


def file_name(path: object) -> str:
    """Only the file's own name: an upload's temporary folder on the server is nobody's business."""
    if not path:
        return ""
    text = str(path)
    return PureWindowsPath(text).name if "\\" in text else PurePath(text).name
