"""Falco's condition language, parsed with Lark into a small tuple AST.

AST nodes (plain tuples, cheap to walk and hash):
  ("and", [node, ...]) | ("or", [node, ...]) | ("not", node)
  ("macro", name)                       a bare identifier: a macro reference
  ("cmp", field, arg, op, value)        value: str | None (exists) | tuple[str, ...]
  ("true",) | ("false",)                constants made by exceptions and empty macros
List operands keep unresolved names; the compiler expands list references.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError

GRAMMAR = r"""
?start: expr
?expr: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> neg
         | atom
?atom: "(" expr ")"
     | check
check: IDENT                               -> bare
     | IDENT UNARY_OP                      -> unary
     | IDENT BINARY_OP value               -> binary
     | IDENT LIST_OP "(" [item ("," item)*] ")" -> listop
     | IDENT LIST_OP BARE                  -> listref
value: STRING | BARE
item: STRING | BARE

_AND.2: "and"
_OR.2: "or"
_NOT.2: "not"
UNARY_OP.2: "exists"
LIST_OP.2: "in" | "intersects" | "pmatch"
BINARY_OP.2: "==" | "=" | "!=" | "<=" | "<" | ">=" | ">" | "contains" | "icontains"
           | "bcontains" | "startswith" | "bstartswith" | "endswith" | "glob" | "iglob"
           | "regex"
IDENT: /[a-zA-Z_][a-zA-Z0-9_.\-]*(\[[^\]]*\])?/
STRING: /"(\\.|[^"\\])*"/ | /'(\\.|[^'\\])*'/
BARE: /[^\s(),"']+/

%import common.WS
%ignore WS
"""

_PARSER: Lark | None = None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        _PARSER = Lark(
            GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=True, cache=True
        )
    return _PARSER


class ConditionSyntaxError(ValueError):
    """A condition that is not valid Falco syntax (message says where)."""


def _unquote(token: Token) -> str:
    text = str(token)
    if token.type == "STRING":
        body = text[1:-1]
        out: list[str] = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
    return text


def split_field(ident: str) -> tuple[str, str | None]:
    """'proc.aname[2]' -> ('proc.aname', '2'); 'ka.verb' -> ('ka.verb', None)."""
    if ident.endswith("]") and "[" in ident:
        name, _, arg = ident[:-1].partition("[")
        return name, arg
    return ident, None


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    def or_expr(self, *children: Any) -> Any:
        return ("or", list(children))

    def and_expr(self, *children: Any) -> Any:
        return ("and", list(children))

    def neg(self, child: Any) -> Any:
        return ("not", child)

    def bare(self, ident: Token) -> Any:
        name, arg = split_field(str(ident))
        if arg is None and "." not in name:
            return ("macro", name)
        return ("cmp", name, arg, "bare", None)

    def unary(self, ident: Token, op: Token) -> Any:
        name, arg = split_field(str(ident))
        return ("cmp", name, arg, str(op), None)

    def binary(self, ident: Token, op: Token, value: str) -> Any:
        name, arg = split_field(str(ident))
        text = str(op)
        return ("cmp", name, arg, "=" if text == "==" else text, value)

    def listop(self, ident: Token, op: Token, *items: str | None) -> Any:
        name, arg = split_field(str(ident))
        return ("cmp", name, arg, str(op), tuple(i for i in items if i is not None))

    def listref(self, ident: Token, op: Token, ref: Token) -> Any:
        name, arg = split_field(str(ident))
        return ("cmp", name, arg, str(op), (str(ref),))

    def value(self, token: Token) -> str:
        return _unquote(token)

    def item(self, token: Token) -> str:
        return _unquote(token)


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Any:
    """Parse a condition into the tuple AST; ConditionSyntaxError with the column on failure."""
    try:
        tree = _parser().parse(text)
    except LarkError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        where = f" at line {line} column {column}" if line is not None else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConditionSyntaxError(f"condition syntax error{where}: {first}") from None
    except RecursionError:
        raise ConditionSyntaxError("condition nested too deeply") from None
    try:
        return _ToAst().transform(tree)
    except RecursionError:
        raise ConditionSyntaxError("condition nested too deeply") from None
