"""Text out of files uploaded to Drive (PDF, DOCX, plain text), with what the parsers complained of."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Unreadable(Exception):
    """The file could not be read as text; the message says why, for the skip count."""


@contextlib.contextmanager
def library_warnings() -> Iterator[list[str]]:
    """What pypdf and python-docx log about a file ("invalid pdf header"), kept as the file's note
    instead of lines on the user's terminal."""
    caught: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            caught.append(" ".join(record.getMessage().split())[:120])

    handler = Collect(logging.WARNING)
    loggers = [logging.getLogger(name) for name in ("pypdf", "docx")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        yield caught
    finally:
        for lg, (propagate, level) in zip(loggers, saved):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level


def extract(data: bytes, mime: str) -> str:
    """Text out of an uploaded file, with pypdf and python-docx for the binary formats."""
    if mime == "application/pdf":
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
            raise Unreadable(f"unreadable PDF ({type(exc).__name__})") from None
    if mime == DOCX:
        import zipfile

        from docx import Document

        try:
            return "\n\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise Unreadable(f"unreadable DOCX ({type(exc).__name__})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not valid UTF-8") from None
