"""Object and array literals in a JavaScript/TypeScript config, read without running it.

`docusaurus.config.{js,ts,mjs}` is code, but what docaudit needs from it (`lastVersion: 'current'`,
`versions: {...}`) is written as literals. Anything computed (`versions[0]`, a function call, a
template with `${}`) reads as `DYNAMIC`: the caller then falls back to the generator's default
rather than guessing. No JavaScript is executed.
"""

from __future__ import annotations

import re
from typing import Any


class _Dynamic:
    def __repr__(self) -> str:
        return "DYNAMIC"


DYNAMIC: Any = _Dynamic()
_OPEN, _CLOSE = "([{", ")]}"
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class Obj(dict):
    """A parsed object literal; `offsets[key]` is where the key stands in the source, for line numbers."""

    def __init__(self) -> None:
        super().__init__()
        self.offsets: dict[str, int] = {}


def strip_comments(src: str) -> str:
    """The source with // and /* */ comments blanked (newlines kept), so offsets still give lines."""
    out = list(src)
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in "'\"`":
            i = _string_end(src, i)
            continue
        if src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
            continue
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out[i:end] = ["\n" if ch == "\n" else " " for ch in src[i:end]]
            i = end
            continue
        i += 1
    return "".join(out)


def line_of(src: str, offset: int) -> int:
    return src.count("\n", 0, offset) + 1


def parse_at(src: str, i: int) -> tuple[Any, int]:
    """The literal that starts at `src[i]` (after blanks) and where it ends; DYNAMIC for an expression."""
    i = _blank(src, i)
    if i >= len(src):
        return DYNAMIC, i
    c = src[i]
    value: Any
    if c == "{":
        value, i = _object(src, i)
    elif c == "[":
        value, i = _array(src, i)
    elif c in "'\"`":
        end = _string_end(src, i)
        body = src[i + 1 : end - 1]
        value = DYNAMIC if c == "`" and "${" in body else _unescape(body)
        i = end
    elif m := _NUMBER.match(src, i):
        value, i = float(m.group()) if any(ch in m.group() for ch in ".eE") else int(m.group()), m.end()
    elif m := _WORD.match(src, i):
        value = {"true": True, "false": False, "null": None, "undefined": None}.get(m.group(), DYNAMIC)
        i = m.end()
    else:
        value = DYNAMIC
    j = _blank(src, i)
    if j < len(src) and src[j] not in ",}]);":  # an operator follows: `'a' + b`, `x ? y : z`, `require(...)`
        return DYNAMIC, _expression_end(src, j)
    return value, i


def _object(src: str, i: int) -> tuple[Obj, int]:
    obj = Obj()
    i += 1
    while True:
        i = _blank(src, i)
        if i >= len(src):
            return obj, i
        if src[i] == "}":
            return obj, i + 1
        if src[i] == ",":
            i += 1
            continue
        start = i
        if src.startswith("...", i):
            i = _expression_end(src, i + 3)
            continue
        if src[i] in "'\"":
            end = _string_end(src, i)
            key, i = _unescape(src[i + 1 : end - 1]), end
        elif m := (_WORD.match(src, i) or _NUMBER.match(src, i)):
            key, i = m.group(), m.end()
        else:  # a computed key, `[lastVersion]: {...}`: its value is skipped
            key, i = None, _expression_end(src, i, stop=":") if src[i] == "[" else i + 1
        i = _blank(src, i)
        if i < len(src) and src[i] == ":":
            value, i = parse_at(src, i + 1)
            i = _expression_end(src, i)
        else:  # shorthand `{ versions }` or a method `f() {...}`: not a literal
            i = _expression_end(src, i)
            value = DYNAMIC
        if key is not None:
            obj[key] = value
            obj.offsets[key] = start


def _array(src: str, i: int) -> tuple[list, int]:
    items: list = []
    i += 1
    while True:
        i = _blank(src, i)
        if i >= len(src):
            return items, i
        if src[i] == "]":
            return items, i + 1
        if src[i] == ",":
            i += 1
            continue
        if src.startswith("...", i):
            items.append(DYNAMIC)
            i = _expression_end(src, i + 3)
            continue
        value, end = parse_at(src, i)
        items.append(value)
        end = _expression_end(src, end)
        i = end if end > i else i + 1  # a stray `)` inside the array: step over it


def _expression_end(src: str, i: int, stop: str = "") -> int:
    """Where the expression at i ends: a `,` or an unmatched closing bracket at depth 0 (not consumed)."""
    depth, n = 0, len(src)
    while i < n:
        c = src[i]
        if c in "'\"`":
            i = _string_end(src, i)
            continue
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            if depth == 0:
                return i
            depth -= 1
            if depth == 0 and stop and src[i] == "]":
                return i + 1
        elif depth == 0 and (c in ",;" or (stop and c in stop)):
            return i
        i += 1
    return n


def _string_end(src: str, i: int) -> int:
    quote, i, n = src[i], i + 1, len(src)
    while i < n:
        if src[i] == "\\":
            i += 2
            continue
        if src[i] == quote:
            return i + 1
        if src[i] == "\n" and quote != "`":
            return i
        i += 1
    return n


def _blank(src: str, i: int) -> int:
    while i < len(src) and src[i].isspace():
        i += 1
    return i


_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0", "\n": "", "\r\n": ""}


def _unescape(body: str) -> str:
    """JavaScript string escapes: \\n, \\u00e9, \\u{1F600}, \\x41; a backslash before a newline joins lines."""

    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "ux" and len(code) > 1:
            digits = code[2:-1] if code.startswith("u{") else code[1:]
            point = int(digits, 16)
            return chr(point) if point <= 0x10FFFF else "\ufffd"
        return _SIMPLE.get(code, code)

    text = _ESCAPE.sub(one, body)
    if any("\ud800" <= c <= "\udfff" for c in text):  # \ud83d\ude00: a surrogate pair is one character
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text
