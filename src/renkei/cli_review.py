"""The review command: names that need a person, and the decisions (accept, choose, reject, undo), at once or
one by one.

Thin: it opens the registry, calls its review methods, and prints. Refusals print one line and exit 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .cli_common import cli, fail, open_registry, refusals
from .i18n import _
from .reports import STATUS_LABELS, label

if TYPE_CHECKING:
    from .registry import Registry
    from .registry.reviews import ReviewItem


@cli.command()
@click.option("--accept", "accepts", multiple=True, metavar="N",
              help="Accept the suggested correction of item N (repeatable; 'all' for every correction).")
@click.option("--choose", "chooses", multiple=True, metavar="N=CODE",
              help="Resolve item N to CODE: one of its candidates, or any code (repeatable).")
@click.option("--reject", "rejects", multiple=True, metavar="N",
              help="Item N is not a local government: it is kept as written, with no partner.")
@click.option("-i", "--interactive", is_flag=True, help="Go through the items one by one.")
@click.option("--force", is_flag=True,
              help="Record a code outside the item's prefecture that is not among its candidates (noted).")
@click.option("--decisions", "list_decisions", is_flag=True, help="List the decisions recorded so far.")
@click.option("--undo", "undo", type=int, metavar="ID", help="Undo decision ID (see --decisions).")
@click.option("--by", "actor", help="Who decides [default: $RENKEI_USER or the login name].")
@click.option("--json", "as_json", is_flag=True, help="List the items (or, with --decisions, the decisions) as JSON.")
@click.pass_context
def review(ctx: click.Context, accepts: tuple[str, ...], chooses: tuple[str, ...], rejects: tuple[str, ...],
           interactive: bool, force: bool, list_decisions: bool, undo: int | None, actor: str | None,
           as_json: bool) -> None:
    """List the names of the drafts that need review, and decide them.

    A decision is stored for the (prefecture, written name) and applied to every
    draft, and again at every later import: nobody reviews the same typo twice.
    Published editions never change: correct one with `renkei revise N`.

    A code must belong to the item's prefecture or be one of its candidates; any
    other code is refused (exit 2, nothing recorded) unless --force, which records
    it with a note.

    \b
    Examples:
      renkei review                       # numbered list with candidates
      renkei review --accept 1 --accept 3
      renkei review --accept all          # every 'corrected' and 'merged' suggestion
      renkei review --choose 2=043613
      renkei review -i
      renkei review --decisions --json
      renkei review --undo 4
    """
    from .registry.reviews import typed_code

    reg = open_registry(ctx)
    if list_decisions:
        _print_decisions(reg.decisions(), as_json)
        return
    if undo is not None:
        with refusals():
            reverted = reg.undo_decision(undo, actor=actor)
        click.echo(_("判断 #{id} を取り消しました（下書きの{n}件を元に戻しました）").format(id=undo, n=reverted))
        return
    items = reg.review_queue()
    decided = 0
    with refusals():
        if accepts or chooses or rejects:
            pick = _picker(items)
            choices = []
            for spec in chooses:  # every choice is checked before anything is recorded
                key, _sep, code = spec.partition("=")
                item, code = pick(key), typed_code(code) or ""  # 5 digits: the check digit is added
                refusal = reg.decision_refusal(item.pref_code, item.written, code)
                if refusal and not force:
                    fail(_("{reason}。記録するには --force を付けてください").format(reason=refusal), 2)
                choices.append((item, code))
            for key in accepts:
                targets = [i for i in items if i.code] if key == "all" else [pick(key)]
                for item in targets:
                    if not item.code:
                        fail(f"item {key} ({item.written}) has no suggestion; use --choose {key}=CODE", 1)
                    decided += reg.decide(item.pref_code, item.written, code=item.code, action="accept", actor=actor)
            for item, code in choices:
                action = "choose" if any(c["code"] == code for c in item.candidates) else "manual"
                decided += reg.decide(item.pref_code, item.written, code=code, action=action, actor=actor,
                                      force=force)
            for key in rejects:
                item = pick(key)
                decided += reg.decide(item.pref_code, item.written, code=None, action="reject", actor=actor)
            click.echo(_("{n}件を更新しました。要確認の名称はあと {left}件です").format(n=decided,
                                                                          left=len(reg.review_queue())))
            return
        if interactive:
            _interactive(reg, items, actor)
            return
    if as_json:
        click.echo(json.dumps([{"item": n, "prefecture": i.prefecture, "pref_code": i.pref_code,
                                "written": i.written, "status": i.status, "code": i.code, "name": i.name,
                                "reason": i.reason, "candidates": i.candidates,
                                "occurrences": [{"snapshot": s, "cell": c} for s, c in i.occurrences]}
                               for n, i in enumerate(items, 1)], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(_("要確認の名称はありません"))
        return
    for n, i in enumerate(items, 1):
        where = ", ".join(f"#{s} {c}" for s, c in i.occurrences)
        suggestion = f"→ {i.name} ({i.code})" if i.code else "→ ?"
        click.echo(f"{n:>3}. {i.prefecture}「{i.written}」 {suggestion}  [{label(STATUS_LABELS, i.status)}] {i.reason}"
                   f"  （{where}）")
        for c in i.candidates[:5]:
            click.echo(f"       {c['code']} {c['prefecture']}{c['name']} {c['score']:.2f}")
    sys.exit(1)


def _print_decisions(rows: list[dict], as_json: bool) -> None:
    """``renkei review --decisions``: id, prefecture, written, action, code, name, who, when, note, undone."""
    if as_json:
        keys = ("id", "pref_code", "prefecture", "written", "action", "code", "name", "decided_by", "decided_at",
                "note", "undone_at", "undone_by")
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("判断はまだありません"))
        return
    from .textfmt import table

    click.echo(table(["id", "prefecture", "written", "action", "code", "name", "by", "at", "note"],
                     [(r["id"], r["prefecture"], r["written"], r["action"] + (" (undone)" if r["undone_at"] else ""),
                       r["code"] or "-", r["name"] or "-", r["decided_by"], (r["decided_at"] or "")[:16],
                       r["note"] or "") for r in rows]))


def _picker(items: list[ReviewItem]) -> Callable[[str], ReviewItem]:
    from .registry import RegistryError

    def pick(key: str) -> ReviewItem:
        if not key.strip().isdigit() or not 1 <= int(key) <= len(items):
            raise RegistryError(_("要確認の項目「{key}」はありません。renkei review の番号は 1〜{n} です").format(
                key=key, n=len(items)))
        return items[int(key) - 1]

    return pick


def _interactive(reg: Registry, items: list[ReviewItem], actor: str | None) -> None:
    from .registry.reviews import typed_code

    for n, i in enumerate(items, 1):
        click.echo(f"\n{n}/{len(items)} {i.prefecture}「{i.written}」 [{label(STATUS_LABELS, i.status)}] {i.reason}")
        for k, c in enumerate(i.candidates[:9], 1):
            click.echo(f"  {k}. {c['code']} {c['prefecture']}{c['name']} {c['score']:.2f}")
        answer = click.prompt(_("a=訂正を採用、1-9=候補、c=コードを入力、r=却下、s=飛ばす、q=終了"),
                              default="a" if i.code else "s").strip()
        if answer == "q":
            break
        if answer == "a" and i.code:
            reg.decide(i.pref_code, i.written, code=i.code, action="accept", actor=actor)
        elif answer.isdigit() and 1 <= int(answer) <= len(i.candidates[:9]):
            reg.decide(i.pref_code, i.written, code=i.candidates[int(answer) - 1]["code"], action="choose",
                       actor=actor)
        elif answer == "c":
            reg.decide(i.pref_code, i.written, code=typed_code(click.prompt("code")), action="manual", actor=actor)
        elif answer == "r":
            reg.decide(i.pref_code, i.written, code=None, action="reject", actor=actor)
