"""Reconcile any table: find the column of local-government names, resolve each row, append the answers.

Pure: rows of values in, rows of answers out; files are read by
:mod:`renkei.documents.table` and written by :mod:`renkei.reports.table`.

Which row is the header and which column holds the names are decided from a sample of the
first rows (:func:`plan`): a column given by its header text or its letter, or else the
column whose values most often resolve to a local government. A prefecture column (given,
or detected as one whose values are prefecture names) narrows every look-up of its row.
Every row is kept: rows above the header and empty name cells get empty answers.

The column's own context is evidence too: when most resolved rows of the sample lie in one prefecture
(:attr:`Plan.context_prefecture`), a row given no prefecture whose name has namesakes (中央区, 府中市) takes
the one in that prefecture, with the reason 「表の他の行が福岡県」. It is read from the sample, so the
table is still streamed, never held whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from .documents.model import cell_name
from .documents.table import cell_text
from .i18n import gettext as _
from .i18n import lazy_pgettext
from .resolve import Resolution, Resolver
from .resolver.context import column_prefecture

# the appended columns, in order; an input header already using one of these names makes it take a numeric
# suffix (see added_headers), so every header of the output is distinct
COLUMNS = ("全国地方公共団体コード", "正式名称", "都道府県（判定）", "判定", "判定コード", "理由", "候補")
STATUS_COLUMN, KEY_COLUMN = COLUMNS.index("判定"), COLUMNS.index("判定コード")
# what 判定 says, in the reader's language; 判定コード keeps the resolver's stable key
STATUS_LABELS = {
    "exact": lazy_pgettext("判定", "完全一致"), "normalized": lazy_pgettext("判定", "表記ゆれ"),
    "variant": lazy_pgettext("判定", "異体字"), "corrected": lazy_pgettext("判定", "誤記訂正"),
    "merged": lazy_pgettext("判定", "合併・改称"), "multiple": lazy_pgettext("判定", "複数の名称"),
    "ambiguous": lazy_pgettext("判定", "要確認"), "unresolved": lazy_pgettext("判定", "該当なし"),
    "": lazy_pgettext("判定", "空欄"),
}
ACCEPTED = frozenset({"exact", "normalized", "variant"})  # nothing for a person to check
SAMPLE_ROWS = 200
SAMPLE_CELLS = 4_000  # name detection resolves at most about this many cells: a wide table samples fewer rows
MIN_SAMPLE_ROWS = 5  # however wide: 500 columns × 5 rows stays near SAMPLE_CELLS
MAX_NAME_LENGTH = 40  # a longer cell is a sentence, not a name: not worth a fuzzy search while detecting
TOP_CANDIDATES = 3
MEMO_SIZE = 50_000
HEADER_WORDS = ("市区町村", "自治体", "団体名", "名称", "連携先", "市町村", "municipality", "name")
PREFECTURE_WORDS = ("都道府県", "prefecture", "県名")


class PlanError(ValueError):
    """The table has no usable name column (or the one asked for does not exist); the message is Japanese."""


def letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → A)."""
    return cell_name(1, index + 1)[:-1]


def _norm(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split())


@dataclass(frozen=True, slots=True)
class Column:
    index: int  # 0-based
    header: str | None
    detected: bool = False
    share: float = 1.0  # detected: the share of sampled cells that look like local-government names

    @property
    def label(self) -> str:
        if self.header:
            return _("{letter}列「{header}」").format(letter=letter(self.index), header=self.header)
        return _("{letter}列").format(letter=letter(self.index))


@dataclass(frozen=True, slots=True)
class Plan:
    """Where the table's header and columns are."""

    header_row: int | None  # 1-based row number of the header; None when the table has none
    name: Column
    prefecture: Column | None = None
    default_prefecture: str | None = None  # for rows without one (no column, or an empty cell)
    # the prefecture most sampled rows lie in: namesakes in rows given no prefecture are read there
    context_prefecture: str | None = None

    @property
    def context(self) -> str | None:
        """The column's prefecture as it applies: never when one prefecture is given for every row."""
        return None if self.default_prefecture else self.context_prefecture

    def describe(self) -> str:
        """One sentence for the summary, in the reader's language."""
        if self.name.detected:
            text = _("名称の列 {column}（自動検出：自治体名らしい値 {share}）").format(
                column=self.name.label, share=f"{self.name.share:.0%}")
        else:
            text = _("名称の列 {column}").format(column=self.name.label)
        if self.prefecture:
            detected = self.prefecture.detected
            pref = _("、都道府県の列 {column}（自動検出）") if detected else _("、都道府県の列 {column}")
            text += pref.format(column=self.prefecture.label)
        if self.default_prefecture:
            text += _("、都道府県の指定 {name}").format(name=self.default_prefecture)
        if self.context:
            text += _("、表の他の行から {name}（同名の自治体はこの都道府県のものと判断）").format(name=self.context)
        if self.header_row is None:
            text += _("、見出し行なし")
        return text


def _non_empty(rows: Sequence[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    return [(n, v) for n, v in rows if any(_norm(x) for x in v)]


def _header_candidate(rows: list[tuple[int, list[object]]]) -> int:
    """Index (in ``rows``) of the first row that can be a header: title lines above a table are skipped."""
    for i, (_number, values) in enumerate(rows[:10]):
        filled = sum(1 for x in values if _norm(x))
        later = max((sum(1 for x in v if _norm(x)) for _number, v in rows[i + 1:i + 6]), default=0)
        if filled > 1 or later <= 1:
            return i
    return 0


def _find_column(spec: str, rows: list[tuple[int, list[object]]], missing: str) -> tuple[int, int | None]:
    """(0-based column, header row number or None) for a column given by header text, letter or number."""
    wanted = _norm(spec)
    for number, values in rows[:20]:
        for i, value in enumerate(values):
            if _norm(value) == wanted and wanted:
                return i, number
    if re.fullmatch(r"[A-Za-z]{1,3}", spec.strip()):
        index = 0
        for ch in spec.strip().upper():
            index = index * 26 + ord(ch) - 64
        return index - 1, None
    if spec.strip().isdigit() and int(spec) >= 1:
        return int(spec) - 1, None
    raise PlanError(missing.format(spec=spec))


def resolve_at(resolver: Resolver, name: str, prefecture: str | None, as_of: str | None,
               context: str | None = None) -> Resolution:
    """One name as it stood on ``as_of`` (None: today), within a prefecture if given; ``context``: the
    prefecture the rest of the table lies in, evidence for a namesake when the row gives none."""
    return resolver.resolve(name, prefecture, as_of=as_of, context_prefecture=context)


class _Looker:
    """The resolver with a bounded memo: real tables repeat the same few hundred names."""

    def __init__(self, resolver: Resolver, as_of: str | None, context: str | None = None) -> None:
        self.resolver, self.as_of, self.context = resolver, as_of, context
        self.memo: dict[tuple[str, str | None], Resolution] = {}

    def __call__(self, name: str, prefecture: str | None) -> Resolution:
        key = (name, prefecture)
        hit = self.memo.get(key)
        if hit is None:
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            hit = self.memo[key] = resolve_at(self.resolver, name, prefecture, self.as_of, self.context)
        return hit


def _name_like(r: Resolution) -> bool:
    """A resolved name, or one shared by several governments (府中市): either way a name, not a header."""
    return r.resolved or any(c.score >= 0.9 for c in r.candidates)


def _is_prefecture(resolver: Resolver, text: str) -> bool:
    name = resolver.prefecture_name(text)
    return name is not None and text in (name, name[:-1] if name != "北海道" else name)


def plan(sample: Sequence[tuple[int, list[object]]], resolver: Resolver, *, column: str | None = None,
         prefecture_column: str | None = None, check: Callable[[], None] | None = None) -> Plan:
    """Decide the header row and the name and prefecture columns from the first rows of a table.

    Detecting the name column resolves sampled cells of every column, so its cost is bounded by
    :data:`SAMPLE_CELLS` (a wide table samples fewer rows) and ``check`` (a deadline) is called
    before each sampled row of each column.
    """
    rows = _non_empty(sample)
    if not rows:
        raise PlanError("表に値がありません")
    header_at: int | None = None
    if column:
        index, header_at = _find_column(column, rows, _(
            "列「{spec}」が見つかりません。見出しの文字か、列の記号（A、B、…）で指定してください"))
        name = Column(index, None)
    pref: Column | None = None
    if prefecture_column:
        p_index, p_header = _find_column(prefecture_column, rows, _(
            "都道府県の列「{spec}」が見つかりません。見出しの文字か、列の記号（A、B、…）で指定してください"))
        header_at = header_at if header_at is not None else p_header
        pref = Column(p_index, None)
    if header_at is None:
        header_at = rows[_header_candidate(rows)][0]
    header_values = dict(sample)[header_at] if header_at is not None else []
    # the header candidate is sampled too: it may be the first name of a table without a header
    data = [(n, v) for n, v in rows if n >= header_at]
    width = max(len(v) for _number, v in rows)
    look = _Looker(resolver, None)

    def header_of(i: int) -> str | None:
        text = cell_text(header_values[i]).strip() if i < len(header_values) else ""
        return text or None

    if not prefecture_column:
        best = (0.0, -1)
        for i in range(width):
            texts = [_norm(v[i]) for _number, v in data[:SAMPLE_ROWS] if i < len(v) and _norm(v[i])]
            share = sum(1 for t in texts if _is_prefecture(resolver, t)) / max(len(texts), 1)
            if any(w in (header_of(i) or "") for w in PREFECTURE_WORDS):
                share += 0.1
            best = max(best, (share, -i))
        if best[0] >= 0.8:
            pref = Column(-best[1], None, detected=True, share=min(best[0], 1.0))

    if not column:
        scores = []
        sampled = data[:max(MIN_SAMPLE_ROWS, min(SAMPLE_ROWS, SAMPLE_CELLS // max(width, 1)))]
        for i in range(width):
            if pref and i == pref.index:
                continue
            hits = total = 0
            for _number, v in sampled:
                if check is not None:
                    check()
                text = _norm(v[i]) if i < len(v) else ""
                total += 1
                if not text or len(text) > MAX_NAME_LENGTH or text.isdigit() or _is_prefecture(resolver, text):
                    continue
                p = _norm(v[pref.index]) if pref and pref.index < len(v) else None
                r = look(text, p or None)
                hits += _name_like(r)
            share = hits / max(total, 1)
            bonus = 0.1 if any(w in (header_of(i) or "").lower() for w in HEADER_WORDS) else 0.0
            scores.append((share + bonus, -i, share))
        if not scores or max(scores)[0] < 0.3:
            raise PlanError(_("自治体名らしい値の列が見つかりません。--column で列を指定してください"))
        _score, neg, share = max(scores)
        name = Column(-neg, None, detected=True, share=share)

    # a first row whose name cell is itself a local government is data, not a header
    if header_at is not None and name.index < len(header_values):
        text = _norm(header_values[name.index])
        if text and _name_like(look(text, None)):
            header_at, header_values = None, []
    name = Column(name.index, header_of(name.index) if header_at is not None else None, name.detected, name.share)
    if pref:
        pref = Column(pref.index, header_of(pref.index) if header_at is not None else None, pref.detected,
                      pref.share)
    body = [(n, v) for n, v in data if header_at is None or n > header_at]
    return Plan(header_at, name, pref, context_prefecture=_sample_prefecture(body, name, pref, look, check))


def _sample_prefecture(rows: Sequence[tuple[int, list[object]]], name: Column, pref: Column | None,
                       look: _Looker, check: Callable[[], None] | None) -> str | None:
    """The prefecture most of the sampled names lie in (see :func:`renkei.resolver.context.column_prefecture`).

    Read from the first :data:`SAMPLE_ROWS` rows only (mostly already resolved by the detection, so nearly
    free): the rest of the table is streamed afterwards, never held.
    """
    results = []
    for _number, v in rows[:SAMPLE_ROWS]:
        if check is not None:
            check()
        text = _norm(v[name.index]) if name.index < len(v) else ""
        if text and len(text) <= MAX_NAME_LENGTH:
            p = _norm(v[pref.index]) if pref and pref.index < len(v) else None
            results.append(look(text, p or None))
    return column_prefecture(results, look.resolver.policy)


# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One row of the table with its answer: ``result`` is None for the header, titles and empty names."""

    number: int
    values: list[object]
    kind: str  # "header", "before" (above the header), "data"
    result: Resolution | None = None

    @property
    def status(self) -> str:
        return self.result.status if self.result else ""


def reconcile(rows: Iterable[tuple[int, list[object]]], the_plan: Plan, resolver: Resolver,
              as_of: str | None = None) -> Iterator[Row]:
    """Every row, in order, with its resolution (a row given no prefecture reads namesakes in the plan's
    :attr:`Plan.context`)."""
    look = _Looker(resolver, as_of, the_plan.context)
    header = the_plan.header_row
    for number, values in rows:
        if header is not None and number <= header:
            yield Row(number, values, "header" if number == header else "before")
            continue
        i = the_plan.name.index
        text = cell_text(values[i]).strip() if i < len(values) else ""
        if not text:
            yield Row(number, values, "data")
            continue
        pref = None
        if the_plan.prefecture and the_plan.prefecture.index < len(values):
            pref = cell_text(values[the_plan.prefecture.index]).strip() or None
        pref = pref or the_plan.default_prefecture
        yield Row(number, values, "data", look(text, pref))


def _parts(r: Resolution) -> Sequence[Resolution]:
    return getattr(r, "parts", None) or ()


def added_headers(header: Sequence[object]) -> list[str]:
    """The appended columns' headers: :data:`COLUMNS`, each with a numeric suffix when the input has it already.

    Compared as written after NFKC and without spaces, so 「都道府県（判定）」 typed with half-width brackets
    counts as the same header.
    """
    taken = {_norm(v) for v in header if _norm(v)}
    names = []
    for base in COLUMNS:
        name, n = base, 1
        while _norm(name) in taken:
            n += 1
            name = f"{base}{n}"
        taken.add(_norm(name))
        names.append(name)
    return names


def status_label(status: str) -> str:
    """判定 in the reader's language (the key itself for a status this module does not know)."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def appended(row: Row) -> list[str]:
    """The appended cells: code, official name, prefecture, 判定, 判定コード, reason, top candidates."""
    if row.kind == "header":
        return added_headers(row.values)
    r = row.result
    if r is None:
        return [""] * len(COLUMNS)
    parts = _parts(r)
    if parts:  # one answer per distinct resolved part: 城島町・三潴町 both became 久留米市, which is one code;
        # a part that did not resolve adds nothing (the cell is 複数の名称, for a person to check anyway)
        answers = list(dict.fromkeys((p.code, p.name or p.input, p.prefecture or "") for p in parts if p.code))
        code = "・".join(a[0] for a in answers)
        name = "・".join(a[1] for a in answers)
        pref = "・".join(dict.fromkeys(a[2] for a in answers if a[2]))
    else:
        code, name, pref = r.code or "", r.name or "", (r.prefecture or "") if r.code else ""
    shown = [c for c in r.candidates if c.code != r.code or r.status not in ACCEPTED]
    candidates = " / ".join(f"{c.prefecture}{c.name}({c.code}) {c.score:.2f}" for c in shown[:TOP_CANDIDATES]) \
        if r.status not in ACCEPTED else ""
    return [code, name, pref, status_label(r.status), r.status, r.reason, candidates]


@dataclass(slots=True)
class Summary:
    """Counts per status, for the summary line and the exit status."""

    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    by_context: Counter[str] = field(default_factory=Counter)  # prefecture → namesakes read there (column context)

    def add(self, row: Row) -> Row:
        self.rows += 1
        if row.kind == "data":
            self.counts[row.status] += 1
            if row.result is not None and "column_context" in row.result.flags and row.result.prefecture:
                self.by_context[row.result.prefecture] += 1
        return row

    @property
    def names(self) -> int:
        return sum(n for s, n in self.counts.items() if s)

    @property
    def to_review(self) -> int:
        return sum(n for s, n in self.counts.items() if s and s not in ACCEPTED)

    @property
    def exit_code(self) -> int:
        """As `renkei check`: 0 nothing to review, 1 something to review."""
        return 1 if self.to_review else 0

    def describe(self) -> str:
        """The summary line: counts by 判定 label only (the stable key is in the 判定コード column), and which
        prefecture the column's context gave to how many namesakes."""
        order = [s for s in STATUS_LABELS if self.counts.get(s)]
        counts = _("、").join(_("{label} {n}").format(label=status_label(s), n=f"{self.counts[s]:,}")
                             for s in order)
        text = _("{rows}行、名称 {names}件: {counts}。要確認 {review}件").format(
            rows=f"{self.rows:,}", names=f"{self.names:,}", counts=counts or _("なし"), review=f"{self.to_review:,}")
        for prefecture, n in self.by_context.most_common():
            text += _("。表の他の行から{prefecture}と判断 {n}件").format(prefecture=prefecture, n=f"{n:,}")
        return text
