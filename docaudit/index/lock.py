"""The crawl lock: one writer per embedded index folder."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from docaudit.config import Config
from docaudit.errors import DocauditError


@contextlib.contextmanager
def crawl_lock(config: Config) -> Iterator[None]:
    """One writer per embedded index folder: a second crawl says who holds it, in one line.

    A Chroma server serializes its own writes; crawls of different spaces into it may run at once.
    """
    if config.chroma_url:
        yield
        return
    import fcntl

    folder = Path(config.index).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # the index is a build artefact: it never shows up in `git status`
        ignore.write_text("# Written by docaudit: the index folder is not source.\n*\n", encoding="utf-8")
    with open(folder / "crawl.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise DocauditError(
                f"another crawl ({holder}) is writing to the index {folder}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
