"""Reading the project form as people fill it in: partners by name, 年度 in 和暦 or 西暦, every problem at once.

A ward editor writes partners as names (one per line or separated by 、 or commas, a prefecture allowed
before the name: 「広島県府中市」), not as codes. Each is resolved on submit and the form shows the
answer with its prefecture and code; a name that is ambiguous or unknown is kept as typed with the error
beside the field. Every field is checked before anything is saved, so the editor sees all the problems
in one round, each next to its field. A six-digit code of the directory is still accepted as itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..directory import Directory
from ..documents.projects import FIELDS, parse_fiscal_year
from ..documents.wareki import parse as parse_date
from ..i18n import _
from ..labels import code_label, entity_label
from ..registry import Registry
from ..registry import values as value_rules

# one partner per line, or 、 , ， ; between them (not spaces: 「広島県 府中市」 is one name)
PARTNER_SEPARATORS = re.compile(r"[\n\r、,，;；]+")
MAX_PARTNERS = 200  # a form is typed by a person: more is a paste gone wrong, and each name costs a lookup
ACCEPTED = frozenset({"exact", "normalized", "variant", "corrected", "merged"})


@dataclass(frozen=True, slots=True)
class PartnerAnswer:
    """One typed partner and what the resolver made of it (a code and its label, or a problem)."""

    text: str
    code: str | None
    label: str
    problem: str = ""


@dataclass(slots=True)
class SubmittedProject:
    """A submitted project form: the values for the registry, and the problems found, by field."""

    values: dict[str, Any]  # the checked fields by name (project_rules.check_values), for propose_project(**values)
    wards: list[str]
    partners: list[PartnerAnswer]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def partner_codes(self) -> list[str]:
        return [a.code for a in self.partners if a.code]


def read_partners(reg: Registry, text: str) -> list[PartnerAnswer]:
    """Each typed partner resolved: accepted answers (corrections included) carry a code, the rest a problem."""
    answers = []
    for token in (t.strip() for t in PARTNER_SEPARATORS.split(text)):
        if not token:
            continue
        entity = reg.directory.get(token) if token.isdigit() else None
        if entity is not None:
            answers.append(PartnerAnswer(token, entity.code, entity_label(entity)))
            continue
        r = reg.resolver.resolve_cached(token)
        if r.code and r.status in ACCEPTED:
            answers.append(PartnerAnswer(token, r.code, code_label(reg.directory, r.code)))
            continue
        choices = "、".join(code_label(reg.directory, c.code) for c in r.candidates[:5])
        if choices and r.status != "ambiguous":
            problem = _("「{name}」を特定できません。候補：{choices}。正しい名称を入力してください").format(
                name=token, choices=choices)
        elif choices:
            example = f"{r.candidates[0].prefecture}{r.candidates[0].name}"
            problem = _("「{name}」は複数の自治体に当てはまります（{choices}）。都道府県名を付けて入力してください"
                        "（例：{example}）").format(name=token, choices=choices, example=example)
        else:
            problem = _("「{name}」を特定できません。当てはまる自治体がありません。名称を確かめてください").format(
                name=token)
        answers.append(PartnerAnswer(token, None, "", problem))
    return answers


def read_form(reg: Registry, *, title: str, field: str, fiscal_year: str, start_date: str, end_date: str,
              summary: str, source_url: str, wards: list[str], partners: str) -> SubmittedProject:
    """Every field of the form checked at once; ``errors`` is empty when the registry may be asked."""
    form = SubmittedProject({}, list(dict.fromkeys(wards)), read_partners(reg, partners))
    if not title.strip():
        form.add("title", _("事業名を入力してください"))
    if field and field not in FIELDS:
        form.add("field", _("分野は一覧から選んでください"))
    year = parse_fiscal_year(fiscal_year) if fiscal_year.strip() else None
    if year is None and fiscal_year.strip().isdecimal():  # a year out of range: the value rules say which range
        year = int(fiscal_year.strip())
    if fiscal_year.strip() and year is None:
        form.add("fiscal_year", _("年度「{value}」を読めません。2025、令和7年度、R7 のように入力してください").format(
            value=fiscal_year))
    dates: dict[str, str | None] = {}
    for name, text in (("start_date", start_date), ("end_date", end_date)):
        dates[name] = parse_date(text) if text.strip() else None
        if text.strip() and dates[name] is None:
            form.add(name, _("日付「{value}」を読めません。2026-03-31 または 令和8年3月31日 のように入力してください")
                     .format(value=text))
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        form.add("end_date", _("終了日が開始日より前です"))
    if source_url and not source_url.startswith(("http://", "https://")):
        form.add("source_url", _("出典URLは http:// または https:// で始めてください"))
    special = {w.code for w in reg.directory.special_wards}
    if not form.wards:
        form.add("wards", _("区を1つ以上選んでください"))
    elif any(w not in special for w in form.wards):
        form.add("wards", _("区は一覧から選んでください"))
    if len(form.partners) > MAX_PARTNERS:
        form.add("partners", _("連携先は{n}件までです").format(n=MAX_PARTNERS))
    for answer in form.partners[:MAX_PARTNERS]:
        if answer.problem:
            form.add("partners", answer.problem)
    form.values = {"title": title.strip(), "field": field or None, "fiscal_year": year,
                   "start_date": dates["start_date"], "end_date": dates["end_date"], "summary": summary,
                   "source_url": source_url}
    for name, value in form.values.items():  # the registry's value rules, each beside its own field
        if name not in form.errors:
            try:
                value_rules.check({name: value})
            except value_rules.InvalidProjectValue as exc:
                form.add(exc.field or name, str(exc))
    return form


def partners_text(directory: Directory, partners: list[dict]) -> str:
    """A project's partners as the form shows them for editing, one per line: 「広島県府中市」, which the
    resolver reads back as the same place (a partner without a code: its written name)."""
    lines = []
    for x in partners:
        entity = directory.get(str(x.get("code") or ""))
        if entity is None:
            lines.append(str(x.get("written") or x.get("name") or ""))
        else:
            lines.append(entity.name if entity.is_prefecture else f"{entity.prefecture}{entity.name}")
    return "\n".join(line for line in lines if line)
