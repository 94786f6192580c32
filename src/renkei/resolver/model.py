"""What the resolver answers: the statuses, a candidate, a resolution, and who must look at it.

Statuses are a ``str`` enum, so ``r.status == "exact"`` and JSON keep working in every caller, while the
set of statuses and the single definition of "needs a person" live here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from .. import reasons as R
from ..reasons import Reason


class Status(StrEnum):
    EXACT = "exact"
    NORMALIZED = "normalized"
    VARIANT = "variant"
    CORRECTED = "corrected"
    MERGED = "merged"
    AMBIGUOUS = "ambiguous"
    UNRESOLVED = "unresolved"
    MULTIPLE = "multiple"


STATUSES = tuple(Status)
RESOLVED = frozenset({Status.EXACT, Status.NORMALIZED, Status.VARIANT, Status.CORRECTED, Status.MERGED})
FIRM = frozenset({Status.EXACT, Status.NORMALIZED, Status.VARIANT})  # no judgement: these anchor a list's order
NEEDS_PERSON = frozenset({Status.CORRECTED, Status.MERGED, Status.AMBIGUOUS, Status.UNRESOLVED, Status.MULTIPLE})


def needs_person(status: str) -> bool:
    """The one definition of "a person should look at this answer": any answer that involved a judgement."""
    return status in NEEDS_PERSON


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    name: str
    prefecture: str
    score: float  # 1.0 for a perfect match, lower for costlier corrections
    cost: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "prefecture": self.prefecture, "score": self.score}


def reason_fields(reasons: tuple[Reason, ...], texts: list[str] | None = None) -> dict[str, object]:
    """What JSON outputs add beside ``reason`` (the text in the reader's language): ``reason_key`` and ``params``
    of the first reason (in the order they were applied; null when there is none), and ``reasons``, every one
    as {key, params, text}. ``texts``: the reasons' texts when the caller has them already."""
    first = reasons[0] if reasons else None
    texts = texts if texts is not None else [r.text for r in reasons]
    return {"reason_key": first.key if first else None, "params": first.args if first else {},
            "reasons": [r.as_dict(t) for r, t in zip(reasons, texts, strict=True)]}


@dataclass(frozen=True, slots=True)
class Resolution:
    """The answer for one written name. ``code`` is set only for the resolved statuses.

    ``multiple``: the cell held several names; ``parts`` has one resolution per name.
    """

    input: str
    status: Status
    code: str | None = None
    name: str | None = None
    prefecture: str | None = None  # the prefecture of the answer, else the one given
    reasons: tuple[Reason, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    given_prefecture: str | None = None
    flags: tuple[str, ...] = ()  # other_prefecture, context, county_mismatch, ...
    parts: tuple[Resolution, ...] = ()
    query: str = ""  # the folded text that was looked up (list context ranks it again)

    @property
    def reason(self) -> str:
        return R.render(self.reasons)

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED and self.code is not None

    @property
    def needs_review(self) -> bool:
        return needs_person(self.status)

    def as_dict(self, translate: Callable[[str], str] | None = None) -> dict[str, object]:
        """The JSON contract of ``renkei resolve --jsonl``; ``parts`` only for status ``multiple``.

        ``translate``: the reader's catalogue (:func:`renkei.reasons.translator`), when the caller writes many.
        """
        translate = translate or R.translator()
        texts = [r.text_in(translate) for r in self.reasons]
        out: dict[str, object] = {
            "input": self.input,
            "prefecture": self.prefecture,
            "status": self.status.value,
            "code": self.code,
            "name": self.name,
            "reason": "; ".join(texts),
            "candidates": [c.as_dict() for c in self.candidates],
            **reason_fields(self.reasons, texts),
        }
        if self.status == Status.MULTIPLE:
            out["parts"] = [p.as_dict(translate) for p in self.parts]
        return out

    def looked_up(self, query: str, flags: tuple[str, ...]) -> Resolution:
        """This answer with the folded text that was looked up and the reading's flags (list context uses both)."""
        merged = tuple(dict.fromkeys((*self.flags, *flags))) if flags else self.flags
        return Resolution(self.input, self.status, self.code, self.name, self.prefecture, self.reasons,
                          self.candidates, self.given_prefecture, merged, self.parts, query)

    def answering(self, written: str, given: str | None, prefecture: str | None) -> Resolution:
        """This answer for ``written`` as given (a copy only when something differs: most answers need none)."""
        if written == self.input and given == self.given_prefecture and prefecture == self.prefecture:
            return self
        return Resolution(written, self.status, self.code, self.name, prefecture, self.reasons, self.candidates,
                          given, self.flags, self.parts, self.query)
