"""The type checker's escape hatches stay few and explained (issue 20, item 8).

``make test`` runs mypy over ``src/renkei`` ([tool.mypy] in pyproject.toml, which reports an unused ignore);
this test keeps the ``# type: ignore`` comments that remain at no more than ten, each naming the error it
silences and saying why, in a comment on its own line or the line above.
"""

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "renkei"
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[^\]]+\])?(?P<after>.*)$")
MAX_IGNORES = 10


def type_ignores() -> list[tuple[str, bool, bool]]:
    """(place, names its error code, says why) of every ``# type: ignore`` in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            match = IGNORE.search(line)
            if match is None:
                continue
            why_after = match["after"].strip().lstrip("#").strip()
            why_above = i > 0 and lines[i - 1].strip().startswith("#")
            found.append((f"{path.relative_to(SRC)}:{i + 1}", bool(match["code"]), bool(why_after or why_above)))
    return found


def test_type_ignores_are_few_and_each_says_why():
    found = type_ignores()
    assert len(found) <= MAX_IGNORES, [place for place, _, _ in found]
    assert [place for place, coded, _ in found if not coded] == []
    assert [place for place, _, explained in found if not explained] == []
