"""The ``renkei`` command: a thin click layer over the Python API.

Each command parses options, calls the API, and prints. Heavy modules are
imported inside the commands so that ``renkei --help`` stays fast.
"""

from __future__ import annotations

import json
import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="renkei")
def cli() -> None:
    """renkei: the registry of partnerships between Tokyo's 23 special wards and
    local governments across Japan (特別区全国連携プロジェクト).

    \b
    Examples:
      renkei resolve 亶理町 --prefecture 宮城県
      echo '{"name": "飯館村", "prefecture": "福島県"}' | renkei resolve --jsonl
    """


@cli.command()
@click.argument("names", nargs=-1)
@click.option("-p", "--prefecture", help="Resolve within this prefecture (name, short name or code).")
@click.option("--jsonl", is_flag=True,
              help='Read {"name": ..., "prefecture": ...} per line on stdin; write one JSON object per line.')
@click.option("--list", "as_list", is_flag=True,
              help="Treat NAMES as one block of a published list (code order is used as evidence).")
def resolve(names: tuple[str, ...], prefecture: str | None, jsonl: bool, as_list: bool) -> None:
    """Map written names to official 全国地方公共団体コード, explaining each correction.

    \b
    Examples:
      renkei resolve 千代田区
      renkei resolve 亶理町 飯館村 --prefecture 宮城県
      renkei resolve --list -p 福島県 塙町 鮎川村 石川町
      printf '{"name":"美幌市","prefecture":"北海道"}\\n' | renkei resolve --jsonl

    Output keys with --jsonl (a stable contract): input, prefecture, status, code,
    name, reason, candidates [{code, name, prefecture, score}].
    Statuses: exact, normalized, variant, corrected, merged, ambiguous, unresolved.
    """
    from .resolve import default_resolver

    resolver = default_resolver()
    if jsonl:
        _resolve_jsonl(resolver)
        return
    if not names:
        raise click.UsageError("give one or more NAMES, or --jsonl to read from stdin")
    if as_list:
        results = resolver.resolve_list(list(names), prefecture)
    else:
        results = [resolver.resolve(n, prefecture) for n in names]
    from .textfmt import table

    rows = [(r.input, r.status, r.code, r.name, r.prefecture, r.reason or "-") for r in results]
    click.echo(table(["input", "status", "code", "name", "prefecture", "reason"], rows))
    for r in results:
        if r.status in ("ambiguous", "unresolved") and r.candidates:
            listed = ", ".join(f"{c.prefecture}{c.name}({c.code}) {c.score:.2f}" for c in r.candidates)
            click.echo(f"  {r.input}: candidates: {listed}")


def _resolve_jsonl(resolver) -> None:  # type: ignore[no-untyped-def]
    out = sys.stdout
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise ValueError('expected an object with a string "name"')
        except ValueError as exc:
            out.write(json.dumps({"input": None, "prefecture": None, "status": "unresolved", "code": None,
                                  "name": None, "reason": f"stdin line {lineno}: bad JSON: {exc}",
                                  "candidates": []}, ensure_ascii=False) + "\n")
            continue
        r = resolver.resolve(item["name"], item.get("prefecture"))
        out.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")


def main() -> None:
    cli(prog_name="renkei")


if __name__ == "__main__":
    main()
