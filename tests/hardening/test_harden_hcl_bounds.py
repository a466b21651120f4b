"""Hostile Terraform that used to make HCL reading quadratic: many small resource blocks
(each resource's line was searched over every line of the file) and a heredoc over a long
run of blank lines (python-hcl2's heredoc pattern, which the fast
reader copies, backtracks over the run after every newline). Both now finish promptly,
with the same findings and lines; the heredoc file is named and skipped, the rest checked.
Also the bound on files taken from one directory tree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from seawall_testlib import run_seawall

from seawall.inventory.sources.hclfast import blank_run_hazard
from seawall.inventory.sources.terraform_hcl import _ResourceLines, read_hcl_text

ECR = 'resource "aws_ecr_repository" "r{i}" {{\n  image_tag_mutability = "MUTABLE"\n}}\n'


def test_every_one_of_20000_resources_gets_its_own_line(tmp_path: Path) -> None:
    # the old per-resource scan took ~4 minutes on this file (20,000 x 60,000 regex matches)
    path = tmp_path / "many.tf"
    path.write_text("".join(ECR.format(i=i) for i in range(20_000)))
    done = run_seawall("harden", str(path), "--format", "json", timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert report["summary"]["objects"] == 20_000
    lines = {
        f["asset"]: f["location"]["line"]
        for f in report["findings"]
        if f["location"]["field"] == "image_tag_mutability"
    }
    assert len(lines) == 20_000
    for asset, line in lines.items():
        index = int(re.search(r"\.r(\d+)", asset).group(1))  # type: ignore[union-attr]
        assert line == 3 * index + 1


def _old_line(text: str, kind: str, name: str) -> int | None:
    """What seawall did before: the first line matching the per-resource pattern."""
    pattern = re.compile(rf'^\s*resource\s+"?{re.escape(kind)}"?\s+"?{re.escape(name)}"?\s*\{{')
    return next((i for i, t in enumerate(text.splitlines(), 1) if pattern.match(t)), None)


LINES_TF = """\
# resource "aws_ecr_repository" "c" {  (a comment: not a resource line)
resource aws_ecr_repository bare {
}
  resource "aws_ecr_repository" "a b"{
}
resource "aws_ecr_repository" "dup" {
}
resource\t"aws_ecr_repository"\t"tab" {
}
resource "aws_ecr_repository" "dup" {
}
resource "aws_ecr_repository" "q\\"x" {
}
"""


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("aws_ecr_repository", "bare"),
        ("aws_ecr_repository", "a b"),
        ("aws_ecr_repository", "dup"),
        ("aws_ecr_repository", "tab"),
        ("aws_ecr_repository", 'q\\"x'),
        ("aws_ecr_repository", "c"),
        ("aws_ecr_repository", "missing"),
    ],
)
def test_resource_lines_equal_the_per_line_search(kind: str, name: str) -> None:
    assert _ResourceLines(LINES_TF).find(kind, name) == _old_line(LINES_TF, kind, name)


def test_unterminated_heredoc_over_blank_lines_is_named_and_skipped(tmp_path: Path) -> None:
    # python-hcl2 alone took ~10 s on 40,000 blank lines, ~4x that per doubling
    bad = tmp_path / "bad.tf"
    bad.write_text('resource "aws_ecr_repository" "x" {\n  p = <<EOF\n' + "\n" * 200_000)
    good = tmp_path / "good.tf"
    good.write_text(ECR.format(i=1))
    done = run_seawall("harden", str(tmp_path), "--format", "json", timeout=120)
    report = json.loads(done.stdout)
    assert report["summary"]["skipped"] == 1
    assert {f["asset"].rsplit("/", 1)[-1] for f in report["findings"]} == {"aws_ecr_repository.r1"}
    warning = next(w for w in report["warnings"] if "bad.tf" in w)
    assert warning.startswith(
        f"{bad}:3: HCL file skipped: 200000 consecutive blank lines inside a heredoc"
    )
    assert "bad.tf:3: HCL file skipped" in done.stderr.decode()
    objects, warnings = read_hcl_text(bad.read_text(), bad)  # the inventory reader too
    assert objects == [] and warnings == [warning]


def test_ordinary_blank_lines_and_heredocs_are_not_refused() -> None:
    text = "x = <<EOF\nhello\n" + "\n" * 30 + "EOF\n" + ("\n" * 3 + "y = 1\n") * 10_000
    assert blank_run_hazard(text) is None
    assert blank_run_hazard("\n" * 1_000_000) is None  # no heredoc, no backtracking
    # outside a heredoc body blank lines cost nothing, however many
    assert blank_run_hazard("a = <<EOF\nx\nEOF\n" + "\n" * 100_000 + "b = <<-EOT\ny\nEOT\n") is None
    # a run right before the terminator: it matches at once
    assert blank_run_hazard("a = <<EOF\n" + "\n" * 100_000 + "  EOF\n") is None


def test_blank_lines_inside_a_terminated_heredoc_before_more_text_are_refused() -> None:
    # python-hcl2 takes ~0.3 s on 8,000 such lines, ~4x that per doubling
    assert blank_run_hazard("a = <<EOF\n" + "\n" * 8_000 + "y\nEOF\n") == (2, 8_000)
    # a line holding another name, or the name plus more, does not end the body
    assert blank_run_hazard("a = <<EOF\n" + "\n" * 8_000 + "EOFX\nEO\n") == (2, 8_000)


def test_many_blocks_before_a_checked_heredoc_are_read(tmp_path: Path) -> None:
    # harden hands the checked blocks to the reader with every other line blanked: the
    # 6,000 blank lines this leaves before the task definition are outside its heredoc
    path = tmp_path / "main.tf"
    path.write_text(
        "".join(f'variable "v{i}" {{\n  default = "x"\n}}\n' for i in range(2000))
        + 'resource "aws_ecs_task_definition" "t" {\n  family = "f"\n'
        + "  container_definitions = <<EOF\n"
        + '[{"name": "a", "image": "i", "privileged": true}]\nEOF\n}\n'
    )
    done = run_seawall("harden", str(path), "--format", "json")
    report = json.loads(done.stdout)
    assert report["warnings"] == [] and report["summary"]["skipped"] == 0
    assert [f["location"]["line"] for f in report["findings"]] == [6001]


def test_a_directory_with_more_files_than_the_bound_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from seawall.errors import InputError
    from seawall.hardening import scan

    for d in range(3):
        (tmp_path / f"d{d}").mkdir()
        for i in range(4):
            (tmp_path / f"d{d}" / f"f{i}.yaml").write_text("a: 1\n")
    monkeypatch.setattr(scan, "MAX_FILES", 12)
    assert len(list(scan._walk(tmp_path))) == 12
    monkeypatch.setattr(scan, "MAX_FILES", 5)
    with pytest.raises(InputError, match=rf"^{tmp_path}: more than 5 files to read$"):
        list(scan._walk(tmp_path))
