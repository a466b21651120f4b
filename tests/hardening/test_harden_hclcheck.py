"""The fast HCL syntax check (hclcheck.py) never lets through a file python-hcl2 rejects:
it accepts every real .tf file we hold, says "unsure" for broken ones (so the Lark parser
reports them, with its line), and never accepts a mutated file that Lark rejects."""

from __future__ import annotations

import random
from pathlib import Path

import hcl2
import pytest
from seawall_testlib import DATA, SHARED_DATA

from seawall.hardening.hclcheck import plausible_hcl
from seawall.hardening.scan import harden

TF_FILES = sorted(
    p for root in (SHARED_DATA / "corpora", DATA) if root.is_dir() for p in root.rglob("*.tf")
)


def _lark_accepts(text: str) -> bool:
    try:
        hcl2.parses_to_tree(text)
    except Exception:
        return False
    return True


def test_every_real_tf_file_is_accepted_without_the_parser() -> None:
    assert len(TF_FILES) >= 20
    unsure = [str(p) for p in TF_FILES if not plausible_hcl(p.read_text())]
    assert unsure == []


BROKEN = [
    'variable "x" {\n  default = \n}\n',
    'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n',
    'variable "v" {\n  default = @hunter2\n}\n',
    'locals {\n  a = "unterminated\n}\n',
    "locals {\n  a = <<EOF\nno end marker\n}\n",
    "locals {\n  a = f(1, 2\n}\n",
    "locals {\n  a = [1, 2\n}\n",
    "locals {\n  a = { b = 1\n}\n",
    'locals {\n  a = "${var.x"\n}\n',
    "locals {\n  a = 1 +\n}\n",
    "locals {\n  a = b ? c\n}\n",
    "locals {\n  a = 1\n}\n}\n",
    "locals {\n  a = x.\n}\n",
    "locals {\n  = 1\n}\n",
    "/* unterminated comment\nlocals {}\n",
]


@pytest.mark.parametrize("text", BROKEN)
def test_broken_hcl_is_left_to_the_parser(text: str) -> None:
    assert not _lark_accepts(text)
    assert not plausible_hcl(text)


def test_constructs_it_does_not_model_are_left_to_the_parser() -> None:
    for text in (
        "locals {\n  a = [for x in y : x]\n}\n",
        'locals {\n  a = "%{if b}c%{endif}"\n}\n',
        'locals {\n  a = "two\nlines"\n}\n',
        "locals {\n  a = 1 b = 2\n}\n",  # python-hcl2 takes two attributes on one line
    ):
        assert _lark_accepts(text)
        assert not plausible_hcl(text)


def test_mutated_real_files_are_never_wrongly_accepted() -> None:
    rng = random.Random(20261130)
    texts = [p.read_text() for p in TF_FILES if p.stat().st_size < 6000]
    pieces = [*'{}[]()"=:,.$%<>-+*/!?#\n \\~@;&|', "${", "%{", "<<EOF\n", "EOF\n", "//"]
    accepted = 0
    for _ in range(400):
        text = rng.choice(texts)
        for _ in range(rng.randrange(1, 3)):
            i = rng.randrange(len(text) + 1)
            if rng.random() < 0.5:
                text = text[:i] + text[i + rng.randrange(1, 4) :]
            else:
                text = text[:i] + rng.choice(pieces) + text[i:]
        if plausible_hcl(text):
            accepted += 1
            assert _lark_accepts(text), text
    assert accepted >= 40  # the check is exercised on near-valid files, not just junk


def test_error_line_still_comes_from_the_parser(tmp_path: Path) -> None:
    (tmp_path / "vars.tf").write_text(
        'variable "x" {\n  default = 1\n}\n\noutput "o" {\n  v = \n}\n'
    )
    report = harden([tmp_path])
    assert [w.split(": HCL parse error")[0] for w in report.warnings] == [f"{tmp_path}/vars.tf:6"]
