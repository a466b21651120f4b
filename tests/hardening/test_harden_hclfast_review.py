"""Independent review of the fast HCL reader (inventory/sources/hclfast.py): adversarial
cases, each checked against python-hcl2 8.x. The reader must answer exactly as python-hcl2
does or give up (Unsupported, so the caller asks python-hcl2): a different answer is a silent
wrong result in `seawall harden` and `seawall inventory`."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hardening_hclref import SYNTAX_ERROR, UNSUPPORTED, fast, reference

from seawall.inventory.sources import hclfast

# Found by this review: python-hcl2 answers (or fails) differently from what the reader
# returned before the fix; the reader now gives up on each.
REGRESSIONS = [
    # the post-lexer merges a comment into the next operator and python-hcl2 writes it back
    # into the expression text: {'a': '${x # c\n+ y}'}
    "a = x # c\n  + y",
    "a = x /* c */ + y",
    "a = x // c\n  * y",
    "a = [x # c\n + y]",
    "a = c ? x /* c */ == y : z",
    # after an operand, a minus right before two digits, a decimal or an exponent lexes as
    # one INT_LITERAL/FLOAT_LITERAL: python-hcl2 reports a syntax error (in an object, `-10`
    # starts the next element), the reader read `x - 1.5`, `x - 10`
    "a = x -1.5",
    "a = x -10",
    "a = x.b -10 [0]",
    "a = [x -01]",
    "a = {b = x -10 = 2}",
    "a = {b = x -1.5}",
    "a = [f(x) -1e3]",
    "a = g(x[0] -12.5)",
    'a = "${x -1.5e3}"',
    # python-hcl2 raises TypeError on a number as a for expression's value
    "a = [for v in x : 1]",
    "a = [for v in x : -1.5]",
    "a = {for k in x : k => 1}",
    'a = "${[for v in x : 1]}"',
]


@pytest.mark.parametrize("text", REGRESSIONS)
def test_regressions_are_left_to_python_hcl2(text: str) -> None:
    with pytest.raises(hclfast.Unsupported):
        hclfast.loads(text)


def test_the_regressions_really_differ_in_python_hcl2() -> None:
    assert reference("a = x # c\n  + y") == {"a": "${x # c\n+ y}"}
    assert reference("a = x -1.5") == SYNTAX_ERROR
    assert reference("a = x - 1.5") == {"a": "${x - 1.5}"}
    assert reference("a = x -1") == {"a": "${x - 1}"}  # a single digit does not
    assert reference("a = x -10") == SYNTAX_ERROR
    assert reference("a = {b = x -10 = 2}") == {"a": {"b": "x", "-10": 2}}
    assert reference("a = [for v in x : 1]") == SYNTAX_ERROR
    assert fast("a = x - 1.5") == {"a": "${x - 1.5}"}
    assert fast("a = x\n  + y") == {"a": "${x + y}"}  # a plain newline is still read


# Every case: the reader's answer is python-hcl2's answer, or it gives up.
CASES = [
    # whitespace, line endings, BOM, empty input, comments
    "",
    "   ",
    "\n\n\n",
    "\t",
    "# only",
    "/* only */",
    "a = 1 # c",
    "a = 1 // c",
    "a = 1 /* c */",
    "\ufeffa = 1",
    "a = 1\fb = 2",
    "a = 1\rb = 2",
    "a\t=\t1\t\nb\t{\tc = 2\t}",
    "a = 1\r\n# c\r\nb {\r\n  c = <<EOF\r\n  x\r\n  EOF\r\n}\r\n",
    "a = <<-EOF\r\n    x\r\n      y\r\n    EOF\r\n",
    "a = 1\n\n\n\nb = 2",
    "a = [1, # c\n 2]\nb = [1 /* c */, 2]\nc = f(1 /* c */)\nd = f(/* c */ 1)",
    'resource "a" /* c */ {}',
    "a = [\n  # c\n  1,\n  // d\n  2, /* e */\n]",
    "a = f(\n  # c\n  1\n  # d\n)",
    "a = x\n  # c\n  + y",
    "a = x + y\n  # c\n  + z",
    "a = x + y\n\n  + z",
    "a = x\n  + y",
    "a = x # c\n ? y : z",
    "a = x /* c */ ? y : z",
    "a = x\n? y : z",
    # names, keywords and literals in every position
    "A_b-c = 1\n_x = 2\nx-1 = 3",
    'a "x" true {}\nb null {}\nc for {}\nd in "x" {}',
    "in {}\nfor {\n if = 1\n}",
    "a = true.x\nb = x.true\nc = x.null\nd = null[0]",
    "a = x.in\nb = x.for_each\nc = in\nd = if(x)\ne = endfor",
    "a {}\na = 1",
    "a = 1\na {}",
    "a = 1\na = 2",
    'a "b" {}\na "b" {}\na "c" {}',
    "__is_block__ = 1\nb {\n  __is_block__ = false\n}",
    "café = 1",
    'a = "café"\nb = "\\u00e9"',
    # numbers
    "a = 0\nb = 00\nc = 0.0\nd = 00.5\ne = -0.0",
    "a = 1.5e3\nb = 1E+3\nc = 1e-3\nd = 0.5e0",
    "a = 123456789012345678901234567890\nb = 123456789012345678901234567890.0",
    "a = 1" + "0" * 400 + ".0",
    "a = 2147483648\nb = -9223372036854775809",
    "a = 1.7976931348623157e308\nb = 5e-324",
    "a = 0x10",
    "a = 1_000",
    "a = .5",
    "a = 1.",
    "a = 1e",
    'a = "${1.50}"\nb = "${1e3}"\nc = "${-1}"\nd = "${- 1}"\ne = "${-1.5}"\nf = "${007}"',
    "a = - 1.5\nb = - 1.5e3\nc = -1.5e3\nd = -x\ne = !x\nf = -true\ng = -(1)",
    'a = 1[0]\nb = 1.5[0]\nc = 1.50[0]\nd = "abc"[0]',
    "a = x -1\nb = x - -1.5\nc = x * -1.5\nd = [1, -1.5]\ne = c ? -1.5 : -1e3",
    "a = x -1[0]\nb = x -1 .5\nc = x -1.x\nd = x -1.*\ne = x * -10\nf = x - -10",
    "a = x-1\nb = x - -1\nc = x--1",
    "a = x -1-2.5",
    "a = {a = x -1}",
    "a = {a = x - 1}",
    "a = {a = x\n -1 = 2}",
    "a = {a = 1 -1}",
    # strings, escapes, templates
    'a = "\\t\\r\\n"\nb = "\\\\"\nc = "\\""',
    'a = "\\u{1F600}"\nb = "\\x41"\nc = "\\0"\nd = "\\U0010FFFF"\ne = "\\U00110000"',
    'a = "\\${x}"\nb = "$$${x}"\nc = "%%%{x}"\nd = "$${x"\ne = "a$"\nf = "a%"\ng="$$"',
    'a = "$${x" \n b = "}"',
    'a = "\\\\${x}"',
    'a = "a\\\nb"',
    'a = "line1\r\nline2"',
    'a = "\u2028\u0085"',
    'a = "é${x}ü"',
    'a = ""\nb = "${""}"',
    'a = "${"}"}"\nb = "${f("}")}"\nc = "${ x }"\nd = "${x}${y}"',
    'a = "${"${"${x}"}"}"',
    'a = "\\"${x}\\""',
    'a = "${[1, 2]}"\nb = "${{a = 1}}"\nc = "${{"a" = 1}}"\nd = "${{a : 1}}"',
    'a = "${x\n? y : z}"',
    'a = "${\nx}"',
    'a = "%{ for x in y }${x}%{ endfor }"',
    'a = "%{~ if x ~}y%{~ endif ~}"',
    'a = \\"x\\"',
    # heredocs
    "a = <<EOF\nfoo EOF\nEOF\n",
    "a = <<EOF\n  EOF\n",
    "a = <<EOF\n\n\nEOF\n",
    "a = <<EOF\nx\n\n  EOF\n",
    "a = <<EOF\nx  \nEOF\n",
    "a = <<EOF\n${x} %{if y}z%{endif}\nEOF\n",
    "a = <<-EOF\n\tx\n\t  y\n\tEOF\n",
    "a = <<-EOF\n  x\n\n    y\n  EOF\n",
    "a = <<-E\n  x\n  E\n",
    "a = <<E.F-G_1\nx\nE.F-G_1\n",
    "a = <<EOF\nx\nEOFX\nEOF\n",
    "a = <<EOF\nx\n EOF \n",
    "a = <<EOF\nx\nEOF",
    "a = <<EOF # c\nx\nEOF\n",
    "a = f(<<EOF\nx\nEOF\n, 1)",
    "a = 1 + <<EOF\nx\nEOF\n",
    "a = (<<EOF\n${x}\nEOF\n)",
    "a = [<<EOF\nx\nEOF\n]",
    "a = {b = <<EOF\nx\nEOF\n}",
    "a = {b = <<EOF\nx\nEOF\n c = 1}",
    "a = <<EOF\nx\nEOF\n  + y",
    'a = "${<<EOF\nx\nEOF\n}"',
    # collections
    'a = ([1,2])\nb = ({a = "x"})\nc = (true)\nd = ("s")\ne = ("${x}")\nf = ("${x}-${y}")',
    'a = {"a\\nb" = 1}\nb = {1.0 = 2}\nc = {007 = 1}\nd = {1e3 = 1}\ne = {"${a}" = 1}',
    "f = {null = 1, false = 2}",
    'a = {a[0] = 1}\nb = {f(x) = 1}\nc = {x.*.y = 1}\nd = {"a".x = 1}',
    "a = {-1 = 2}\nb = {in = 1}\nc = {x ? y : z = 1}\nd = {[1] = 2}",
    "a = {\n  b = 1,\n  c = 2\n}",
    "a = {b = 1\n,c = 2}",
    'a = {"k": 1, "j": 2}',
    "a = {b: 1}",
    "a = {b = 1 c = 2}",
    "a = {b = 1,, c = 2}",
    "a = { b = { c = { d = [ { e = 1 } ] } } }",
    "a = [[[]], {}, [{}]]",
    "a = [,]",
    "a = [1 2]",
    # operators, conditionals, precedence
    "a = x ? y : z ? w : v\nb = x ? y ? z : w : v\nc = (x ? y : z) ? 1 : 2",
    "a = x ?\n y :\n z",
    "a = x ? y\n : z",
    "a = !x == y\nb = -x * -y\nc = a || b && c\nd = (a || b) && c",
    "a = -x.y[0]\nb = !f(x)\nc = -[1][0]",
    "a = 1 == 1.0\nb = 1 != 2\nc = 1 < 2",
    "a = x % 2\nb = x / 2\nc = x * 2",
    'a = "a" == "b"',
    "a = x > y ? x : y",
    "a = !!x\nb = !-x\nc = - -x",
    "a = x\n- y",
    "a = x\n\n? y : z",
    # traversals, splats, indexes
    'a = x.y[0].z["k"][var.i].w',
    "a = x[\n0\n]",
    "a = x.01\nb = x.007.y",
    "a = x.-1\nb = x.1.5\nc = x.1e3",
    "a = x.*.0\nb = x[*].0\nc = x[*][0]\nd = x.*[0]\ne = x.*.y.z[1]",
    "a = x . y\nb = x [0]\nc = x .*",
    "a = x. *\nb = x[ * ]",
    "a = var.a.b.c.d",
    "a = x[*]\nb = x.*\nc = x[*].y[*].z",
    "a = f()[0]\nb = f().x\nc = f().*\nd = f()[*]",
    "a = (x).y\nb = (x)[0]\nc = [1,2][0]\nd = {a=1}.a",
    # function calls
    "a = f(1, 2, 3...)\nb = f(x ...)\nc = f(\n x...\n)",
    "a = provider :: aws :: f(1)\nb = provider::a-b::c_d(x)",
    "a = provider::aws::f",
    "a = provider::f(1)",
    "a = f(\n)\nb = f(1,\n)\nc = f(x...,)",
    # for expressions
    "a = [for x in y : x]\nb = [for x in y : x if x]\nc = [for i, x in y : i]",
    "a = [for x in y :\n x\n if x\n]",
    "a = [\nfor x in y : x\n]",
    "a = [for x, y in z : {a = x}]",
    "a = {for k, v in m : k => {a = v}}",
    "a = {for k, v in m : k => [v]...}",
    "a = {for k, v in m : k => v\n if v}",
    "a = {for k, v in m : k => v...\n if v}",
    "a = {for k, v in m : k => v\n}",
    "a = {for k, v in m : k => v\n...}",
    "a = {for k, v in m : k + 1\n => v}",
    "a = {for k in m : k => k}",
    "a = [for x in y : x\n]",
    "a = [for x in y: x]",
    "a = [for x in f(y) : x.a]",
    "a = [for x in y.*.z : x]",
    "a = [for x in (y ? a : b) : x]",
    "a = [for x in y : x ? 1 : 2]",
    "a = [for x in y : x if x ? true : false]",
    "a = [for x in y : (1)]",
    "a = [for x in y : - 1]",
    "a = [for x in y : 1e3]",
    'a = "${for x in y : x}"',
    # blocks
    'a {\n}\nb "c" {\n  d "e" "f" {\n    g = 1\n  }\n}',
    "a { b = 1 }",
    "a { b = 1 c = 2 }",
    "a {} b {}",
    "a = 1 b = 2",
    'block "lab\\"el" "${x}" "é" {}',
    'resource "r" "n"\n{\n}',
    "a b c d e {}",
    "a {\n  b = 1\n}}",
]


@pytest.mark.parametrize("text", CASES)
def test_case_reads_as_python_hcl2_or_gives_up(text: str) -> None:
    got = fast(text)
    if got != UNSUPPORTED:
        assert got == reference(text)


def test_the_cases_exercise_both_paths() -> None:
    answers = [(fast(text), reference(text)) for text in CASES]
    read = sum(1 for got, _ in answers if got != UNSUPPORTED)
    refused = sum(1 for got, expected in answers if got == UNSUPPORTED)
    errors = sum(1 for got, expected in answers if expected == SYNTAX_ERROR)
    assert read > 120 and refused > 40 and errors > 20


# every operand kind, then a binary operator right against a number, in every context
_CONTEXTS = [
    ("a = ", ""), ("a = {b = ", "}"), ("a = [", "]"), ("a = f(", ")"), ("a = {\n b = ", "\n}"),
    ("a = c ? ", " : 1"), ("a = [for x in y : ", "]"), ("a = {for k, v in y : k => ", "}"),
    ("a = {for k, v in y : k => v if ", "}"), ("a = (", ")"), ('a = "${', '}"'),
    ("a = {b = 1, c = ", "}"), ("a = {(k) = ", "}"),
]  # fmt: skip
_OPERANDS = ["x", "x.y", "f(x)", "(x)", '"s"', "[1]", "x[0]", "true"]
MATRIX = [
    f"{before}{operand} {op}{number}{after}"
    for before, after in _CONTEXTS
    for operand in _OPERANDS
    for op in ("-", "+", "*", "- ")
    for number in ("1", "1.5", "1e3", "1.5e3", "0", "10", "01")
]


def test_operator_number_matrix_reads_as_python_hcl2_or_gives_up() -> None:
    read = 0
    for text in MATRIX:
        got = fast(text)
        if got != UNSUPPORTED:
            assert got == reference(text), repr(text)
            read += 1
    assert read > len(MATRIX) // 2


# A small random HCL generator: valid and nearly valid text, odd spacing, comments
_NAMES = ["x", "y", "var.a", "local.b", "each.value", "in", "for", "true", "null", "c-d", "E"]
_NUMBERS = ["0", "1", "-1", "10", "-10", "1.5", "-1.5", "1e3", "1E-2", "007", "-0", "2.0e+1"]
_STRING_PARTS = ["abc", " ", "é", "\\n", '\\"', "\\\\", "\\u00e9", "\\q", "$", "%", "$${x}"]
_SUFFIXES = [".a", ".0", ".*", "[*]", "[0]", '["k"]', ".true", ".in", ".01", ". b", "[*].d"]
_OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
_GAPS = ["", " ", " ", "\t", "\n", " # c\n", " /* c */ ", "\r\n", "\n\n"]


class _Generator:
    def __init__(self, seed: int, odd: float) -> None:
        self.rng = random.Random(seed)
        self.odd = odd  # how often spacing and operands are unusual

    def gap(self) -> str:
        return self.rng.choice(_GAPS) if self.rng.random() < self.odd else " "

    def term(self, depth: int) -> str:
        rng = self.rng
        roll = rng.random() if depth < 3 else rng.random() * 0.4
        if roll < 0.15:
            text = rng.choice(_NUMBERS)
        elif roll < 0.3:
            text = rng.choice(_NAMES)
        elif roll < 0.4:
            parts = [rng.choice(_STRING_PARTS) for _ in range(rng.randint(0, 2))]
            if rng.random() < 0.5:
                parts.append("${" + self.expression(depth + 1) + "}")
            text = '"' + "".join(parts) + '"'
        elif roll < 0.48:
            text = "(" + self.gap() + self.expression(depth + 1) + self.gap() + ")"
        elif roll < 0.56:
            items = [self.expression(depth + 1) for _ in range(rng.randint(0, 3))]
            text = "[" + ("," + self.gap()).join(items) + rng.choice(["", ","]) + "]"
        elif roll < 0.64:
            keys = ["k", '"k"', "(k)", "1", "k.y", "f(1)", "in"]
            items = [
                rng.choice(keys) + rng.choice([" = ", ": "]) + self.expression(depth + 1)
                for _ in range(rng.randint(0, 3))
            ]
            text = "{" + rng.choice([", ", "\n", ",\n"]).join(items) + "}"
        elif roll < 0.72:
            args = [self.expression(depth + 1) for _ in range(rng.randint(0, 3))]
            end = rng.choice(["", "...", " ...", ","]) if args else ""
            name = rng.choice(["f", "provider::aws::g", "a-b"])
            text = name + "(" + ("," + self.gap()).join(args) + end + ")"
        elif roll < 0.8:
            head = "for " + rng.choice(["v", "k, v"]) + " in " + self.expression(depth + 1)
            head += " :" + self.gap()
            condition = rng.choice(["", " if " + self.expression(depth + 1)])
            if rng.random() < 0.5:
                text = "[" + head + self.expression(depth + 1) + condition + "]"
            else:
                pair = self.expression(depth + 1) + " => " + self.expression(depth + 1)
                text = "{" + head + pair + rng.choice(["", "..."]) + condition + "}"
        elif roll < 0.85:
            marker = rng.choice(["EOF", "E"])
            body = rng.choice(["x\n", "  x\n    y\n", "", "${a}\n", 'q"\\b\n', "  a\n\n  b\n"])
            text = f"<<{rng.choice(['', '-'])}{marker}\n{body}{rng.choice(['', '  '])}{marker}\n"
        else:
            text = rng.choice(["true", "false", "null"])
        while rng.random() < 0.25:
            text += rng.choice(_SUFFIXES)
        return text

    def expression(self, depth: int = 0) -> str:
        rng = self.rng
        text = rng.choice(["", "", "", "", "-", "!"]) + self.term(depth)
        while rng.random() < 0.3 and depth < 4:
            op = rng.choice(_OPS)
            text += self.gap() + op + self.gap() + self.term(depth + 1)
        if rng.random() < 0.1 and depth < 3:
            text += self.gap() + "?" + self.gap() + self.expression(depth + 1)
            text += self.gap() + ":" + self.gap() + self.expression(depth + 1)
        return text

    def body(self, depth: int = 0) -> str:
        rng = self.rng
        items = []
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(["x", "y", "in", "true", "c-d"])
            if rng.random() < 0.75 or depth > 1:
                items.append(name + " = " + self.expression())
            else:
                labels = "".join(
                    " " + rng.choice(['"l"', "lab", '"${x}"', "true"])
                    for _ in range(rng.randint(0, 2))
                )
                items.append(name + labels + " {\n" + self.body(depth + 1) + "\n}")
        return rng.choice(["\n", "\n\n", "\r\n", "\n# c\n"]).join(items)


@pytest.mark.parametrize("odd", [0.0, 0.15])
def test_generated_hcl_reads_as_python_hcl2_or_gives_up(odd: float) -> None:
    started = time.monotonic()
    generator = _Generator(seed=20261130, odd=odd)
    same = gave_up = 0
    for _ in range(1500):
        text = generator.body()
        got = fast(text)
        if got == UNSUPPORTED:
            gave_up += 1
            continue
        assert got == reference(text), repr(text)
        same += 1
    assert same > 250 and gave_up > 250  # both paths really exercised
    assert time.monotonic() - started < 60


def test_hostile_sizes_are_bounded() -> None:
    started = time.process_time()
    for text in (
        "a = " + " + ".join(["x"] * 20000),
        "a = 1\n" * 20000,
        'a = "' + "x" * 200000,
        "a = 1 /*" + "x" * 200000,
        "a = [" + "/*" * 20000,
        'a = "' + "$${" * 20000,
        "a = " + "-" * 20000 + "1",
        "a = " + "!" * 20000 + "x",
        "a = 1" + "0" * 5000,
        "a = x" + ".0" * 20000,
        "a = x" + "[0]" * 20000,
    ):
        got = fast(text)
        assert got == UNSUPPORTED or got == reference(text)
    assert time.process_time() - started < 10


# harden cuts a .tf file down to the checked resource blocks before parsing (hclblocks.py):
# a `resource` line that is only text, in a comment or a heredoc, is no resource
COMMENTED_OUT = """\
resource "aws_ecr_repository" "real" {
  name                 = "real"
  image_tag_mutability = "IMMUTABLE"
}

/*
resource "aws_ecr_repository" "old" {
  name                 = "old"
  image_tag_mutability = "MUTABLE"
}
*/
"""
IN_A_HEREDOC = """\
locals {
  example = <<EOT
resource "aws_ecr_repository" "doc" {
  name = "doc"
}
EOT
}
"""


def test_a_resource_in_a_comment_or_heredoc_is_not_cut_out_as_one() -> None:
    from seawall.hardening.hclblocks import split_text

    kinds = frozenset({"aws_ecr_repository"})
    nested = 'outer {\n  resource "aws_ecr_repository" "n" {\n  }\n}\n'
    in_a_string = 'x = "a\nresource aws_ecr_repository s {\n}\n"\n'
    for text in (COMMENTED_OUT, IN_A_HEREDOC, nested, in_a_string):
        assert split_text(text, kinds) == (text, "")  # parsed whole, as python-hcl2 would
    real = COMMENTED_OUT.split("/*")[0] + 'locals {\n  doc = <<EOT\n{ " /*\nEOT\n}\n'
    kept, rest = split_text(real, kinds)
    assert kept is not None and "locals" not in kept and "locals" in rest  # still cut out


def test_harden_reports_no_finding_for_a_commented_out_resource(tmp_path: Path) -> None:
    from seawall.hardening.scan import harden

    (tmp_path / "commented.tf").write_text(COMMENTED_OUT)
    (tmp_path / "heredoc.tf").write_text(IN_A_HEREDOC)
    report = harden([tmp_path])
    assets = {finding.asset for finding in report.findings}
    assert not any(asset.endswith((".old", ".doc")) for asset in assets), assets
    assert report.warnings == []
