"""The JSON API's response models: what ``/api/v1`` promises, as component schemas in its OpenAPI document.

The handlers build plain dicts (cached as bytes); these models are the contract they are tested
against (tests/test_api_client.py parses every response with them and with a generated client).
Codes are the 6-digit 全国地方公共団体コード; dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..i18n import N_

Code = Field(pattern=r"^\d{6}$", description=N_("6桁の全国地方公共団体コード"))


class Message(BaseModel):
    """An error with a sentence saying what was not found or what is wrong (404)."""

    detail: str = Field(description=N_("何が問題か"))


class ValidationIssue(BaseModel):
    """One refused value: where it was (``["query", "limit"]``), why, and the error type."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = Field(None, description=N_("受け付けなかった値"))
    ctx: dict[str, Any] | None = Field(None, description=N_("超えた制限（例：{\"ge\": 1}）"))


class ValidationProblem(BaseModel):
    """Bad input (422): every refused value, in FastAPI's validation-error shape."""

    detail: list[ValidationIssue]


class Snapshot(BaseModel):
    """A published edition (``/api/v1/snapshots``): its label, state and counts; no file or account names."""

    id: int
    as_of: str | None = Field(description=N_("一覧の時点（ISO 形式。不明なら null）"))
    kind: str
    state: str = Field(description=N_("状態：published（公表）または withdrawn（取り下げ）"))
    label: str = Field(description=N_("版の名前（例：令和7年8月1日現在（第1版））"))
    source: str | None = Field(description=N_("原資料のアドレス（不明なら null）"))
    note: str
    declared: int = Field(description=N_("原資料が記載する件数"))
    listed: int = Field(description=N_("原資料に掲載された名称の数"))
    partners: int = Field(description=N_("特定できた連携自治体の数"))
    review: int = Field(description=N_("人の確認が必要だった名称の数"))
    edition: int | None
    revises: int | None
    superseded_by: int | None
    sha256: str
    published_at: str | None
    withdrawn_at: str | None
    withdrawn_reason: str | None


class PrefectureSummary(BaseModel):
    code: str = Code
    name: str
    partners: int
    local_governments: int
    coverage_percent: float
    declared: int | None = Field(description=N_("原資料がこの都道府県について記載する件数"))
    in_source: bool = Field(description=N_("原資料にこの都道府県の欄があるか"))
    as_of: str | None
    snapshot: int


class PrefecturePartner(BaseModel):
    code: str = Code
    name: str
    kana: str
    kind: str
    lat: float | None
    lon: float | None
    written: str = Field(description=N_("原資料の表記"))
    status: str = Field(description=N_("判定：exact、normalized、corrected など"))


class PrefectureDetail(PrefectureSummary):
    partners_list: list[PrefecturePartner]


class Partner(PrefecturePartner):
    prefecture: str
    pref_code: str = Code
    as_of: str | None


class PartnerPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Partner]
    next_offset: int | None


class NamedCode(BaseModel):
    code: str = Code
    name: str


class ProjectPartner(BaseModel):
    code: str | None = Field(description=N_("表記から自治体を特定できなかったときは null"))
    name: str
    pref_code: str


class Project(BaseModel):
    id: int
    version: int
    title: str
    field: str | None = Field(description=N_("分野"))
    fiscal_year: int | None
    start_date: str | None
    end_date: str | None
    summary: str
    source_url: str
    wards: list[NamedCode]
    partners: list[ProjectPartner]
    updated_at: str  # no updated_by: account names are never public (registry.visibility)


class ProjectPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Project]
    next_offset: int | None


class Candidate(BaseModel):
    code: str = Code
    name: str
    prefecture: str
    score: float


class Resolution(BaseModel):
    """How a written name was resolved (the ``renkei resolve --jsonl`` contract)."""

    input: str
    prefecture: str | None
    status: str
    code: str | None
    name: str | None
    reason: str
    candidates: list[Candidate]


class Listing(BaseModel):
    """One snapshot's entry naming the local government."""

    snapshot: int
    as_of: str | None
    written: str
    status: str
    cell: str
    state: str = Field(description=N_("版の状態（公開 API では published）"))


class Government(BaseModel):
    type: str = Field(description=N_("ここでは常に government"))
    code: str = Code
    name: str
    kana: str
    kind: str
    prefecture: str
    url: str | None
    resolved_from: Resolution | None
    snapshots: list[Listing]
    wards: list[NamedCode]
    projects: list[Project]


class WardSummary(BaseModel):
    code: str = Code
    name: str
    kana: str
    projects: int


class Ward(BaseModel):
    code: str = Code
    name: str
    kana: str
    partners: list[NamedCode]
    projects: list[Project] = Field(description="One page of the ward's projects, in id order")
    total: int = Field(description="How many projects the ward has")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page, or null on the last one")


class SearchHit(BaseModel):
    code: str = Code
    name: str
    kana: str
    prefecture: str
    kind: str
    how: str = Field(description=N_("どう一致したか（理由、前方一致、候補など）"))
    score: float
    url: str = Field(description=N_("このサイトのページ"))


class DiffSide(BaseModel):
    id: int
    as_of: str | None
    label: str


class DiffTotals(BaseModel):
    added: int
    removed: int
    partners_before: int
    partners_after: int
    reresolved: int


class PrefectureChange(BaseModel):
    prefecture: str
    code: str = Code
    added: list[NamedCode]
    removed: list[NamedCode]
    partners: list[int] = Field(description=N_("［前, 後］"))
    declared: list[int | None] = Field(description=N_("［前, 後］"))


class Reresolved(BaseModel):
    prefecture: str
    written: str
    before: str | None
    after: str | None


class Diff(BaseModel):
    a: DiffSide
    b: DiffSide
    totals: DiffTotals
    prefectures: list[PrefectureChange]
    resolved_differently: list[Reresolved]
