"""The fast HCL reader (inventory/sources/hclfast.py) answers exactly as python-hcl2 does,
or gives up (Unsupported) so the caller asks python-hcl2: never a different answer."""

from __future__ import annotations

import itertools
import random
import re
import time
from pathlib import Path

import hcl2
import pytest
from hardening_hclref import SYNTAX_ERROR, UNSUPPORTED, fast, reference

from seawall.inventory.sources import hclfast

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
TERRAGOAT = SHARED / "corpora" / "terragoat"
if not TERRAGOAT.is_dir():
    TERRAGOAT = REPO / "tests" / "data" / "hardening" / "corpora" / "terragoat"


def tf_files() -> list[Path]:
    roots = [REPO / "tests" / "data", SHARED]
    return sorted({p for root in roots if root.is_dir() for p in root.rglob("*.tf")})


def test_every_tf_file_reads_as_python_hcl2_reads_it() -> None:
    files = tf_files()
    assert len(files) >= 60  # tests/data plus the shared corpora
    fallbacks = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        got = fast(text)
        if got == UNSUPPORTED:
            fallbacks.append(path)
            continue
        assert got == reference(text), path
    assert len(fallbacks) <= len(files) // 20, fallbacks


def test_terragoat_never_falls_back() -> None:
    files = sorted(TERRAGOAT.rglob("*.tf"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert hclfast.loads(text) == reference(text), path


EDGE_CASES = [
    "",
    "\n\n# only a comment\n",
    'a = "plain"',
    'a = "tab\\tnewline\\nquote\\"backslash\\\\ unknown\\q"',
    'a = "unicode \\u00e9 \\U0001F600 raw é ✓ bad \\ud800 short \\u12"',
    'a = "${var.x}-${upper("y")}"',
    'a = "$${not_interpolated} %%{not_a_directive} $ and % alone"',
    'a = "multi\nline"',
    'a = <<EOF\nline one\n  indented "quoted" \\ back\nEOF\n',
    "a = <<-EOT\n    four\n      six\n\n    four\n    EOT\nb = 1\n",
    'a = <<-EOT\n    "q" \\ b\n  EOT\n',
    "a = <<EOF\nEOF\n",
    'a = [<<EOF\nx\nEOF\n, "y"]',
    'a = jsonencode(<<EOF\n{"k": 1}\nEOF\n)',
    "a = 1\nb = -2\nc = 1.50\nd = 1e3\ne = -1.5E-2\nf = 007\ng = - 3",
    "a = true\nb = false\nc = null\nd = [true, null]\ne = (null)",
    "a = [1, 2,]\nb = []\nc = [\n  1,\n  2\n]",
    'a = {}\nb = {x = 1, y = 2,}\nc = {\n  "k" : 1\n  j = { deep = { deeper = [1] } }\n}',
    'a = {"a.b" = 1, 3 = "three", 1.5 = 2, (var.k) = 4, true = 5, x.y = 6, f(1) = 7}',
    "a = { x = 1, x = 2 }",
    "# hash\n// slashes\n/* block\n comment */\na = 1 # trailing\nb = 2 // trailing",
    "a = 1 /* between */ b = 2",
    'resource "aws_s3_bucket" "b" {}\nresource aws_s3_bucket c {\n  acl = "private"\n}',
    'resource "r" "a" {\n  x = 1\n}\nresource "r" "b" {\n  y {\n    z = 2\n  }\n  y {}\n}',
    'locals { x = 1 }\nlocals {\n  y = 2\n}\nmodule "m" { source = "./m" }',
    'block "lab\\"el" "${x}" { }',
    'a = var.x\nb = var.list[0]\nc = var.m["k"].v\nd = aws_x.y.*.id\ne = aws_x.y[*].id',
    "f = x.0.y\ng = x.0.10",
    'a = f()\nb = f(1, "two", [3])\nc = f(x...)\nd = provider::aws::arn_parse(x)\ne = f(1,)',
    "a = f(\n  1,\n  2\n)",
    "a = x + y * z - 1 / 2 % 3\nb = !x && y || z\nc = a == b != c\nd = a < b <= c > d >= e",
    "a = (x + y) * z\nb = -(x)\nc = !(x || y)\nd = -x.y\ne = x - -1",
    'a = x ? y : z\nb = x == 1 ? "one" : x == 2 ? "two" : "many"',
    "a = x\n  ? y\n  : z",
    "a = x\n  + y\n  * z",
    "a = [for s in var.list : upper(s)]\nb = [for i, s in var.list : s if i > 0]",
    'a = {for k, v in var.map : k => v}\nb = {for k, v in var.map : v => k... if k != ""}',
    "a = {\n  for k, v in var.map :\n  k => v\n}",
    'a = "${[for x in y : x]}" ',
    "a = length(x)-1\nb = count.index-1\nc = x.a-b\nd = x -1\ne = [for x in y : - 1]",
    'a = 1\r\nb = "crlf"\r\n',
    "a = <<EOF\r\ncrlf body\r\nEOF\r\n",
    "for_each = var.x\nin = 1\ntrue = 2",
    "a = 1e999\nb = 1.0e-5\nc = 0.0",
]

GIVES_UP = [
    'a = "%{ if x }yes%{ endif }"',  # template directives
    "a = x\n\n  + y",  # two newlines before a continued operator
    "a = x ? -0 : 1",  # -0: a literal or a negation, depending on the parser state
    'resource "r" "n"\n{\n}',  # newline before the brace (python-hcl2 makes it a label)
    "a = for",  # a keyword as a value: python-hcl2's contextual lexer decides
    "a = [for x in y : 34]",  # python-hcl2 raises TypeError adding 34 to a str
    "a = x -12",  # python-hcl2 lexes -12 as a literal here (a syntax error), -1 not
    "a = f() -0.5",  # likewise
]

SYNTAX_ERRORS = [
    "a = ",
    "a = 1 +",
    'a = "unterminated',
    "a = {",
    'resource "r" {',
    "}",
    "a = [1 2]",
    "a = f(1\n,)",
    "a = - -1",
    "a = <<EOF\nno end\n",
    "a = 1.",
    "a = x.",
    "c /* mid */ = 3",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_case_reads_as_python_hcl2_reads_it(text: str) -> None:
    expected = reference(text)
    assert expected != SYNTAX_ERROR
    assert hclfast.loads(text) == expected


@pytest.mark.parametrize("text", GIVES_UP)
def test_constructs_it_does_not_model_are_left_to_python_hcl2(text: str) -> None:
    with pytest.raises(hclfast.Unsupported):
        hclfast.loads(text)


@pytest.mark.parametrize("text", SYNTAX_ERRORS)
def test_syntax_errors_are_left_to_python_hcl2(text: str) -> None:
    assert reference(text) == SYNTAX_ERROR
    with pytest.raises(hclfast.Unsupported):
        hclfast.loads(text)


def test_deep_nesting_gives_up_without_recursion_error() -> None:
    for opener, closer in (("[", "]"), ("{x = ", "}"), ("(", ")"), ("f(", ")"), ('"${', '}"')):
        text = "a = " + opener * 5000 + "1" + closer * 5000
        with pytest.raises(hclfast.Unsupported):
            hclfast.loads(text)
    with pytest.raises(hclfast.Unsupported):
        hclfast.loads("b {\n" * 5000 + "}\n" * 5000)
    assert hclfast.loads("a = " + "[" * 20 + "]" * 20) == reference("a = " + "[" * 20 + "]" * 20)


_TOKENS = [
    '"', "{", "}", "[", "]", "(", ")", ",", "=", ":", "?", ".", "*", "-", "+", "!", "\n",
    " ", "#", "//", "/*", "*/", "${", "$${", "%{", "\\", "\\n", "\\u00e9", "<<EOF\n",
    "\nEOF\n", "<<-EOF\n", "...", "=>", "for", "in", "if", "true", "null", "0", "1.5", "-1",
    "1e3", ".0", "[*]", ".*", "x", "&&", "||", "==", "<", "%", "/", "\t", "\r", "::", "é",
]  # fmt: skip


def _mutants(count: int, seed: int) -> list[str]:
    """Real top-level blocks (one or two) with zero to two random edits each."""
    blocks = []
    for path in tf_files():
        text = path.read_text(encoding="utf-8")
        starts = [m.start() for m in re.finditer(r"^[a-z]", text, re.M)] + [len(text)]
        blocks.extend(text[a:b] for a, b in itertools.pairwise(starts))
    rng = random.Random(seed)
    mutants = []
    for _ in range(count):
        start = rng.randrange(len(blocks))
        text = "".join(blocks[start : start + rng.randint(1, 2)])
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            i = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.3:
                text = text[:i] + text[i + rng.randint(1, 4) :]
            elif roll < 0.7:
                text = text[:i] + rng.choice(_TOKENS) + text[i:]
            elif roll < 0.85 and text:
                j = rng.randrange(len(text))
                text = text[:i] + text[j : j + rng.randint(1, 40)] + text[i:]
            else:
                text = text[:i] + rng.choice(_TOKENS) + text[i + 1 :]
        mutants.append(text)
    return mutants


def test_mutants_of_real_files_read_the_same_or_give_up() -> None:
    started = time.monotonic()
    same = gave_up = 0
    for text in _mutants(2500, seed=20261130):
        got = fast(text)  # any exception other than Unsupported fails the test
        if got == UNSUPPORTED:
            gave_up += 1
            continue
        assert got == reference(text), repr(text)
        same += 1
    assert same > 1000 and gave_up > 500  # both paths really exercised
    assert time.monotonic() - started < 60


def test_read_hcl_falls_back_to_python_hcl2_with_its_answer_and_its_errors() -> None:
    directive = 'a = "%{ if x }yes%{ endif }"\nb = 1\n'
    before = hclfast.ReadStats.fallbacks
    assert hclfast.read_hcl(directive) == reference(directive)
    assert hclfast.ReadStats.fallbacks == before + 1
    with pytest.raises(Exception) as raised:
        hclfast.read_hcl("a = [1 2]\n")
    assert type(raised.value).__module__.startswith("lark")  # python-hcl2's own error


def test_bad_hcl_is_still_reported_with_python_hcl2s_line(tmp_path: Path) -> None:
    from seawall.inventory.sources.terraform import read_hcl_text

    path = tmp_path / "main.tf"
    objects, warnings = read_hcl_text('resource "a" "b" {\n  x = 1\n  y = [1 2]\n}\n', path)
    assert objects == []
    assert warnings == [
        f"{path}:3: HCL parse error (unexpected INT_LITERAL at column 10), file skipped"
    ]


def test_a_corpus_run_never_loads_python_hcl2(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from seawall.hardening.engine import builtin_rules\n"
        "from seawall.hardening.scan import harden\n"
        "builtin_rules()\n"
        f"result = harden([Path({str(TERRAGOAT)!r})])\n"
        "print('lark' in sys.modules, 'hcl2' in sys.modules)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "False"]


def test_string_chars_matches_python_hcl2s_terminal_everywhere() -> None:
    grammar = (Path(hcl2.__file__).parent / "hcl2.lark").read_text(encoding="utf-8")
    line = next(x for x in grammar.splitlines() if x.startswith("STRING_CHARS"))
    theirs = re.compile(line.split(":", 1)[1].strip()[1:-1])
    rng = random.Random(7)
    alphabet = '$%{}"\\\nab é'
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        for i in range(len(text) + 1):
            ours_match = hclfast._STRING_CHARS.match(text, i)
            their_match = theirs.match(text, i)
            assert (ours_match and ours_match.end()) == (their_match and their_match.end())


class _RandomHcl:
    """Random HCL documents built from the expression grammar: every operator, call,
    splat, for expression, heredoc and literal form, with odd spacing, comments and
    newlines in between (many of them invalid on purpose)."""

    NAMES = ("a", "var", "x-y", "each", "count", "_z", "true", "null", "for_each", "in")

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def ws(self) -> str:
        roll = self.rng.random()
        if roll < 0.7:
            return ""
        if roll < 0.9:
            return " "
        return self.rng.choice(("\n  ", " # c\n", " /* c */ ", "\t", "\n\n", " // c\n", "\r\n"))

    def string(self, depth: int) -> str:
        parts = []
        for _ in range(self.rng.randint(0, 3)):
            roll = self.rng.random()
            if roll < 0.4:
                parts.append(
                    self.rng.choice(
                        ("abc", "x y", "\\n", '\\"', "\\\\", "\\u00e9", "é", "$", "%", "$${x}")
                    )
                )
            elif roll < 0.8 and depth < 8:
                parts.append("${" + self.ws() + self.expression(depth + 1) + self.ws() + "}")
            elif self.rng.random() < 0.2:
                parts.append(self.rng.choice(("%{ if a }b%{ endif }", "\n", "${", "%%{y}")))
        return '"' + "".join(parts) + '"'

    def term(self, depth: int) -> str:
        rng, ws = self.rng, self.ws
        roll = rng.random()
        if depth > 4 or roll < 0.25:
            literals = ("1.5", "0.0", "1e3", "-1", "-0", "007", "2.50", "-3.5", "12")
            return rng.choice((rng.choice(self.NAMES), rng.choice(literals), self.string(9)))
        if roll < 0.35:
            return self.string(depth)
        if roll < 0.45:
            return "(" + ws() + self.expression(depth + 1) + ws() + ")"
        if roll < 0.55:
            name = rng.choice(("f", "upper", "provider::aws::fn", "true"))
            args = [self.expression(depth + 1) for _ in range(rng.randint(0, 3))]
            tail = rng.choice(("", ",", "...", " ...")) if args else ""
            return name + "(" + ws() + ("," + ws()).join(args) + tail + ws() + ")"
        if roll < 0.62:
            items = [self.expression(depth + 1) for _ in range(rng.randint(0, 3))]
            return "[" + ws() + ("," + ws()).join(items) + rng.choice(("", ",")) + ws() + "]"
        if roll < 0.7:
            elements = []
            for _ in range(rng.randint(0, 3)):
                key = rng.choice(
                    (rng.choice(self.NAMES), self.string(9), "(a.b)", "3", "a.b", "-1", "1.5")
                )
                separator = rng.choice((" = ", ":", "=", " : "))
                elements.append(key + ws() + separator + ws() + self.expression(depth + 1))
            joiner = rng.choice((", ", "\n", ",\n", " "))
            return "{" + ws() + joiner.join(elements) + rng.choice(("", ",", "\n")) + ws() + "}"
        if roll < 0.76:
            condition = rng.choice(("", " if " + self.expression(depth + 1)))
            names = rng.choice(("x", "k, v", "k,v"))
            collection, value = self.expression(depth + 1), self.expression(depth + 1)
            return f"[{ws()}for {names} in {collection}{ws()}:{ws()}{value}{condition}{ws()}]"
        if roll < 0.82:
            condition = rng.choice(("", " if " + self.expression(depth + 1)))
            collection, key = self.expression(depth + 1), self.expression(depth + 1)
            value, dots = self.expression(depth + 1), rng.choice(("", "...", " ..."))
            return f"{{for k, v in {collection} : {key}{ws()}=>{ws()}{value}{dots}{condition}}}"
        if roll < 0.88:
            return rng.choice(
                (
                    '<<EOF\n  a "q" \\ ${x}\nEOF\n',
                    "<<-EOT\n    a\n      b\n    EOT\n",
                    "<<EOF\nEOF\n",
                )
            )
        suffixes = (".a", ".0", "[0]", ".*", "[*]", ".*.b", "[*].c", " .b", ".true", ".01", "[x]")
        return self.term(depth + 1) + "".join(
            rng.choice(suffixes) for _ in range(rng.randint(1, 3))
        )

    def operand(self, depth: int) -> str:
        if self.rng.random() < 0.05:
            return self.rng.choice(("-", "!", "- ", "! ")) + self.term(depth)
        return self.term(depth)

    def expression(self, depth: int = 0) -> str:
        rng = self.rng
        text = self.operand(depth)
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            operator = rng.choice(("+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", "&&", "||"))
            text += rng.choice(("", " ", "\n")) + operator + rng.choice(("", " ", "\n "))
            text += self.operand(depth + 1)
        if rng.random() < 0.1:
            text += self.ws() + "?" + self.ws() + self.expression(depth + 1)
            text += self.ws() + ":" + self.ws() + self.expression(depth + 1)
        return text

    def document(self) -> str:
        rng = self.rng
        statements = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.6:
                name = rng.choice((*self.NAMES, "b", "c"))
                statements.append(name + rng.choice((" = ", "=", " =")) + self.expression())
            else:
                header = rng.choice(('resource "t" "n"', "block", 'b x "y"', "locals"))
                body = rng.choice(("", "z = " + self.expression() + "\n"))
                statements.append(header + rng.choice((" {", "{")) + "\n" + body + "}")
        return rng.choice(("\n", "\n\n", "\n# c\n")).join(statements) + rng.choice(("", "\n"))


def test_random_expressions_read_the_same_or_give_up() -> None:
    generator = _RandomHcl(seed=5)
    same = gave_up = 0
    for _ in range(3000):
        text = generator.document()
        got = fast(text)
        if got == UNSUPPORTED:
            gave_up += 1
            continue
        assert got == reference(text), repr(text)
        same += 1
    assert same > 300 and gave_up > 300
