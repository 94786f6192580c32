"""The golden file: the resolver answers today exactly as it answered when the file was made.

The file (tests/data/golden/resolve.jsonl.gz) is made by tests/fixtures/make_golden.py, which also lists
the differences (``--diff``); a change of an answer is intended only when its commit says which and why.
"""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
import make_golden


def test_every_answer_matches_the_golden_file():
    now = make_golden.render()
    before = make_golden.stored()
    assert len(now) == len(before), "the golden input changed: regenerate the file and say why"
    changed = [(a, b) for a, b in zip(before, now, strict=True) if a != b]
    assert not changed, f"{len(changed)} answers changed, the first: " + "\n".join(changed[0])


def test_the_golden_file_is_large_and_varied():
    """The check can fail: it covers every status the resolver gives, on tens of thousands of inputs."""
    import json

    statuses = {json.loads(line)["status"] for line in make_golden.stored()}
    assert len(make_golden.stored()) > 20_000
    assert statuses == {"exact", "normalized", "variant", "corrected", "merged", "ambiguous", "unresolved",
                        "multiple"}
