"""The JSON API's response models: what ``/api/v1`` promises, as component schemas in its OpenAPI document.

The handlers build plain dicts (cached as bytes); these models are the contract they are tested
against (tests/test_api_client.py parses every response with them and with a generated client).
Codes are the 6-digit 全国地方公共団体コード; dates are ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

Code = Field(pattern=r"^\d{6}$", description="6桁の全国地方公共団体コード")


class Message(BaseModel):
    """An error with a sentence saying what was not found or what is wrong (404)."""

    detail: str = Field(description="What went wrong")


class ValidationIssue(BaseModel):
    """One refused value: where it was (``["query", "limit"]``), why, and the error type."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = Field(None, description="The value refused")
    ctx: dict[str, Any] | None = Field(None, description="The limit it broke, e.g. {\"ge\": 1}")


class ValidationProblem(BaseModel):
    """Bad input (422): every refused value, in FastAPI's validation-error shape."""

    detail: list[ValidationIssue]


class Snapshot(BaseModel):
    """A published edition (``/api/v1/snapshots``): its label, state and counts; no file or account names."""

    id: int
    as_of: str | None = Field(description="The list's as-of date (ISO), if known")
    kind: str
    state: str = Field(description="published, or withdrawn")
    label: str = Field(description="「令和7年8月1日現在（第1版）」")
    source: str | None = Field(description="The address of the original publication, if known")
    note: str
    declared: int = Field(description="Names the source declares")
    listed: int = Field(description="Names the source lists")
    partners: int = Field(description="Distinct local governments resolved")
    review: int = Field(description="Names that needed a person")
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
    declared: int | None = Field(description="The count the source declares for the prefecture")
    in_source: bool = Field(description="Whether the source has a block for the prefecture")
    as_of: str | None
    snapshot: int


class PrefecturePartner(BaseModel):
    code: str = Code
    name: str
    kana: str
    kind: str
    lat: float | None
    lon: float | None
    written: str = Field(description="The name as the source wrote it")
    status: str = Field(description="How it was resolved: exact, normalized, corrected, …")


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
    code: str | None = Field(description="Null when the written name could not be resolved")
    name: str
    pref_code: str


class Project(BaseModel):
    id: int
    version: int
    title: str
    field: str | None = Field(description="分野")
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
    state: str = Field(description="The snapshot's state (published on the public API)")


class Government(BaseModel):
    type: str = Field(description="Always \"government\" here")
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
    how: str = Field(description="How the query matched (reason, 前方一致, 候補, …)")
    score: float
    url: str = Field(description="The page on this site")


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
    partners: list[int] = Field(description="[before, after]")
    declared: list[int | None] = Field(description="[before, after]")


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
