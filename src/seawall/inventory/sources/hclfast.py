"""A fast HCL2 reader that returns exactly what python-hcl2 8.x returns, or gives up.

`loads(text)` equals `hcl2.loads(text, serialization_options=SerializationOptions(
with_comments=False, strip_string_quotes=True, preserve_heredocs=False))` for the part of
HCL it models: blocks and labels, attributes, strings with escapes and `${...}`
templates, heredocs, numbers, bools, null, tuples, objects, and expressions (calls,
references, operators, conditionals, `for` expressions, splats, indexing) rendered back
to `${...}` text the way python-hcl2's serializer renders them. Loading python-hcl2's
Lark grammar costs more than parsing a whole Terraform tree with this reader.

Anything it is not sure of (template directives `%{...}`, a syntax error, a construct
where python-hcl2's LALR parser or post-lexer may decide differently, nesting deeper
than _MAX_DEPTH, counting each binary operator and traversal step as a level since
python-hcl2 recurses on those too) raises `Unsupported`, and the caller parses the text
with python-hcl2, so callers always get python-hcl2's answer or python-hcl2's error.
"""

from __future__ import annotations

import re
import sys
from typing import Any

_MAX_DEPTH = 64  # nesting levels; each costs about ten Python frames
_MAX_INT_DIGITS = 4000  # int() refuses longer strings (sys.int_info.str_digits_check_threshold)

_BLANKS = re.compile(r"[ \t\r]*")
# python-hcl2's NL_OR_COMMENT terminal: one newline (with the next line's indent) or comment
_NL = re.compile(r"\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*[\s\S]*?\*/")
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_-]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")
# after an operand, `-10` and `-1.5` lex as one INT_LITERAL/FLOAT_LITERAL (only `-1` as -, 1)
_LITERAL_AFTER_MINUS = re.compile(r"[0-9][0-9.eE-]")
_BINARY = re.compile(r"\|\||&&|==|!=|<=|>=|<(?!<)|>|\+|-|\*|/(?![/*])|%(?!\{)")
# operators python-hcl2's post-lexer lets a line start with (continuing the expression)
_CONTINUES = frozenset({"||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "*", "/", "%"})
# python-hcl2's STRING_CHARS, written so that it compiles in 0.1 ms instead of 10 ms
_STRING_CHARS = re.compile(r'(?:[^"\\$%]|\\.|\$(?!\$?\{)|%(?!%?\{))+')
_ESCAPED = re.compile(r"\$\$\{[^}]*\}|%%\{[^}]*\}")
_HEREDOC = re.compile(
    r"<<(?P<heredoc>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*(?P=heredoc)\r?\n"
)
_HEREDOC_TRIM = re.compile(
    r"<<-(?P<heredoc_trim>[a-zA-Z][a-zA-Z0-9._-]*)\r?\n(?:(?:.|\n)*?\r?\n)??\s*"
    r"(?P=heredoc_trim)\r?\n"
)
# python-hcl2's hcl2.utils patterns, applied to a heredoc token to get its body
_HEREDOC_BODY = re.compile(r"<<([a-zA-Z][a-zA-Z0-9._-]*)\r?\n([\s\S]*)\1", re.S)
_HEREDOC_TRIM_BODY = re.compile(r"<<-([a-zA-Z][a-zA-Z0-9._-]*)\r?\n([\s\S]*)\1", re.S)
_KEYWORDS = frozenset({"if", "in", "for", "for_each", "else", "endif", "endfor"})
_LITERALS = {"true": True, "false": False, "null": None}
_AFTER_NUMBER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_AFTER_HEREDOC = frozenset(".[?:=+-*/%<>!&|")
_IS_BLOCK = "__is_block__"

# syntax tree nodes: tuples tagged by their first item
_ID, _LIT, _INT, _FLOAT, _STR, _HEREDOC_NODE = "id", "lit", "int", "float", "str", "heredoc"
_TUPLE, _OBJECT, _PAREN, _CALL, _POST = "tuple", "object", "paren", "call", "post"
_UNARY, _BIN, _COND, _FOR_TUPLE, _FOR_OBJECT = "unary", "bin", "cond", "fortuple", "forobject"
# python-hcl2 raises TypeError on a number as a for expression's value (it adds it to a str)
_NOT_FOR_VALUES = frozenset({_HEREDOC_NODE, _INT, _FLOAT})
_SIMPLE_KEYS = frozenset({_ID, _LIT, _INT, _FLOAT, _STR})
_KEY_KINDS = _SIMPLE_KEYS | {_PAREN, _POST, _CALL}

Node = tuple[Any, ...]


class Unsupported(Exception):
    """The text is outside what this reader models (or not valid HCL): use python-hcl2."""


def loads(text: str) -> dict[str, Any]:
    """python-hcl2's `loads` result for `text` (see the module docstring), or Unsupported."""
    try:
        tree = _Parser(text + "\n").document()  # python-hcl2 appends a newline too
        return _body_value(tree)
    except RecursionError:
        raise Unsupported("nested too deeply") from None
    except (ValueError, IndexError) as exc:  # int()/float() on a literal, or a scan past the end
        raise Unsupported(str(exc)) from None


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        # python-hcl2 recurses once per nesting level AND once per operator of a binary
        # chain or per traversal step (x.a.b[0]); `peak` is the deepest such path so far
        self.peak = 0

    def fail(self, why: str = "unsupported") -> Unsupported:
        return Unsupported(f"{why} at offset {self.pos}")

    def blanks(self) -> None:
        self.pos = _BLANKS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def newlines(self) -> int:
        """Skip blanks, newlines and comments; the number of NL_OR_COMMENT tokens."""
        count = 0
        text = self.text
        while True:
            self.pos = _BLANKS.match(text, self.pos).end()  # type: ignore[union-attr]
            match = _NL.match(text, self.pos)
            if match is None:
                return count
            self.pos = match.end()
            count += 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def expect(self, char: str) -> None:
        self.blanks()
        if not self.text.startswith(char, self.pos):
            raise self.fail(f"expected {char!r}")
        self.pos += len(char)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.peak:
            self.peak = self.depth
        if self.depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")

    def lengthen(self, outer_peak: int, steps: int) -> None:
        """Count `steps` more levels above everything parsed since `outer_peak` was saved."""
        peak = self.peak + steps
        if peak > _MAX_DEPTH:
            raise self.fail("chain too long")  # python-hcl2 may hit its recursion limit
        self.peak = peak if peak > outer_peak else outer_peak

    # -- body -------------------------------------------------------------------------
    def document(self) -> list[Node]:
        items = self.body(top=True)
        if self.pos < len(self.text):
            raise self.fail()
        return items

    def body(self, top: bool) -> list[Node]:
        """[("attr", name, expr) | ("block", [labels], body)] up to `}` or the end."""
        self.enter()
        items: list[Node] = []
        separated = True
        while True:
            if self.newlines():
                separated = True
            if self.pos >= len(self.text):
                if not top:
                    raise self.fail("unexpected end")
                break
            if self.peek() == "}":
                if top:
                    raise self.fail("unexpected }")
                break
            if not separated:
                raise self.fail("two statements on one line")
            match = _NAME.match(self.text, self.pos)
            if match is None:
                raise self.fail()
            self.pos = match.end()
            name = match.group()
            self.blanks()
            if self.peek() == "=" and self.peek(2) not in ("==", "=>"):
                self.pos += 1
                value, separated = self.statement_value()
                items.append(("attr", name, value))
            else:
                items.append(self.block(name))
                separated = False
        self.depth -= 1
        return items

    def statement_value(self) -> tuple[Node, bool]:
        """An attribute's expression; True if it ended with a heredoc (and its newline)."""
        value = self.expression()
        return value, value[0] == _HEREDOC_NODE

    def block(self, kind: str) -> Node:
        labels: list[Any] = [kind]
        while True:
            self.blanks()
            char = self.peek()
            if char == '"':
                labels.append(_value(self.string()))
                continue
            if char == "{":
                break
            match = _NAME.match(self.text, self.pos)
            if match is not None:
                self.pos = match.end()
                labels.append(match.group())
                continue
            # python-hcl2 keeps a newline before the brace as one more label: give up
            raise self.fail("expected {")
        self.pos += 1
        body = self.body(top=False)
        self.pos += 1  # the }
        return ("block", labels, body)

    # -- expressions ------------------------------------------------------------------
    def expression(self) -> Node:
        """expression: a binary chain, maybe the condition of a conditional."""
        self.enter()
        outer_peak = self.peak
        self.peak = self.depth
        first = self.operand()
        parts: list[Any] = [first]
        last = first
        text = self.text
        while True:
            if last[0] == _HEREDOC_NODE:
                # a heredoc ends with its newline, so what follows on the next line could
                # still continue the expression for python-hcl2: give up on that
                self.blanks()
                if self.peek() in _AFTER_HEREDOC:
                    raise self.fail("operator after a heredoc")
                break
            start = self.pos
            nls = self.newlines()
            match = _BINARY.match(text, self.pos)
            if match is None:
                self.pos = start
                break
            op = match.group()
            if nls and (nls > 1 or op not in _CONTINUES):
                self.pos = start  # the expression ended at the newline (or unsure)
                if op in _CONTINUES:
                    raise self.fail("operator after blank lines")
                break
            if nls and text[start : match.start()].strip(" \t\r\n"):
                # python-hcl2's post-lexer merges a comment into the operator and writes it
                # back inside the expression text (`x # c\n+ y`)
                raise self.fail("comment before an operator")
            if op == "-" and _LITERAL_AFTER_MINUS.match(text, match.end()):
                raise self.fail("-10 or -1.5 after an operand lexes as one literal")
            if op == "-" and text[match.end() : match.end() + 1].isdigit():
                literal = _NUMBER.match(text, match.start())
                if literal is None or len(literal.group()) != 2:
                    # python-hcl2 lexes `x -12` and `x -1.5` as x followed by a literal
                    # (a syntax error) but `x -1` as a subtraction
                    raise self.fail("minus glued to a number of more than one digit")
            self.pos = match.end()
            self.newlines()
            last = self.operand()
            parts.append(op)
            parts.append(last)
        if len(parts) > 1:
            self.lengthen(outer_peak, len(parts) // 2)
        elif outer_peak > self.peak:
            self.peak = outer_peak
        node: Node = first if len(parts) == 1 else (_BIN, parts)
        start = self.pos
        nls = self.newlines()
        if self.peek() == "?" and nls <= 1:
            if last[0] == _HEREDOC_NODE:
                raise self.fail("heredoc before ?")
            self.pos += 1
            self.newlines()
            if_true = self.expression()
            if if_true[0] == _HEREDOC_NODE:
                raise self.fail("heredoc before :")
            self.newlines()
            if not (self.peek() == ":" and self.peek(2) != "::"):
                raise self.fail("expected :")
            self.pos += 1
            self.newlines()
            if_false = self.expression()
            node = (_COND, node, if_true, if_false)
        else:
            if self.peek() == "?":
                raise self.fail("? after blank lines")
            self.pos = start
        self.depth -= 1
        return node

    def operand(self) -> Node:
        self.blanks()
        text = self.text
        char = text[self.pos : self.pos + 1]
        if char == "!" or (char == "-" and not text[self.pos + 1 : self.pos + 2].isdigit()):
            self.pos += 1
            self.blanks()
            following = self.peek()
            if following in ("!", "-", ""):
                raise self.fail("unary operator on a unary operand")
            return (_UNARY, char, self.term())
        return self.term()

    def number(self) -> Node:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            raise self.fail()
        self.pos = match.end()
        following = self.peek()
        if following and (following in _AFTER_NUMBER or following == "-"):
            raise self.fail("number followed by a name, dot or minus")
        literal = match.group()
        if "." in literal or "e" in literal or "E" in literal:
            return (_FLOAT, literal)
        if len(literal) > _MAX_INT_DIGITS:
            raise self.fail("integer too long")
        if literal[0] == "-" and not literal.strip("-0"):
            raise self.fail("-0 lexes as a literal or as a negation, depending on the state")
        return (_INT, literal)

    def term(self) -> Node:
        self.blanks()
        text = self.text
        char = text[self.pos : self.pos + 1]
        node: Node
        outer_peak = self.peak
        self.peak = self.depth
        if char == "(":
            self.enter()
            self.pos += 1
            self.newlines()
            inner = self.expression()
            self.newlines()
            self.expect(")")
            self.depth -= 1
            node = (_PAREN, inner)
        elif char.isdigit() or char == "-":
            node = self.number()
        elif char == '"':
            node = self.string()
        elif char == "[":
            node = self.tuple_expr()
        elif char == "{":
            node = self.object_expr()
        elif char == "<":
            match = _HEREDOC.match(text, self.pos) or _HEREDOC_TRIM.match(text, self.pos)
            if match is None:
                raise self.fail("not a heredoc")
            self.pos = match.end()
            if outer_peak > self.peak:
                self.peak = outer_peak
            return (_HEREDOC_NODE, match.group(), match.group().startswith("<<-"))
        else:
            match = _NAME.match(text, self.pos)
            if match is None:
                raise self.fail()
            word = match.group()
            if word in _KEYWORDS:
                raise self.fail("keyword as a value")
            self.pos = match.end()
            self.blanks()
            following = self.peek()
            provider = self.peek(2) == "::"
            if word in _LITERALS:
                if following == "(" or provider:
                    raise self.fail("true, false or null called")
                node = (_LIT, word)
            elif following == "(":
                node = self.call(word)
            elif provider:
                node = self.call(self.provider_function(word))
            else:
                node = (_ID, word)
        node = self.postfix(node)
        if node[0] == _POST:
            self.lengthen(outer_peak, len(node[2]))
        elif outer_peak > self.peak:
            self.peak = outer_peak
        return node

    def provider_function(self, first: str) -> str:
        names = [first]
        for _ in range(2):
            if self.peek(2) != "::":
                raise self.fail("expected ::")
            self.pos += 2
            self.blanks()
            match = _NAME.match(self.text, self.pos)
            if match is None or match.group() in _KEYWORDS or match.group() in _LITERALS:
                raise self.fail()
            self.pos = match.end()
            names.append(match.group())
            self.blanks()
        if self.peek() != "(":
            raise self.fail("expected (")
        return "::".join(names)

    def postfix(self, node: Node) -> Node:
        text = self.text
        suffixes: list[str | Node] = []
        while True:
            self.blanks()
            if text.startswith("...", self.pos):
                break
            if text.startswith(".*", self.pos):
                self.pos += 2
                suffixes.append(".*")
            elif text.startswith(".", self.pos):
                self.pos += 1
                self.blanks()
                digits = _DIGITS.match(text, self.pos)
                if digits is not None:
                    self.pos = digits.end()
                    following = self.peek()
                    if following != "." and (following in _AFTER_NUMBER or following == "-"):
                        raise self.fail("short index followed by a name or minus")
                    if len(digits.group()) > _MAX_INT_DIGITS:
                        raise self.fail("integer too long")
                    suffixes.append("." + str(int(digits.group())))
                    continue
                match = _NAME.match(text, self.pos)
                if match is None or match.group() in _KEYWORDS:
                    raise self.fail("expected a name after .")
                self.pos = match.end()
                suffixes.append("." + match.group())
            elif text.startswith("[*]", self.pos):
                self.pos += 3
                suffixes.append("[*]")
            elif text.startswith("[", self.pos):
                self.enter()
                self.pos += 1
                self.newlines()
                index = self.expression()
                self.newlines()
                self.expect("]")
                self.depth -= 1
                suffixes.append(("index", index))
            else:
                break
        return (_POST, node, suffixes) if suffixes else node

    def call(self, name: str) -> Node:
        self.enter()
        self.pos += 1  # (
        self.newlines()
        args: list[Node] = []
        ellipsis = False
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.expression())
                nls = self.newlines()
                if self.text.startswith("...", self.pos):
                    if nls:
                        raise self.fail("newline before ...")
                    self.pos += 3
                    ellipsis = True
                    self.newlines()
                    self.expect(")")
                    break
                if self.peek() == ",":
                    self.pos += 1
                    self.newlines()
                    if self.peek() == ")":
                        if nls:
                            raise self.fail("newline before a trailing comma")
                        self.pos += 1
                        break
                    continue
                self.expect(")")
                break
        self.depth -= 1
        return (_CALL, name, args, ellipsis)

    def tuple_expr(self) -> Node:
        self.enter()
        self.pos += 1  # [
        self.newlines()
        match = _NAME.match(self.text, self.pos)
        if match is not None and match.group() == "for":
            node = self.for_tuple()
            self.depth -= 1
            return node
        items: list[Node] = []
        while self.peek() != "]":
            items.append(self.expression())
            self.newlines()
            if self.peek() == ",":
                self.pos += 1
                self.newlines()
            elif self.peek() != "]":
                raise self.fail("expected , or ]")
        self.pos += 1
        self.depth -= 1
        return (_TUPLE, items)

    def object_expr(self) -> Node:
        self.enter()
        self.pos += 1  # {
        self.newlines()
        match = _NAME.match(self.text, self.pos)
        if match is not None and match.group() == "for":
            node = self.for_object()
            self.depth -= 1
            return node
        items: list[tuple[Node, Node]] = []
        separated = True
        while True:
            if self.newlines():
                separated = True
            if self.peek() == "}":
                break
            if not separated:
                raise self.fail("object elements on one line without a comma")
            key = self.object_key()
            self.blanks()
            char = self.peek()
            following = self.peek(2)[1:]
            if (char == "=" and following not in ("=", ">")) or (char == ":" and following != ":"):
                self.pos += 1
            else:
                raise self.fail("expected = or :")
            value = self.expression()
            items.append((key, value))
            separated = self.newlines() > 0 or value[0] == _HEREDOC_NODE
            if self.peek() == ",":
                self.pos += 1
                separated = True
        self.pos += 1
        self.depth -= 1
        return (_OBJECT, items)

    def object_key(self) -> Node:
        self.blanks()
        match = _NAME.match(self.text, self.pos)
        if (match is not None and match.group() in _KEYWORDS) or self.peek() == "-":
            raise self.fail("keyword or minus sign starting an object key")
        key = self.expression()
        if key[0] not in _KEY_KINDS:
            raise self.fail("operator in an object key")
        return key

    def for_intro(self) -> tuple[str, str | None, Node]:
        self.pos += 3  # for
        self.newlines()
        first = self.iterator()
        second = None
        self.blanks()
        if self.peek() == ",":
            self.pos += 1
            self.blanks()
            second = self.iterator()
        self.newlines()
        match = _NAME.match(self.text, self.pos)
        if match is None or match.group() != "in":
            raise self.fail("expected in")
        self.pos = match.end()
        self.newlines()
        collection = self.expression()
        if collection[0] in (_COND, _HEREDOC_NODE):
            raise self.fail("conditional collection")
        self.newlines()
        if not (self.peek() == ":" and self.peek(2) != "::"):
            raise self.fail("expected :")
        self.pos += 1
        self.newlines()
        return first, second, collection

    def iterator(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if match is None or match.group() in _KEYWORDS or match.group() in _LITERALS:
            raise self.fail("expected an iterator name")
        self.pos = match.end()
        return match.group()

    def for_condition(self) -> Node | None:
        self.newlines()
        match = _NAME.match(self.text, self.pos)
        if match is None or match.group() != "if":
            return None
        self.pos = match.end()
        self.newlines()
        condition = self.expression()
        if condition[0] == _HEREDOC_NODE:
            raise self.fail("heredoc condition")
        return condition

    def for_value(self) -> Node:
        value = self.expression()
        if value[0] in _NOT_FOR_VALUES:
            # python-hcl2 adds a number to a str there and raises TypeError
            raise self.fail("heredoc or number as a for expression's value")
        return value

    def for_tuple(self) -> Node:
        intro = self.for_intro()
        value = self.for_value()
        condition = self.for_condition()
        self.newlines()
        self.expect("]")
        return (_FOR_TUPLE, intro, value, condition)

    def for_object(self) -> Node:
        intro = self.for_intro()
        key = self.expression()
        self.blanks()
        if key[0] == _HEREDOC_NODE or self.peek(2) != "=>":
            raise self.fail("expected =>")
        self.pos += 2
        self.newlines()
        value = self.for_value()
        self.blanks()
        ellipsis = self.text.startswith("...", self.pos)
        if ellipsis:
            self.pos += 3
        condition = self.for_condition()
        self.newlines()
        self.expect("}")
        return (_FOR_OBJECT, intro, key, value, ellipsis, condition)

    def string(self) -> Node:
        """A quoted template: parts are ("chars", raw), ("escaped", raw), ("interp", expr)."""
        self.enter()
        self.pos += 1  # opening quote
        text = self.text
        parts: list[tuple[str, Any]] = []
        while True:
            if text.startswith('"', self.pos):
                self.pos += 1
                break
            escaped = _ESCAPED.match(text, self.pos)
            if escaped is not None:
                self.pos = escaped.end()
                parts.append(("escaped", escaped.group()))
                continue
            chars = _STRING_CHARS.match(text, self.pos)
            if chars is not None:
                self.pos = chars.end()
                parts.append(("chars", chars.group()))
                continue
            if not text.startswith("${", self.pos):
                raise self.fail("directive, bad escape or unterminated string")
            self.pos += 2
            inner = self.expression()
            if inner[0] == _HEREDOC_NODE:
                raise self.fail("heredoc in an interpolation")
            self.expect("}")
            parts.append(("interp", inner))
        self.depth -= 1
        return (_STR, parts)


# ---------------------------------------------------------------- serializer
# Mirrors python-hcl2's rules/*.py serialize(): `_value` outside any `${...}` (Python
# values), `_text` inside one (HCL source text, as python-hcl2 writes it back).


def _is_scientific(literal: str) -> bool:
    return "e" in literal or "E" in literal


def _is_dollar(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}")


def _to_dollar(value: Any) -> str:
    return value if _is_dollar(value) else f"${{{value}}}"


def _parenthesized(value: Any) -> str:
    if _is_dollar(value):
        return _to_dollar(f"({value[2:-1]})")
    return f"({value})"


def _body_value(items: list[Node]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    attributes: set[str] = set()
    for item in items:
        if item[0] == "attr":
            attributes.add(item[1])
            result[item[1]] = _value(item[2])
            continue
        labels = item[1]
        name = labels[0]
        if name in attributes:
            raise Unsupported(f"block {name} after an attribute of that name")
        block: dict[str, Any] = _body_value(item[2])
        block[_IS_BLOCK] = True
        for label in reversed(labels[1:]):
            block = {label: block}
        result.setdefault(name, []).append(block)
    return result


def _value(node: Node) -> Any:
    kind = node[0]
    if kind == _STR:
        out = []
        for part_kind, part in node[1]:
            if part_kind == "chars":
                out.append(_unescape(part))
            elif part_kind == "escaped":
                out.append(part)
            else:
                out.append(_to_dollar(_text(part)))
        return "".join(out)
    if kind == _ID:
        return node[1]
    if kind == _LIT:
        return _LITERALS[node[1]]
    if kind == _INT:
        return int(node[1])
    if kind == _FLOAT:
        literal = node[1]
        return _to_dollar(literal) if _is_scientific(literal) else float(literal)
    if kind == _TUPLE:
        return [_value(item) for item in node[1]]
    if kind == _OBJECT:
        result: dict[str, Any] = {}
        for key, value in node[1]:
            result[_key_value(key)] = _value(value)
        return result
    if kind == _HEREDOC_NODE:
        return _heredoc(node[1], node[2])
    if kind == _PAREN:
        return _to_dollar(_parenthesized(_value(node[1])))
    if kind == _UNARY:
        operand = node[2]
        if node[1] == "-" and (
            operand[0] == _INT or (operand[0] == _FLOAT and not _is_scientific(operand[1]))
        ):
            return -_value(operand)  # type: ignore[operator]
        return _to_dollar(node[1] + _text(operand))
    return _to_dollar(_text(node))


def _key_value(key: Node) -> str:
    kind = key[0]
    if kind == _LIT:
        return str(key[1])
    if kind in _SIMPLE_KEYS:
        value = _value(key)
        return str(value) if isinstance(value, (int, float)) else value  # type: ignore[no-any-return]
    return _to_dollar(_text(key))


def _key_text(key: Node) -> str:
    if key[0] in (_ID, _LIT):
        return str(key[1])
    return _text(key)


def _text(node: Node) -> str:
    kind = node[0]
    if kind in (_ID, _LIT):
        return str(node[1])
    if kind == _POST:
        out = [_text(node[1])]
        for suffix in node[2]:
            out.append(suffix if isinstance(suffix, str) else f"[{_text(suffix[1])}]")
        return "".join(out)
    if kind == _STR:
        out = ['"']
        for part_kind, part in node[1]:
            out.append(_to_dollar(_text(part)) if part_kind == "interp" else part)
        out.append('"')
        return "".join(out)
    if kind == _CALL:
        args = ", ".join(_text(arg) for arg in node[2])
        return f"{node[1]}({args}{' ...' if node[3] else ''})"
    if kind == _INT:
        return str(int(node[1]))
    if kind == _FLOAT:
        literal = node[1]
        return literal if _is_scientific(literal) else str(float(literal))
    if kind == _BIN:
        return " ".join(part if isinstance(part, str) else _text(part) for part in node[1])
    if kind == _COND:
        return f"{_text(node[1])} ? {_text(node[2])} : {_text(node[3])}"
    if kind == _UNARY:
        return node[1] + _text(node[2])  # type: ignore[no-any-return]
    if kind == _PAREN:
        return _parenthesized(_text(node[1]))
    if kind == _TUPLE:
        return "[" + ", ".join(_text(item) for item in node[1]) + "]"
    if kind == _OBJECT:
        elements = ", ".join(f"{_key_text(key)} = {_text(value)}" for key, value in node[1])
        return "{" + elements + "}"
    if kind == _HEREDOC_NODE:
        return _heredoc(node[1], node[2])
    if kind == _FOR_TUPLE:
        condition = "" if node[3] is None else f" if {_text(node[3])}"
        return f"[{_for_intro(node[1])}{_text(node[2])}{condition}]"
    if kind == _FOR_OBJECT:
        _, intro, key, value, ellipsis, condition_node = node
        condition = "" if condition_node is None else f" if {_text(condition_node)}"
        dots = "..." if ellipsis else ""
        return f"{{{_for_intro(intro)}{_text(key)} => {_text(value)}{dots}{condition}}}"
    raise Unsupported(f"unknown node {kind}")


def _for_intro(intro: tuple[str, str | None, Node]) -> str:
    first, second, collection = intro
    names = first if second is None else f"{first}, {second}"
    return f"for {names} in {_text(collection)} : "


def _strip_closing_marker_line(text: str) -> str:
    text = re.sub(r"[ \t]*\Z", "", text)
    return re.sub(r"\r?\n\Z", "", text)


def _heredoc(token: str, trim: bool) -> str:
    """The heredoc's value as python-hcl2 gives it (preserve_heredocs=False)."""
    if not trim:
        match = _HEREDOC_BODY.match(token)
        if match is None:
            raise Unsupported("heredoc")
        return _strip_closing_marker_line(match.group(2))
    match = _HEREDOC_TRIM_BODY.match(token)
    if match is None:
        raise Unsupported("heredoc")
    lines = _strip_closing_marker_line(match.group(2)).split("\n")
    indent = sys.maxsize
    for line in lines:
        if line.strip():
            indent = min(indent, len(line) - len(line.lstrip(" ")))
    if indent == sys.maxsize:
        indent = 0
    # python-hcl2 escapes backslashes and quotes of a <<- heredoc even in value form
    return "\n".join(line[indent:].replace("\\", "\\\\").replace('"', '\\"') for line in lines)


_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _unescape(value: str) -> str:
    """python-hcl2's process_escape_sequences: unknown escapes stay as written."""
    if "\\" not in value:
        return value
    parts = []
    index = 0
    length = len(value)
    while index < length:
        char = value[index]
        if char != "\\" or index + 1 >= length:
            parts.append(char)
            index += 1
            continue
        marker = value[index + 1]
        if marker in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[marker])
            index += 2
            continue
        if marker in ("u", "U"):
            width = 4 if marker == "u" else 8
            digits = value[index + 2 : index + 2 + width]
            if len(digits) == width and all(c in _HEX_DIGITS for c in digits):
                codepoint = int(digits, 16)
                if codepoint <= 0x10FFFF and not 0xD800 <= codepoint < 0xE000:
                    parts.append(chr(codepoint))
                    index += 2 + width
                    continue
        parts.append(char)
        parts.append(marker)
        index += 2
    return "".join(parts)


# ---------------------------------------------------------------- with python-hcl2 fallback


class ReadStats:
    """How many texts read_hcl parsed itself and how many it left to python-hcl2."""

    fast = 0
    fallbacks = 0


# Runs of blank lines inside a heredoc make the heredoc patterns (python-hcl2's, copied
# above) backtrack: after each newline of the body `\s*` takes the rest of the run before
# the terminator fails to match, so a run of n blank lines not followed by the terminator
# costs ~n^2 steps in both readers (40,000 blank lines: 10 s). Runs of 32+ blank lines
# inside heredoc bodies are costed n * length, at most MAX_BLANK_RUN_COST in total.
_BLANK_RUN = re.compile(r"\n[^\S\n]*\n\s*")
_HEREDOC_OPENER = re.compile(r"<<-?([a-zA-Z][a-zA-Z0-9._-]*)\r?\n")
# a line the pattern's `\s*(?P=heredoc)\r?\n` can end a body at: only a name
_NAME_LINE = re.compile(r"^[^\S\n]*([a-zA-Z][a-zA-Z0-9._-]*)\r?\n", re.M)
MAX_BLANK_RUN_COST = 20_000_000


def blank_run_hazard(text: str) -> tuple[int, int] | None:
    """(line, blank lines) of the run of blank lines inside a heredoc body that takes the
    text over MAX_BLANK_RUN_COST, or None when the text is safe to hand to either reader.

    A body runs from its `<<NAME` line to the first line holding only NAME (what the pattern
    finds), else to the end of the text; the run just before that line costs nothing (the
    terminator matches at once). Linear: every opener and name line is looked at once."""
    total = 0
    pos = 0
    while (opener := _HEREDOC_OPENER.search(text, pos)) is not None:
        name, body = opener.group(1), opener.end()
        end = terminator = len(text)
        for line in _NAME_LINE.finditer(text, body):
            if line.group(1) == name:
                end, terminator = line.start(), line.end()
                break
        for run in _BLANK_RUN.finditer(text, body - 1, end):
            newlines = run.group().count("\n")
            if newlines < 32 or (run.end() == end and terminator != end):
                continue
            total += newlines * (run.end() - run.start())
            if total > MAX_BLANK_RUN_COST:
                return text.count("\n", 0, run.start()) + 2, newlines - 1
        pos = terminator
    return None


def read_hcl(text: str) -> dict[str, Any]:
    """python-hcl2's `loads` result for `text` (the options in the module docstring): from
    this reader when it models the text, else from python-hcl2, whose exceptions (syntax
    errors, RecursionError) propagate unchanged. python-hcl2 is imported only then."""
    try:
        data = loads(text)
    except Unsupported:
        pass
    else:
        ReadStats.fast += 1
        return data
    ReadStats.fallbacks += 1
    import hcl2  # python-hcl2: a Lark grammar, slow to import and load
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(
        with_comments=False, strip_string_quotes=True, preserve_heredocs=False
    )
    result: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    return result
