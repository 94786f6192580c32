"""A local government as staff check it: prefecture, name and code together, 「広島県府中市（342084）」.

A bare name (「府中市」) does not say which of two places a partner is, and a bare code (「342084」) cannot be
read at a glance; approvals, project lists, the project form, the conflict page and the audit log show both,
from the one directory, so a name and a code can never disagree on the page.
"""

from __future__ import annotations

from .directory import Directory, Entity


def entity_label(entity: Entity) -> str:
    """「広島県府中市（342084）」; a prefecture is not repeated: 「宮城県（040002）」."""
    prefix = "" if entity.is_prefecture else entity.prefecture
    return f"{prefix}{entity.name}（{entity.code}）"


def code_label(directory: Directory, code: str | None, written: str = "") -> str:
    """The label of ``code``; a code the directory does not know (or none) is shown as written, never dropped."""
    entity = directory.get(code) if code else None
    if entity is None:
        return written or (code or "")
    return entity_label(entity)


def place_code(value: object) -> str:
    """The code in a stored ward or partner value: a code itself, or a dict with ``code`` (written name if none)."""
    if isinstance(value, dict):
        return str(value.get("code") or value.get("written") or value.get("name") or "")
    return str(value or "")
