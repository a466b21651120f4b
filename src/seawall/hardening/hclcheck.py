"""A fast, conservative HCL syntax check run before python-hcl2's Lark parser.

`seawall harden` must report a .tf file that does not parse even where no rule reads it,
and running the Lark grammar over every unchecked block cost most of a run. This
recursive-descent checker accepts a strict subset of what python-hcl2's grammar accepts
(blocks, attributes, strings with `${...}`, heredocs, comments, numbers, tuples,
objects, function calls, indexing, splats, unary/binary/conditional operators).
`plausible_hcl` returns True only when the text is in that subset; anything else (a real
error, or a construct it does not model: `for` expressions, `%{...}` directives,
`$${...}`, multi-line strings, operators continued on the next line, ...) returns False
and the caller runs the Lark parser, so reported errors keep Lark's message and line.
"""

from __future__ import annotations

import re

_WS = re.compile(r"[ \t\r]*")
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_NL = re.compile(r"(?:[ \t\r]*(?:\n|#[^\n]*\n|//[^\n]*\n|/\*[\s\S]*?\*/))+")
# python-hcl2's STRING_CHARS, minus newlines (a multi-line string is left to Lark)
_STRING_CHARS = re.compile(r'(?:[^"\\$%\n]|\\[^\n]|\$(?!\$?\{)|%(?!%?\{))*')
_BINARY = re.compile(r"\|\||&&|==|!=|<=|>=|<(?!<)|>|\+|\*|%(?!\{)|/(?![/*])|-(?![0-9])")
_HEREDOC = re.compile(
    r"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:[\s\S]*?\r?\n)??\s*(?P=heredoc)\r?\n"
    r"|<<-(?P<trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:[\s\S]*?\r?\n)??\s*(?P=trim)\r?\n"
)
# Lark lexes these as their own terminals; where an identifier is expected, give up.
_SHORT_INDEX = re.compile(r"[0-9]+(?![0-9A-Za-z_]|\.[0-9])")
_ESCAPED = re.compile(r"\$\$\{[^}]*\}|%%\{[^}]*\}")
_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_AFTER_NUMBER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_MAX_DEPTH = 100


class _Unsure(Exception):
    """The text is not in the subset this checker models (maybe an error, maybe not)."""


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text + "\n"  # as python-hcl2 does before parsing
        self.pos = 0
        self.depth = 0
        self.heredoc_end = -1  # position just past a heredoc (it ends with a newline)

    def ws(self) -> None:
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def nls(self) -> bool:
        """Skip newlines and comments (and blanks); True if there was at least one."""
        match = _NL.match(self.text, self.pos)
        if match is None:
            self.ws()
            return False
        self.pos = match.end()
        self.ws()
        return True

    def after_heredoc(self) -> bool:
        """Only blanks since the end of a heredoc (which ends with its newline)."""
        end = self.heredoc_end
        return 0 <= end <= self.pos and not self.text[end : self.pos].strip(" \t\r")

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def expect(self, char: str) -> None:
        self.ws()
        if not self.text.startswith(char, self.pos):
            raise _Unsure
        self.pos += len(char)

    def name(self) -> str | None:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Unsure

    # -- body -------------------------------------------------------------------------
    def body(self, top: bool) -> None:
        self.enter()
        separated = True
        while True:
            heredoc = self.after_heredoc()
            if self.nls() or heredoc:
                separated = True
            if self.pos >= len(self.text):
                if top:
                    break
                raise _Unsure
            if self.peek() == "}":
                if top:
                    raise _Unsure
                break
            if not separated:
                raise _Unsure
            if self.name() is None:
                raise _Unsure
            self.ws()
            if self.text.startswith("=", self.pos) and self.text[self.pos + 1] not in "=>":
                self.pos += 1
                self.expression()
            else:
                self.block()
            separated = False
        self.depth -= 1

    def block(self) -> None:
        while True:
            self.ws()
            char = self.peek()
            if char == '"':
                self.string()
            elif char == "{":
                break
            elif self.name() is None:
                self.nls()  # one newline is allowed before the opening brace
                if self.peek() != "{":
                    raise _Unsure
                break
        self.pos += 1
        self.body(top=False)
        self.expect("}")

    # -- expressions ------------------------------------------------------------------
    def expression(self) -> None:
        self.enter()
        self.operand()
        while True:
            self.ws()
            match = _BINARY.match(self.text, self.pos)
            if match is None:
                break
            self.pos = match.end()
            self.nls()
            self.operand()
        self.ws()
        if self.peek() == "?":
            self.pos += 1
            self.nls()
            self.expression()
            self.nls()
            self.expect(":")
            if self.peek() == ":":
                raise _Unsure
            self.nls()
            self.expression()
        self.depth -= 1

    def operand(self) -> None:
        self.ws()
        char = self.peek()
        if char == "!" or (char == "-" and not self.text[self.pos + 1 : self.pos + 2].isdigit()):
            self.pos += 1
        elif char == "-":
            self.pos += 1  # a negative number literal
            self.number()
            self.postfix()
            return
        self.term()

    def number(self) -> None:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise _Unsure
        self.pos = match.end()
        if self.peek() in _AFTER_NUMBER and self.peek():
            raise _Unsure

    def term(self) -> None:
        self.ws()
        char = self.peek()
        if char == "(":
            self.pos += 1
            self.nls()
            self.expression()
            self.nls()
            self.expect(")")
        elif char.isdigit():
            self.number()
        elif char == '"':
            self.string()
        elif char == "[":
            self.tuple()
        elif char == "{":
            self.object()
        elif char == "<":
            match = _HEREDOC.match(self.text, self.pos)
            if match is None:
                raise _Unsure
            self.pos = self.heredoc_end = match.end()
            return
        else:
            word = self.name()
            if word is None or word in _KEYWORDS:
                raise _Unsure
            self.ws()
            if self.peek() == "(":
                self.call()
            elif self.peek() == ":":
                raise _Unsure  # provider::name::function(...)
        self.postfix()

    def postfix(self) -> None:
        text = self.text
        while True:
            self.ws()
            if text.startswith(".*", self.pos) or text.startswith("[*]", self.pos):
                self.pos += 2 if text[self.pos] == "." else 3
            elif text.startswith("..", self.pos):
                return
            elif text.startswith(".", self.pos):
                self.pos += 1
                self.ws()
                index = _SHORT_INDEX.match(text, self.pos)
                if index is not None:  # .0 (but not .0.1 or .0e1: Lark may read a float)
                    self.pos = index.end()
                    continue
                word = self.name()
                if word is None or word in _KEYWORDS:
                    raise _Unsure
            elif text.startswith("[", self.pos):
                self.pos += 1
                self.nls()
                self.expression()
                self.nls()
                self.expect("]")
            else:
                return

    def call(self) -> None:
        self.pos += 1  # (
        self.nls()
        if self.peek() == ")":
            self.pos += 1
            return
        while True:
            self.expression()
            self.nls()
            if self.text.startswith("...", self.pos):
                self.pos += 3
                self.nls()
                self.expect(")")
                return
            if self.peek() == ",":
                self.pos += 1
                self.nls()
                if self.peek() == ")":
                    self.pos += 1
                    return
                continue
            self.expect(")")
            return

    def tuple(self) -> None:
        self.pos += 1  # [
        self.nls()
        if self.text.startswith("for", self.pos):
            raise _Unsure  # maybe a for expression
        while self.peek() != "]":
            self.expression()
            self.nls()
            if self.peek() == ",":
                self.pos += 1
                self.nls()
            elif self.peek() != "]":
                raise _Unsure
        self.pos += 1

    def object(self) -> None:
        self.pos += 1  # {
        self.nls()
        if self.text.startswith("for", self.pos):
            raise _Unsure  # maybe a for expression
        separated = True
        while True:
            heredoc = self.after_heredoc()
            if self.nls() or heredoc:
                separated = True
            if self.peek() == "}":
                break
            if not separated:
                raise _Unsure
            self.key()
            self.ws()
            char = self.peek()
            following = self.text[self.pos + 1 : self.pos + 2]
            if (char == "=" and following not in ("=", ">")) or (char == ":" and following != ":"):
                self.pos += 1
            else:
                raise _Unsure
            self.expression()
            separated = self.nls()
            if self.peek() == ",":
                self.pos += 1
                separated = True
        self.pos += 1

    def key(self) -> None:
        self.ws()
        char = self.peek()
        if char == '"':
            self.string()
        elif char == "(":
            self.pos += 1
            self.nls()
            self.expression()
            self.nls()
            self.expect(")")
        elif self.name() is None:
            raise _Unsure

    def string(self) -> None:
        self.pos += 1  # opening quote
        text = self.text
        while True:
            self.pos = _STRING_CHARS.match(text, self.pos).end()  # type: ignore[union-attr]
            if text.startswith('"', self.pos):
                self.pos += 1
                return
            escaped = _ESCAPED.match(text, self.pos)
            if escaped is not None:
                self.pos = escaped.end()
                continue
            if not text.startswith("${", self.pos):
                raise _Unsure  # %{ directive, $${ / %%{ escape, newline, end of text
            self.pos += 2
            self.expression()
            self.expect("}")


def plausible_hcl(text: str) -> bool:
    """True only if `text` is HCL that python-hcl2 parses (a subset of it: False means
    "not sure", and the caller must parse the text to find out)."""
    checker = _Checker(text)
    try:
        checker.body(top=True)
    except (_Unsure, RecursionError):
        return False
    return checker.pos >= len(checker.text)
