"""Cut a .tf file down to the resource blocks seawall checks before parsing it.

python-hcl2 (a Lark LALR parser) costs about as much per line as everything else in
`seawall harden` together, and most of a Terraform tree declares resources no rule looks
at. This scanner finds top-level `resource "TYPE" "NAME" {` blocks (skipping strings with
nested `${...}` interpolation, heredocs and comments to find each block's closing brace)
and blanks every other line, so line numbers stay those of the original file. If the
scan is unsure (unbalanced braces, or a `resource` line inside a /* comment */, a heredoc,
a string or another block), the caller parses the whole text. The rest of the file is still
checked for syntax (hclcheck.py's fast check, then the fast reader hclfast.py, then
python-hcl2's grammar wherever both are unsure) so that HCL which does not parse is
reported wherever the error is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_RESOURCE = re.compile(r'^[ \t]*resource[ \t]+"?([A-Za-z0-9_-]+)"?[ \t]+"?[^"\s{]*"?[ \t]*\{', re.M)
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_CODE_SPECIAL = re.compile(r'[{}"#]|//|/\*|<<')
_STRING_SPECIAL = re.compile(r'["\\]|\$\{')


def _block_end(text: str, start: int) -> int | None:
    """Index just past the `}` closing the `{` at text[start], or None if unbalanced."""
    depth = 0
    i = start
    n = len(text)
    # stack of contexts: "code" (brace depth counted) or "string"
    stack: list[int] = []  # brace depth at which each ${ interpolation started
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
            elif ch == "$" and text.startswith("${", i):
                stack.append(depth)
                depth += 1
                in_string = False
                i += 2
                continue
            i += 1
            continue
        if ch == '"':
            in_string = True
        elif ch == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return None
            i = end + 2
            continue
        elif ch == "<" and text.startswith("<<", i):
            match = _HEREDOC.match(text, i)
            if match:
                marker = re.compile(rf"^[ \t]*{re.escape(match.group(1))}[ \t]*$", re.M)
                end_match = marker.search(text, match.end())
                if end_match is None:
                    return None
                i = end_match.end()
                continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if stack and depth == stack[-1]:
                stack.pop()
                in_string = True  # back inside the string the interpolation was in
            elif depth == 0:
                return i + 1
        i += 1
    return None


def _top_level(text: str, spans: list[tuple[int, int]]) -> bool:
    """True if every span (ascending, each a block _block_end delimited) starts in top-level
    code: not inside a block, string, comment or heredoc (_block_end's lexical rules,
    jumping from token to token and over the spans themselves). `resource "..." {` inside
    a /* comment */ or a heredoc is not a resource."""
    depth = 0
    stack: list[int] = []  # brace depth at which each ${ interpolation started
    in_string = False
    i = 0
    k = 0
    n = len(text)
    while k < len(spans):
        if in_string:
            found = _STRING_SPECIAL.search(text, i)
            if found is None or spans[k][0] < found.end():
                return False
            token = found.group()
            if token == "\\":
                i = found.start() + 2
            elif token == '"':
                in_string = False
                i = found.end()
            else:
                stack.append(depth)
                depth += 1
                in_string = False
                i = found.end()
            continue
        found = _CODE_SPECIAL.search(text, i)
        j = n if found is None else found.start()
        if k < len(spans) and spans[k][0] < j:  # plain code from i to the span
            if spans[k][0] < i or depth != 0:
                return False
            i = spans[k][1]
            k += 1
            continue
        if found is None:
            break
        token = found.group()
        i = found.end()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if stack and depth == stack[-1]:
                stack.pop()
                in_string = True
            elif depth < 0:
                return False
        elif token == '"':
            in_string = True
        elif token in ("#", "//"):
            end = text.find("\n", j)
            i = n if end < 0 else end
        elif token == "/*":
            end = text.find("*/", j + 2)
            if end < 0:
                return False
            i = end + 2
        else:
            match = _HEREDOC.match(text, j)
            if match:
                marker = re.compile(rf"^[ \t]*{re.escape(match.group(1))}[ \t]*$", re.M)
                end_match = marker.search(text, match.end())
                if end_match is None:
                    return False
                i = end_match.end()
    return k == len(spans)


def split_text(text: str, kinds: Iterable[str] | frozenset[str]) -> tuple[str | None, str]:
    """(kept, rest): the file with only blocks of `kinds` kept (other lines blank), or None
    when no block of those kinds exists; and the complement (those blocks blanked), which
    the caller still checks for syntax errors. If a block cannot be delimited, kept is
    the whole `text` and rest is empty."""
    wanted = kinds if isinstance(kinds, frozenset) else frozenset(kinds)
    spans: list[tuple[int, int]] = []
    for match in _RESOURCE.finditer(text):
        if match.group(1) not in wanted:
            continue
        end = _block_end(text, match.end() - 1)
        if end is None:
            return text, ""
        spans.append((match.start(), end))
    if not spans:
        return None, text
    if not _top_level(text, spans):
        return text, ""  # a match inside a comment, heredoc, string or block: parse it all
    kept: list[str] = []
    rest: list[str] = []
    last = 0
    for start, end in spans:
        between = text[last:start]
        kept.append("\n" * between.count("\n"))
        rest.append(between)
        block = text[start:end]
        kept.append(block)
        rest.append("\n" * block.count("\n"))
        last = end
    kept.append("\n" * text.count("\n", last))
    rest.append(text[last:])
    return "".join(kept), "".join(rest)


def relevant_text(text: str, kinds: Iterable[str] | frozenset[str]) -> str | None:
    """The kept part of split_text (None when no block of `kinds` exists)."""
    return split_text(text, kinds)[0]


def hcl_syntax_error(text: str, path: Path) -> str | None:
    """None if `text` is valid HCL, else a one-line `path:line: HCL parse error (...)`."""
    from seawall.hardening.hclcheck import plausible_hcl

    if plausible_hcl(text):  # fast and conservative; anything it is unsure of goes to Lark
        return None
    from seawall.inventory.sources.terraform_hcl import blank_run_warning

    hazard = blank_run_warning(text, path)
    if hazard is not None:
        return hazard
    from seawall.inventory.sources.hclfast import Unsupported, loads

    try:
        loads(text)  # reads only what python-hcl2 parses
    except Unsupported:
        pass
    else:
        return None
    import hcl2  # python-hcl2: a Lark grammar, slow to import

    from seawall.inventory.sources.terraform_hcl import hcl_error_warning

    try:
        hcl2.parses_to_tree(text)
    except Exception as exc:  # lark raises many exception types for bad syntax
        return hcl_error_warning(exc, path)
    return None
