"""The user command group: accounts of the signed-in area (list, add, set, disable, enable, remove, passwd).

Thin: each opens the registry, calls one function of :mod:`renkei.registry.accounts`, and prints.
Refusals print one line and exit 1.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .cli_common import cli, open_registry, refusals
from .i18n import _

if TYPE_CHECKING:
    from .registry import Registry
    from .registry.accounts import Account


@cli.group()
def user() -> None:
    """Accounts of the signed-in area: list, add, set, disable, enable, remove, passwd.

    Passwords: at least 12 characters, not the username, not a common or easily guessed
    password (checked with zxcvbn). Changes are recorded in the audit log under $RENKEI_USER
    (or your login name).
    """


def _password(password: str | None) -> str:

    return password or click.prompt(_("パスワード"), hide_input=True, confirmation_prompt=True)


def _actor() -> str:
    from .registry.base import default_actor

    return default_actor()


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "ward", "viewer"]), required=True,
              help="admin: the secretariat; ward: one ward's editor (needs --ward); viewer: read only.")
@click.option("--ward", help="The ward of a ward editor, e.g. 港区.")
@click.option("--name", "display_name", default="", help="The name shown in the UI and the audit log.")
@click.option("--password", envvar="RENKEI_PASSWORD", help="[default: prompt; env RENKEI_PASSWORD]")
@click.pass_context
def user_add(ctx: click.Context, username: str, role: str, ward: str | None, display_name: str,
             password: str | None) -> None:
    """Create an account (the password is stored as an argon2id hash).

    \b
    Examples:
      renkei user add jimukyoku --role admin
      renkei user add minato1 --role ward --ward 港区 --name "港区 担当"
    """
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        account = accounts.add_user(reg, username, _password(password), role, ward, display_name, actor=_actor())
    click.echo(_("アカウント {username} を作成しました（{role}）").format(username=account.username,
                                                                   role=_account_role(reg, account)))


def _account_role(reg: Registry, account: Account) -> str:
    """「区の担当者・港区」: the role in words, with the ward of a ward editor."""
    from .registry import accounts

    ward = reg.directory.get(account.ward_code) if account.ward_code else None
    return accounts.role_text(account.role) + (f"・{ward.name}" if ward else "")


@user.command("set")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "ward", "viewer"]),
              help="The new role (a ward editor needs a ward; an admin or a viewer has none).")
@click.option("--ward", help="The ward of a ward editor, e.g. 港区 [default: keep it if the role takes one].")
@click.option("--display-name", "display_name", help="The name shown in the UI and the audit log.")
@click.pass_context
def user_set(ctx: click.Context, username: str, role: str | None, ward: str | None,
             display_name: str | None) -> None:
    """Change an account's role, ward or display name (audited, with only what changed).

    \b
    Examples:
      renkei user set minato1 --display-name "港区 企画課"
      renkei user set sato --role ward --ward 港区
      renkei user set sato --role viewer          # its ward is dropped
    """
    from .registry import accounts

    if role is None and ward is None and display_name is None:
        raise click.UsageError(_("--role、--ward、--display-name のどれかを指定してください"))
    reg = open_registry(ctx)
    with refusals():
        account = accounts.set_user(reg, username, role=role, ward=ward, display_name=display_name,
                                    actor=_actor())
    click.echo(_("アカウント {username} を変更しました（{role}、表示名「{name}」）").format(
        username=account.username, role=_account_role(reg, account), name=account.display_name))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of accounts.")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List the accounts (never their password hashes)."""
    from .registry import accounts
    from .textfmt import table

    reg = open_registry(ctx)
    found = accounts.users(reg)
    if as_json:
        click.echo(json.dumps([{"id": a.id, "username": a.username, "role": a.role, "ward": a.ward_code,
                                "name": a.display_name, "disabled": a.disabled} for a in found],
                              ensure_ascii=False, indent=1))
        return
    click.echo(table(["id", _("ユーザー名"), _("役割"), _("区"), _("表示名"), _("状態")],
                     [(a.id, a.username, a.role, a.ward_code, a.display_name, _("無効") if a.disabled else _("有効"))
                      for a in found]))


@user.command("disable")
@click.argument("username")
@click.pass_context
def user_disable(ctx: click.Context, username: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    _set_disabled(ctx, username, True)
    click.echo(_("アカウント {username} を無効にしました").format(username=username))


@user.command("enable")
@click.argument("username")
@click.pass_context
def user_enable(ctx: click.Context, username: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(ctx, username, False)
    click.echo(_("アカウント {username} を有効にしました").format(username=username))


def _set_disabled(ctx: click.Context, username: str, disabled: bool) -> None:
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        accounts.set_disabled(reg, username, disabled, actor=_actor())


@user.command("remove")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def user_remove(ctx: click.Context, username: str, yes: bool) -> None:
    """Delete an account and its sessions. The audit log keeps its name on what it did."""
    from .registry import accounts

    if not yes:
        click.confirm(_("アカウント {username} を削除しますか？").format(username=username), abort=True)
    reg = open_registry(ctx)
    with refusals():
        accounts.remove_user(reg, username, actor=_actor())
    click.echo(_("アカウント {username} を削除しました").format(username=username))


@user.command("passwd")
@click.argument("username")
@click.option("--password", envvar="RENKEI_PASSWORD", help="[default: prompt; env RENKEI_PASSWORD]")
@click.pass_context
def user_passwd(ctx: click.Context, username: str, password: str | None) -> None:
    """Set a new password; the account's open sessions end."""
    from .registry import accounts

    reg = open_registry(ctx)
    with refusals():
        accounts.set_password(reg, username, _password(password), actor=_actor())
    click.echo(_("アカウント {username} のパスワードを変更しました").format(username=username))
