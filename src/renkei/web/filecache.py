"""Large generated downloads kept as files: built once per change of the public data, under a lock, served as files.

Building the public SQLite file, or a PDF of the national table, costs seconds of CPU at scale: it must happen
neither on every request nor twice at once. :meth:`FileCache.get` builds a file once per key (the public data's
generation) into a temporary name in the same folder and renames it into place, so a reader sees the whole file
or none. Threads of one process wait on a per-name lock, and processes (``--workers``, several servers sharing a
machine) on a file lock (:mod:`filelock`); whoever comes second finds the file made. The newest :data:`KEEP`
files per name are kept, so a response still being sent is never cut short.

The folder: ``RENKEI_CACHE_DIR``, else the user cache folder (platformdirs), with one sub-folder per database.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock

ENV_VAR = "RENKEI_CACHE_DIR"
KEEP = 2  # files kept per name: the newest, and the one before it (a slow download may still be reading it)


def cache_root() -> Path:
    """``RENKEI_CACHE_DIR``, else the user cache folder (``~/.cache/renkei`` on Linux)."""
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        return Path(value).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("renkei", appauthor=False))


class FileCache:
    """Files made by a build function, one per (name, key), in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def for_database(cls, url: str) -> FileCache:
        """The cache of one database (keyed by its URL, password left out), under :func:`cache_root`."""
        return cls(cache_root() / "downloads" / hashlib.sha256(url.encode()).hexdigest()[:16])

    def _thread_lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def get(self, name: str, key: str, build: Callable[[Path], None]) -> Path:
        """The file ``name`` for ``key``: made by ``build(path)`` unless it exists; at most one build at a time."""
        target = self.folder / name / key
        if target.is_file():
            return target
        with self._thread_lock(name):
            if target.is_file():
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(target.parent / ".lock"):
                if target.is_file():  # another process made it while we waited
                    return target
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".build-")
                os.close(fd)
                try:
                    build(Path(tmp))
                    os.replace(tmp, target)
                finally:
                    Path(tmp).unlink(missing_ok=True)
                self._prune(target.parent)
        return target

    @staticmethod
    def _prune(folder: Path) -> None:
        made = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime,
                      reverse=True)
        for old in made[KEEP:]:
            old.unlink(missing_ok=True)
