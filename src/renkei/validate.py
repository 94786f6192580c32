"""Validate a published list: resolve every name and find what does not add up.

Pure: takes a :class:`PublishedList` and a resolver, returns a :class:`Report`.
Problems carry a severity: ``error`` needs review (exit 1), ``warning`` fails
only with ``--strict``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from .directory import Directory
from .documents.model import PublishedList
from .i18n import N_, Message, message_from_json, message_to_json, translations, use_language
from .resolve import Resolution, Resolver, default_resolver, reason_fields
from .sinks import is_formula_like

NAMES_PER_ROW = 10


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to look at. ``message`` is text in the reader's language, made from ``text`` when it is a
    :class:`~renkei.i18n.Message` (its key and params go into the JSON for programs)."""

    kind: str  # not_a_name, count_mismatch, rows_lost, duplicate, wrong_prefecture, order, unknown_prefecture, ...
    text: Message | str
    severity: str = "error"  # or "warning"

    @property
    def message(self) -> str:
        return str(self.text)

    @property
    def message_key(self) -> str:
        return self.text.key if isinstance(self.text, Message) else self.kind

    def as_dict(self) -> dict[str, object]:
        params = self.text.json_params() if isinstance(self.text, Message) else {}
        return {"kind": self.kind, "message": self.message, "severity": self.severity,
                "message_key": self.message_key, "params": params}

    def stored(self) -> dict[str, object]:
        """As ``snapshots.problems`` keeps it: :meth:`as_dict` in Japanese (for older readers) and the message as
        key, template and parameters (``text``), so that :func:`shown_problem` renders it in the reader's language
        (a list imported with ``--lang en`` is not reviewed in English)."""
        with use_language("ja"):
            return {**self.as_dict(), "text": message_to_json(self.text)}


def shown_problem(stored: dict[str, object]) -> dict[str, object]:
    """A stored problem (:meth:`Problem.stored`) with its message in the reader's language. One stored as text
    only (before key and parameters were kept; a published edition never changes) is read back from its text
    (:func:`_read_back`), else shown as it was written."""
    text = message_from_json(stored["text"]) if "text" in stored else _read_back(stored)
    if text is None:
        return stored
    p = Problem(str(stored["kind"]), text if isinstance(text, Message) else str(text), str(stored["severity"]))
    return {**stored, **p.as_dict()}


def _read_back(stored: dict[str, object]) -> Message | None:
    """The message of a problem stored as text (with its key and parameters, as :meth:`Problem.as_dict` wrote
    them): the catalogue template whose fields are exactly those parameters and which, filled with them, gives
    the stored text in Japanese or English. No guessing: None unless one template matches exactly."""
    params, written = stored.get("params"), stored.get("message")
    if not isinstance(params, dict) or not isinstance(written, str):
        return None
    for template in _templates_by_fields().get(frozenset(params), ()):
        message = Message(str(stored.get("message_key") or stored["kind"]), template, params)
        for lang in ("ja", "en"):
            try:
                if message.text(lang) == written:
                    return message
            except (KeyError, IndexError, ValueError, TypeError):  # a parameter of another type than the field's
                break
    return None


@cache
def _templates_by_fields() -> dict[frozenset[str], list[str]]:
    """The catalogue's messages (its Japanese msgids) by the names of their fields: the templates a stored
    problem may have been made from."""
    from string import Formatter

    catalogue = getattr(translations("en"), "_catalog", {})  # GNUTranslations keeps msgid → msgstr there
    out: dict[frozenset[str], list[str]] = {}
    for msgid in catalogue:
        if isinstance(msgid, str) and "{" in msgid:
            try:
                fields = frozenset(name for _, name, _, _ in Formatter().parse(msgid) if name)
            except ValueError:  # braces that are not format fields
                continue
            out.setdefault(fields, []).append(msgid)
    return out


def problem(kind: str, template: str, severity: str = "error", key: str | None = None, **params: object) -> Problem:
    """A problem whose message is the catalogue's ``template`` (marked with N_) filled with ``params``."""
    return Problem(kind, Message(key or kind, template, params), severity)


@dataclass(frozen=True, slots=True)
class Entry:
    row: int
    col: int
    where: str  # A1-style, with sheet or page
    resolution: Resolution

    def as_dict(self) -> dict[str, object]:
        r = self.resolution
        return {"row": self.row, "col": self.col, "cell": self.where, "input": r.input, "status": r.status,
                "code": r.code, "name": r.name, "reason": r.reason,
                "candidates": [c.as_dict() for c in r.candidates], **reason_fields(r.reasons)}


@dataclass(slots=True)
class PrefectureReport:
    written: str
    prefecture: str | None  # official name, None when the block's prefecture is unknown
    code: str | None
    declared: int | None
    entries: list[Entry]
    local_governments: int  # the prefecture's government + municipalities
    problems: list[Problem] = field(default_factory=list)

    @property
    def listed(self) -> int:
        return len(self.entries)

    @property
    def resolved(self) -> int:
        return len({e.resolution.code for e in self.entries if e.resolution.resolved})

    @property
    def coverage(self) -> float | None:
        return self.resolved / self.local_governments if self.local_governments else None

    @property
    def needs_review(self) -> list[Entry]:
        return [e for e in self.entries if e.resolution.needs_review]

    def as_dict(self) -> dict[str, object]:
        return {
            "prefecture": self.prefecture or self.written, "written": self.written, "code": self.code,
            "declared": self.declared, "listed": self.listed, "resolved": self.resolved,
            "local_governments": self.local_governments,
            "coverage": round(self.coverage, 4) if self.coverage is not None else None,
            "entries": [e.as_dict() for e in self.entries if e.resolution.status != "exact"],
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(slots=True)
class Report:
    document: PublishedList
    prefectures: list[PrefectureReport]
    missing_prefectures: list[str]
    problems: list[Problem]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "prefectures": len(self.prefectures),
            "declared": sum(p.declared or 0 for p in self.prefectures),
            "listed": sum(p.listed for p in self.prefectures),
            "resolved": sum(p.resolved for p in self.prefectures),
            "needs_review": sum(len(p.needs_review) for p in self.prefectures),
            "errors": sum(1 for p in self.all_problems if p.severity == "error"),
            "warnings": sum(1 for p in self.all_problems if p.severity == "warning"),
        }

    @property
    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(q for p in self.prefectures for q in p.problems)]

    def exit_code(self, strict: bool = False) -> int:
        t = self.totals
        if t["needs_review"] or t["errors"] or (strict and t["warnings"]):
            return 1
        return 0

    def as_dict(self) -> dict[str, object]:
        """The documented ``check --json`` contract (docs/check-json.md)."""
        d = self.document
        return {
            "as_of": d.as_of, "source": d.source, "format": d.format, "encoding": d.encoding,
            "sha256": d.sha256, "title": d.title,
            "prefectures": [p.as_dict() for p in self.prefectures],
            "missing_prefectures": self.missing_prefectures,
            "problems": [p.as_dict() for p in self.problems],
            "totals": self.totals,
        }


def check(document: PublishedList, resolver: Resolver | None = None) -> Report:
    """Resolve every name of ``document`` and report what needs review."""
    resolver = resolver or default_resolver()
    directory = resolver.directory
    reports: list[PrefectureReport] = []
    problems: list[Problem] = [Problem(k, m, "warning") for k, m in document.problems if k != "total"]
    for block in document.blocks:
        pref = resolver.prefecture_name(block.prefecture)
        resolutions = resolver.resolve_list([c.text for c in block.names], pref)
        entries = [Entry(c.row, c.col, c.where, r) for c, r in zip(block.names, resolutions, strict=True)]
        pref_entity = directory.prefecture(pref) if pref else None
        report = PrefectureReport(block.prefecture, pref, pref_entity.code if pref_entity else None,
                                  block.declared, entries, len(directory.local_governments(pref)) if pref else 0)
        if pref is None:
            report.problems.append(problem("unknown_prefecture", N_("{cell}：「{written}」は都道府県名ではありません"),
                                           cell=block.cell.where if block.cell else "?", written=block.prefecture))
        report.problems += _count_problems(block.declared, len(entries), block.rows, block.names, pref or "")
        report.problems += _entry_problems(entries)
        reports.append(report)
    problems += _document_problems(reports, directory)
    present = {r.prefecture for r in reports}
    absent = [p for p in directory.prefectures if p.name not in present]
    missing = [p.name for p in absent]
    if missing and not document.format.startswith("projects"):  # a derived list simply has no partners there
        last = max((r for r in reports if r.code), key=lambda r: r.code or "", default=None)
        names = "、".join(missing)
        if last and all(p.code > (last.code or "") for p in absent):
            problems.append(problem(
                "missing_prefectures", N_("{last}で終わっており、その後の{count}都道府県がありません"
                                          "（途中で切れていませんか）：{names}"),
                "warning", "missing_prefectures_after", last=last.prefecture, count=len(missing),
                names=names))
        else:
            problems.append(problem("missing_prefectures", N_("{count}都道府県がありません：{names}"), "warning",
                                    count=len(missing), names=names))
    return Report(document, reports, missing, problems)


def _count_problems(declared: int | None, listed: int, rows: list[int], names: list, pref: str) -> list[Problem]:
    if declared is None or declared == listed:
        return []
    out = [problem("count_mismatch", N_("{prefecture}：記載の件数 {declared}、掲載 {listed}（{difference:+d}）"),
                   prefecture=pref, declared=declared, listed=listed, difference=listed - declared)]
    if listed < declared:
        per_row = Counter(c.row for c in names)
        full = [r for r in rows if per_row.get(r, 0) >= NAMES_PER_ROW]
        if per_row and len(full) == len(per_row):
            out.append(problem(
                "rows_lost", N_("{prefecture}：ブロックのどの行も{per_row}件で埋まっており、{missing}件が足りません。"
                                "抽出の際に約{rows}行が失われた可能性があります"), "warning",
                prefecture=pref, per_row=NAMES_PER_ROW, missing=declared - listed,
                rows=-(-(declared - listed) // NAMES_PER_ROW)))
    else:
        out.append(problem("count_mismatch_cause",
                           N_("{prefecture}：記載の件数より名称が多くあります。件数が古いか、名称が重複しています"),
                           "warning", prefecture=pref))
    return out


def _entry_problems(entries: list[Entry]) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, Entry] = {}
    ordered: list[Entry] = []
    for e in entries:
        r = e.resolution
        if is_formula_like(r.input):  # a spreadsheet would evaluate it: an injected formula, not a name
            out.append(problem("not_a_name", N_("{cell}：「{input}」は自治体名ではありません"
                                                "（数式として扱われる値です。= + - @ で始まるセル）"),
                               cell=e.where, input=r.input))
        if "other_prefecture" in r.flags:
            out.append(problem("wrong_prefecture", N_("{cell}：{input}：{reason}"), cell=e.where, input=r.input,
                               reason=r.reason))
        if not r.code:
            continue
        if r.code in seen:
            out.append(problem("duplicate", N_("{cell}：{input}は{first}と重複しています（{name}）"), cell=e.where,
                               input=r.input, first=seen[r.code].where, name=r.name))
            continue
        seen[r.code] = e
        ordered.append(e)
    in_order = _longest_increasing([e.resolution.code or "" for e in ordered])
    for i, e in enumerate(ordered):
        if i not in in_order:
            r = e.resolution
            out.append(problem("order", N_("{cell}：{input} → {name}（{code}）がコード順に並んでいません"), "warning",
                               cell=e.where, input=r.input, name=r.name, code=r.code))
    return out


def _longest_increasing(codes: list[str]) -> set[int]:
    """Indexes of one longest increasing run (not necessarily contiguous): the names in order.

    Flagging everything outside it names the fewest entries that explain the disorder,
    instead of every name after one misplaced one.
    """
    import bisect

    tails: list[str] = []
    tail_idx: list[int] = []
    prev = [-1] * len(codes)
    for i, code in enumerate(codes):
        k = bisect.bisect_left(tails, code)
        if k == len(tails):
            tails.append(code)
            tail_idx.append(i)
        else:
            tails[k], tail_idx[k] = code, i
        prev[i] = tail_idx[k - 1] if k else -1
    keep: set[int] = set()
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        keep.add(i)
        i = prev[i]
    return keep


def _document_problems(reports: list[PrefectureReport], directory: Directory) -> list[Problem]:
    out = []
    seen: set[str] = set()
    last = ""
    for r in reports:
        if not r.code:
            continue
        if r.code in seen:
            out.append(problem("duplicate_block", N_("{prefecture}のブロックが複数あります"), prefecture=r.prefecture))
        seen.add(r.code)
        if r.code < last:
            out.append(problem("block_order",
                               N_("{prefecture}が{previous}の後にあります。ブロックがコード順に並んでいません"),
                               "warning", prefecture=r.prefecture, previous=directory[last].name))
        last = max(last, r.code)
    return out
