"""The registry: snapshots, partners, projects, review decisions and the audit log in SQLite or PostgreSQL.

    reg = Registry.open()                    # the default SQLite file; the seed on first use
    reg = Registry.open("postgresql+psycopg://user:pw@host/db")
    reg.import_file("一覧.xlsx", note="令和8年版")  # a draft; reg.release(id) publishes it
    reg.diff()                               # the last two published editions
"""

from .database import database_url, default_path
from .store import (  # the facade; each concern has its own module (see store)
    ChangeConflict,
    ConflictError,
    EntryRow,
    ImportResult,
    OutsidePrefecture,
    PartnerRow,
    PermissionDenied,
    ProjectView,
    Registry,
    RegistryError,
    ReviewItem,
    SnapshotInfo,
)

__all__ = ["ChangeConflict", "ConflictError", "EntryRow", "ImportResult", "OutsidePrefecture", "PartnerRow",
           "PermissionDenied",
           "ProjectView", "Registry", "RegistryError", "ReviewItem", "SnapshotInfo", "database_url", "default_path"]
