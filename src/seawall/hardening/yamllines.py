"""Find the line of a field path (`spec.containers[0].securityContext.privileged`) in a
block-style YAML document, by indentation, without parsing it again.

Manifests are read by a loader that records only each document's first line; this walks
the text from there. Flow style (`{...}`, `[...]`), anchors or anything unexpected gives
None, and the caller keeps the document's line.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_TOKEN = re.compile(r"\[(\d+)\]|\['([^']*)'\]|([^.\[\]]+)")


@functools.lru_cache(maxsize=8192)
def _tokens(path: str) -> tuple[tuple[str | int, ...], tuple[str, ...]] | None:
    """The steps of `path` and, for each, the path up to it (`spec`, `spec.containers`,
    `spec.containers[0]`...): memo keys for shared prefixes, hashed once per path."""
    out: list[str | int] = []
    prefixes: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        if match.start() != pos and path[pos] != ".":
            return None
        if match.group(1) is not None:
            out.append(int(match.group(1)))
        else:
            out.append(match.group(2) if match.group(2) is not None else match.group(3))
        pos = match.end()
        prefixes.append(path[:pos])
        if pos < len(path) and path[pos] == ".":
            pos += 1
    return tuple(out), tuple(prefixes)


def _key_of(text: str) -> str | None:
    """The mapping key a (stripped) line starts with, unquoted."""
    if text.startswith(("'", '"')):
        quote = text[0]
        end = text.find(quote, 1)
        if end < 0 or not text[end + 1 :].lstrip().startswith(":"):
            return None
        return text[1:end]
    key, sep, _ = text.partition(":")
    if not sep or key.strip() != key:
        return None
    return key


State = tuple[int, int, int | None]  # (line index, parent indent, inline key column)
_FLOW = -2  # parent indent marking "value continues in flow style: stop here"


def field_line(
    lines: list[str],
    start: int,
    path: str,
    memo: dict[Any, Any] | None = None,
) -> int | None:
    """1-based line of `path` in the document starting at 1-based `start`; for a field
    that is absent, the line of its deepest present parent (where it would be added).
    None when even the first step is not found. `memo` caches shared path prefixes."""
    parsed = _tokens(path)
    if not parsed or not parsed[0]:
        return None
    tokens, prefixes = parsed
    memo = {} if memo is None else memo
    info = memo.get((-1, ()))
    if info is None:
        info = [_line_info(line) for line in lines]
        memo[(-1, ())] = info
    end_key = (start, ())
    cached_end = memo.get(end_key)
    if cached_end is not None:
        end = cached_end[0]
    else:
        end = len(lines)
        for i in range(start, len(lines)):
            if lines[i].startswith("---"):
                end = i
                break
        memo[end_key] = (end, 0, None)
    # Resume after the deepest prefix already walked (findings of one object share most
    # of their paths); walking from the top would read the same memo entries.
    last = len(tokens) - 1
    walked = last
    while walked >= 0 and (start, prefixes[walked]) not in memo:
        walked -= 1
    state: State = (start - 1, -1, None)
    best: int | None = None
    if walked >= 0:
        found = memo[(start, prefixes[walked])]
        if found is None:  # a prefix missing: its parent's line (walked before it)
            return memo[(start, prefixes[walked - 1])][0] + 1 if walked else None
        state = found
        best = state[0] + 1
        if state[1] == _FLOW:
            return best
    for depth in range(walked + 1, last + 1):
        token = tokens[depth]
        key = (start, prefixes[depth])
        if key in memo:
            found = memo[key]
        else:
            found = _step(lines, info, end, state, token, depth == last, memo)
            memo[key] = found
        if found is None:
            return best
        state = found
        best = state[0] + 1
        if state[1] == _FLOW:
            return best
    return best


def _line_info(line: str) -> tuple[int, str, bool]:
    stripped = line.strip()
    content = bool(stripped) and not stripped.startswith("#")
    return len(line) - len(line.lstrip(" ")), stripped, content


Info = list[tuple[int, str, bool]]


def _step(
    lines: list[str],
    info: Info,
    end: int,
    state: State,
    token: str | int,
    last: bool,
    memo: dict[Any, Any],
) -> State | None:
    pos, parent, inline_col = state
    if isinstance(token, int):
        items_key = ("items", pos, end, parent)
        items = memo.get(items_key)
        if items is None:
            items = memo[items_key] = _items(info, pos, end, parent)
        if token >= len(items):
            return None
        line, dash_col = items[token]
        return line, dash_col, dash_col + 2
    children_key = ("keys", pos, end, parent, inline_col)
    children = memo.get(children_key)
    if children is None:
        children = memo[children_key] = _child_keys(lines, info, pos, end, parent, inline_col)
    found_key = children.get(token)
    if found_key is None:
        return None
    line, indent = found_key
    rest = info[line][1]
    value = rest.split(":", 1)[1].strip() if ":" in rest else ""
    if value.startswith(("{", "[", "&", "*")) and not last:
        return line, _FLOW, None  # flow style or anchors below: stop at this line
    return line, indent, None


def _child_keys(
    lines: list[str],
    info: Info,
    pos: int,
    end: int,
    parent: int,
    inline_col: int | None,
) -> dict[str, tuple[int, int]]:
    """The keys of the mapping under line `pos` -> (line index, indent), first one wins
    (one scan per mapping, however many of its keys are looked up)."""
    out: dict[str, tuple[int, int]] = {}
    child: int | None = None
    for i in range(pos, end):
        indent, text, content = info[i]
        if not content:
            continue
        if inline_col is not None and i == pos:
            # "- key: value": the first key of a list item sits on the dash line
            line = lines[i]
            text = line[inline_col:].strip() if len(line) > inline_col else ""
            indent = inline_col
        elif indent <= parent and i > pos:
            return out
        elif indent <= parent:
            continue
        if child is None:
            child = indent
        if indent == child:
            key = _key_of(text)
            if key is not None and key not in out:
                out[key] = (i, indent)
    return out


def _items(info: Info, pos: int, end: int, parent: int) -> list[tuple[int, int]]:
    """The `- ` items of the sequence value under the key on line `pos`: (line index, dash
    column) each, from one scan. (Scanning again for each index was quadratic: a pod with
    30,000 containers took 200 s to place its findings.)"""
    out: list[tuple[int, int]] = []
    item_col: int | None = None
    for i in range(pos + 1, end):
        indent, stripped, content = info[i]
        if not content:
            continue
        if indent < parent or (indent == parent and not stripped.startswith("-")):
            return out
        if stripped.startswith("- ") or stripped == "-":
            if item_col is None:
                item_col = indent
            if indent == item_col:
                out.append((i, indent))
        elif item_col is not None and indent <= item_col:
            return out
    return out
