"""The registry's tables (SQLAlchemy 2). Alembic migrations in ``migrations/`` create them.

Integrity lives in the schema, not only in code: partner codes are foreign keys into
the directory, a snapshot cannot list the same partner twice, fields are checked,
and projects carry a version column for optimistic locking.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ..documents.projects import FIELDS

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
          "pk": "pk_%(table_name)s"}
Code = String(6)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment, stored and compared in UTC on every database; read back as an aware UTC datetime.

    SQLite has no time zones: SQLAlchemy writes a datetime's wall-clock digits and compares them as text,
    so an aware bound in Japan time (an audit filter's 00:00 JST) would be compared 9 hours off with the
    stored UTC values. Every value is converted to UTC first: naive UTC text on SQLite, an aware value
    (``timestamptz``) on PostgreSQL. A naive datetime given to it is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk ``insert`` of plain rows (one statement, no ORM objects).

    SQLAlchemy types ``__table__`` as any FromClause; every class here maps exactly one Table.
    """
    table = model.__table__
    assert isinstance(table, Table), model
    return table


class DirectoryVersion(Base):
    """Which edition of the packaged directory the governments table holds."""

    __tablename__ = "directory_versions"
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    entities: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Government(Base):
    """A local government of the directory (current or ended). Rows are never deleted: old snapshots point here."""

    __tablename__ = "governments"
    code: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    kana: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str] = mapped_column(String(20))
    pref_code: Mapped[str] = mapped_column(Code, index=True)
    prefecture: Mapped[str] = mapped_column(String(8))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    valid_to: Mapped[str] = mapped_column(String(10), default="")
    url: Mapped[str] = mapped_column(String(200), default="")


class Ward(Base):
    __tablename__ = "wards"
    code: Mapped[str] = mapped_column(Code, ForeignKey("governments.code"), primary_key=True)
    name: Mapped[str] = mapped_column(String(8))


STATES = ("draft", "published", "withdrawn")  # 下書き, 公表, 取り下げ


class Snapshot(Base):
    """One list (imported, derived from project records, or a revision of an edition), in a state.

    A draft can be reviewed and changed. Once published it is an *edition* and never changes:
    database triggers (migrations 0004 and 0007) refuse any UPDATE or DELETE of it, its blocks, entries
    and partners, except the one move published → withdrawn with who, when and why; an INSERT (or
    SQLite's INSERT OR REPLACE) onto their keys; and, on PostgreSQL, a TRUNCATE.
    """

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("sha256", "as_of", "kind"),
                      CheckConstraint("kind IN ('list', 'projects')", name="kind"),
                      # PostgreSQL has this constraint; on SQLite (no ALTER ... ADD CONSTRAINT) a trigger checks it
                      CheckConstraint("state IN ('draft', 'published', 'withdrawn')", name="state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date | None] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10), default="list")
    source: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    directory_as_of: Mapped[date | None] = mapped_column(Date, ForeignKey("directory_versions.as_of"))
    problems: Mapped[list] = mapped_column(JSON, default=list)  # the validation report's problems
    state: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft", index=True)
    edition: Mapped[int | None] = mapped_column(Integer)  # 第N版 among the editions of one as-of date
    source_url: Mapped[str] = mapped_column(Text, default="", server_default="")  # the original publication
    revises: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))  # the edition this draft corrects
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(80))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(80))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    blocks: Mapped[list[SnapshotBlock]] = relationship(back_populates="snapshot", order_by="SnapshotBlock.position")


class SnapshotBlock(Base):
    """One prefecture of a snapshot, with the count as the source declared it."""

    __tablename__ = "snapshot_blocks"
    __table_args__ = (UniqueConstraint("snapshot_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    written: Mapped[str] = mapped_column(String(40))
    pref_code: Mapped[str | None] = mapped_column(Code, ForeignKey("governments.code"))
    declared: Mapped[int | None] = mapped_column(Integer)
    listed: Mapped[int] = mapped_column(Integer)

    snapshot: Mapped[Snapshot] = relationship(back_populates="blocks")


class Entry(Base):
    """A name as written in a snapshot, where, and what it resolved to. Never overwritten by a review:
    ``auto_*`` keep the importer's answer, ``status``/``code`` the effective one."""

    __tablename__ = "entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("snapshot_blocks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    pref_code: Mapped[str] = mapped_column(Code, default="")  # '' when the block's prefecture is unknown
    written: Mapped[str] = mapped_column(String(200))
    row: Mapped[int] = mapped_column(Integer)
    col: Mapped[int] = mapped_column(Integer)
    cell: Mapped[str] = mapped_column(String(60))
    auto_status: Mapped[str] = mapped_column(String(12))
    auto_code: Mapped[str | None] = mapped_column(Code, ForeignKey("governments.code"))
    status: Mapped[str] = mapped_column(String(12), index=True)
    code: Mapped[str | None] = mapped_column(Code, ForeignKey("governments.code"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # rendered in Japanese, for older readers
    reasons: Mapped[list | None] = mapped_column(JSON)  # key, template and params of each (reasons.Reason.stored)
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("review_decisions.id"))


class Partner(Base):
    """A distinct partner government of a snapshot: the schema forbids listing one twice."""

    __tablename__ = "partners"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(Code, ForeignKey("governments.code"), primary_key=True, index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))


class ReviewDecision(Base):
    """A person's answer for a written name in a prefecture, reused at every later import."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("pref_code", "written"),
                      CheckConstraint("action IN ('accept', 'choose', 'manual', 'reject')", name="action"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pref_code: Mapped[str] = mapped_column(Code)
    written: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(Code, ForeignKey("governments.code"))  # None for reject
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set: no longer applied
    undone_by: Mapped[str | None] = mapped_column(String(80))


class Project(Base):
    """A partnership project. ``version`` makes concurrent edits fail loudly instead of losing one."""

    __tablename__ = "projects"
    __table_args__ = (CheckConstraint("field IS NULL OR field IN (" + ", ".join(f"'{f}'" for f in FIELDS) + ")",
                                      name="field"),
                      CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                                      name="dates"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    title: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(20), index=True)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(Text, default="")
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"), index=True)
    source_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(80))
    # A deleted project stays here (with its links) for the record; the public never sees it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by: Mapped[str | None] = mapped_column(String(80))
    # The approved creation that made this project: unique, so one change can never make two projects.
    created_by_change_id: Mapped[int | None] = mapped_column(Integer, unique=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProjectWard(Base):
    __tablename__ = "project_wards"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(Code, ForeignKey("wards.code"), primary_key=True, index=True)


class ProjectPartner(Base):
    """A partner of a project as written; ``code`` is empty until the name is resolved or reviewed."""

    __tablename__ = "project_partners"
    __table_args__ = (UniqueConstraint("project_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    pref_code: Mapped[str] = mapped_column(Code, default="")
    written: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(Code, ForeignKey("governments.code"), index=True)


class ProjectChange(Base):
    """A change to a project (add, edit or delete) waiting for an admin, or decided.

    Only approved changes reach ``projects``: a ward editor's form edit or template row waits here as
    承認待ち (``pending``) until an admin approves or rejects it. ``values`` holds the proposed project
    (fields, ``wards`` as codes, ``partners`` as {code, written, pref_code}); ``base_version`` is the
    project's version the change was made against, so approving a change to a project that moved since
    is a conflict, not a silent overwrite. A newer change to the same project supersedes a pending one.
    """

    __tablename__ = "project_changes"
    __table_args__ = (CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
                      CheckConstraint("state IN ('pending', 'approved', 'rejected', 'superseded')", name="state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), index=True, default="pending")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    base_version: Mapped[int | None] = mapped_column(Integer)
    ward_code: Mapped[str] = mapped_column(Code, ForeignKey("wards.code"), index=True)  # whose change it is
    values: Mapped[dict | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text, default="")  # 'form', or the file and row it came from
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    # proposed again after the rejection of that change (by its ward, corrected): a rejection is reopened once
    reopens_id: Mapped[int | None] = mapped_column(Integer, unique=True)


class AuditLog(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))  # table name
    target_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class User(Base):
    """An account of the signed-in area: admin (the secretariat), ward (one ward's editor) or viewer."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'ward', 'viewer')", name="role"),
                      CheckConstraint("role != 'ward' OR ward_code IS NOT NULL", name="ward_has_ward"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[str] = mapped_column(String(10))
    ward_code: Mapped[str | None] = mapped_column(Code, ForeignKey("wards.code"))
    display_name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SignInThrottle(Base):
    """Failed sign-ins per (account name as typed, address), and per address alone (``username`` empty).

    Kept in the database so every worker sees the same counts. The account name is the one
    typed, whether or not such an account exists: unknown and known names are throttled alike.
    """

    __tablename__ = "sign_in_throttle"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class WebSession(Base):
    """A signed-in browser: only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")  # the client's, at sign-in


class PendingUpload(Base):
    """An upload checked in the browser, waiting for the person to confirm or cancel it (registry.staging):
    a list's checked report, or a project template's bytes."""

    __tablename__ = "pending_uploads"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str | None] = mapped_column(String(12))  # documents.classify: list or projects
    checked: Mapped[dict | None] = mapped_column(JSON)  # a list's validation report (staging.report_to_json)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # a project template's file
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Tables in an order that respects foreign keys: export writes, and load reads, in this order.
TABLE_ORDER = ("directory_versions", "governments", "wards", "snapshots", "snapshot_blocks", "review_decisions",
               "entries", "partners", "projects", "project_wards", "project_partners", "project_changes", "audit_log",
               "users")
