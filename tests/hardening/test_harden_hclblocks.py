"""Only the resource blocks seawall checks are handed to the HCL parser, with line numbers
unchanged; a parse error in such a block is named, counted and skipped."""

from __future__ import annotations

from pathlib import Path

from seawall.hardening.hclblocks import relevant_text
from seawall.hardening.scan import harden

TF = """\
variable "x" { default = "}" }
resource "aws_iam_role" "r" {
  assume_role_policy = <<EOF
{"Statement": [{"Effect": "Allow"}]}
EOF
}
resource "aws_ecr_repository" "repo" {
  name = "${join("-", ["a", "}"])}" # brace in a string and a comment }
  /* block comment { */
  image_tag_mutability = "MUTABLE"
}
"""


def test_blocks_kept_with_original_line_numbers() -> None:
    kept = relevant_text(TF, frozenset({"aws_ecr_repository"}))
    assert kept is not None
    lines = kept.splitlines()
    assert len(lines) == len(TF.splitlines())
    assert lines[6].startswith('resource "aws_ecr_repository" "repo"')
    assert lines[10] == "}"
    assert "aws_iam_role" not in kept
    assert relevant_text(TF, frozenset({"aws_eks_cluster"})) is None


def test_findings_keep_lines_and_bad_hcl_is_reported(tmp_path: Path) -> None:
    (tmp_path / "ecr.tf").write_text(TF)
    (tmp_path / "broken.tf").write_text('resource "aws_eks_cluster" "c" {\n  name = \n}\n')
    report = harden([tmp_path])
    ecr = [f for f in report.findings if f.rule == "aws-ecr-tag-immutability"]
    assert [f.location.line for f in ecr if f.location] == [7]
    assert report.stats.skipped == 1
    assert any("broken.tf" in w and "HCL parse error" in w for w in report.warnings)


def test_bad_hcl_outside_checked_resources_is_reported(tmp_path: Path) -> None:
    """A .tf file with no resource seawall checks, or with its error outside the checked
    blocks, is still parsed for syntax: named (file:line), counted, skipped."""
    (tmp_path / "vars.tf").write_text('variable "x" {\n  default = \n}\n')
    (tmp_path / "truncated.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n')
    (tmp_path / "mixed.tf").write_text(
        TF + 'output "o" {\n  value = \n}\n'  # error after a checked ECR repository
    )
    (tmp_path / "ok.tf").write_text(TF)
    report = harden([tmp_path])
    warned = sorted(w.split(": HCL parse error")[0] for w in report.warnings)
    assert warned == [
        f"{tmp_path}/mixed.tf:13",
        f"{tmp_path}/truncated.tf:3",
        f"{tmp_path}/vars.tf:2",
    ]
    assert report.stats.skipped == 3
    # mixed.tf is skipped as a whole; ok.tf is still checked
    ecr = {f.location.path for f in report.findings if f.rule == "aws-ecr-tag-immutability"}
    assert ecr == {str(tmp_path / "ok.tf")}


def test_hcl_parse_errors_never_quote_the_offending_text(tmp_path: Path) -> None:
    (tmp_path / "vars.tf").write_text('variable "v" {\n  default = @hunter2hunter2\n}\n')
    (tmp_path / "ecr.tf").write_text(
        'resource "aws_ecr_repository" "r" {\n  token = @s3cr3tt0ken\n}\n'
    )
    report = harden([tmp_path])
    assert len(report.warnings) == 2
    assert all("HCL parse error (unexpected" in w for w in report.warnings)
    assert not any("hunter2" in w or "s3cr3t" in w for w in report.warnings)
