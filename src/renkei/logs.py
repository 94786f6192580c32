"""Logging of the web server, through Python's :mod:`logging` configured with :func:`logging.config.dictConfig`.

Everything goes to stderr, one line per record, so systemd's journal or a log collector takes
it as it is (rotation and shipping are theirs, not renkei's). ``text`` lines start with the UTC
time; ``json`` lines are one JSON object each, with the access fields as keys.

Loggers:
- ``renkei.access``: one line per request (see :mod:`renkei.web.access`); ``--no-access-log`` silences it.
- ``renkei.web``: unhandled errors and database outages; ``uvicorn.error``: the server itself.
uvicorn's own access log is turned off: ``renkei.access`` replaces it.

An error seen again and again must not flood the log: :class:`TracebackThrottle` lets the traceback
of a distinct error (its type and where it was raised) through at most once per period.
"""

from __future__ import annotations

import json
import logging
import logging.config
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

LEVEL_ENV = "RENKEI_LOG_LEVEL"
FORMAT_ENV = "RENKEI_LOG_FORMAT"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
ACCESS = "renkei.access"
WEB = "renkei.web"
TRACEBACK_PERIOD = 300.0  # seconds: one traceback per distinct error per period
FIELDS = ("client", "method", "path", "status", "duration_ms", "request_id")  # access and error fields


def _utc(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-12-04T02:00:00.000Z INFO renkei.access message``, then the traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname} {record.name} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request fields given, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {"time": _utc(record), "level": record.levelname, "logger": record.name,
                                  "message": record.getMessage()}
        out.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def config(level: str = "INFO", fmt: str = "text", access: bool = True) -> dict:
    """The :func:`logging.config.dictConfig` of the server (uvicorn passes it to every worker)."""
    formatter = f"{__name__}.{'JsonFormatter' if fmt == 'json' else 'TextFormatter'}"
    handler = {"handlers": ["stderr"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"renkei": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "renkei",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "renkei": {**handler, "level": level},
            ACCESS: {**handler, "level": "INFO" if access else "CRITICAL"},
            "uvicorn": {**handler, "level": level},
            "uvicorn.error": {"level": level},  # propagates to uvicorn
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},  # replaced by ACCESS
        },
    }


def configure(level: str = "INFO", fmt: str = "text", access: bool = True) -> None:
    logging.config.dictConfig(config(level, fmt, access))


class TracebackThrottle:
    """Whether an error's traceback should be logged: once per distinct error (type and place) per period."""

    def __init__(self, period: float = TRACEBACK_PERIOD, clock: Callable[[], float] = time.monotonic) -> None:
        self.period, self.clock = period, clock
        self._seen: dict[tuple[str, str, int], float] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(exc: BaseException) -> tuple[str, str, int]:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno) if tb is not None else ("?", 0)
        return (f"{type(exc).__module__}.{type(exc).__qualname__}", *where)

    def allow(self, exc: BaseException) -> bool:
        key, now = self.key(exc), self.clock()
        with self._lock:
            last = self._seen.get(key)
            if last is not None and now - last < self.period:
                return False
            if len(self._seen) > 1000:  # distinct errors are few; never let the table grow without bound
                self._seen.clear()
            self._seen[key] = now
            return True
