"""Who may do what to a project change: pure rules, no database, so they read (and test) as a table.

``actor_ward`` is the ward of a ward editor, or None for an admin (the secretariat). The rules hold
whatever the form sent; :mod:`.workflow` calls them on the server before it writes anything.

- propose: an admin anything; a ward editor only projects that include its ward;
- replace wards: a ward editor may add co-wards to a joint project, never remove one;
- delete: a ward editor cannot delete a joint project (that would remove the other wards too);
- approve / reject: admins only;
- withdraw: the admin, or the editor of the ward whose change it is;
- reopen a rejected change (propose it again, corrected): the admin, or the editor of the ward whose change it was;
- replace a pending change with a newer one: the admin, or the editor of the ward whose change it is;
- see a pending change (its values, its proposer): the admin, or the editor of the ward whose change it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from ..i18n import _
from .base import PermissionDenied

WardName = Callable[[str], str]  # a ward code → its name, for messages


def check_propose(actor_ward: str | None, project_wards: Collection[str], ward_name: WardName) -> None:
    """A ward editor proposes changes only to projects of its own ward."""
    if actor_ward and actor_ward not in project_wards:
        raise PermissionDenied(_("{ward}の担当者が登録・変更できるのは自区の事業だけです").format(
            ward=ward_name(actor_ward)))


def check_wards(actor_ward: str | None, old_wards: Collection[str], new_wards: Collection[str],
                ward_name: WardName) -> None:
    """A ward editor may add co-wards but never remove one (only an admin can)."""
    removed = set(old_wards) - set(new_wards)
    if actor_ward and removed:
        raise PermissionDenied(_("区の担当者は共同事業の区（{wards}）を外せません。外すときは事務局（管理者）に"
                                 "依頼してください").format(wards="、".join(ward_name(w) for w in sorted(removed))))


def check_delete(actor_ward: str | None, project_wards: Collection[str]) -> None:
    """A ward editor cannot delete a joint project."""
    if actor_ward and len(project_wards) > 1:
        raise PermissionDenied(_("共同事業は区の担当者には削除できません。事務局（管理者）に依頼してください"))


def check_decide(actor_ward: str | None) -> None:
    """Approving and rejecting are the secretariat's."""
    if actor_ward:
        raise PermissionDenied(_("承認・却下は事務局（管理者）が行います"))


def check_withdraw(actor_ward: str | None, change_ward: str) -> None:
    """A ward takes back only its own changes."""
    if actor_ward and actor_ward != change_ward:
        raise PermissionDenied(_("他の区の変更は取り下げられません"))


def check_reopen(actor_ward: str | None, change_ward: str) -> None:
    """A rejected change is proposed again only by its own ward (or the secretariat)."""
    if actor_ward and actor_ward != change_ward:
        raise PermissionDenied(_("他の区の申請は再申請できません"))


def check_replace(actor_ward: str | None, change_ward: str) -> None:
    """A newer change replaces a pending one only if its author could see it: never another ward's, unseen."""
    if not may_see_pending(actor_ward, change_ward):
        raise PermissionDenied(_("この事業には共同事業の他の区からの変更が承認待ちです。事務局（管理者）が承認または"
                                 "却下した後に変更してください"))


def may_see_pending(actor_ward: str | None, change_ward: str) -> bool:
    """Whether a pending change's values and proposer may be shown: never to another ward's editor."""
    return not actor_ward or actor_ward == change_ward
