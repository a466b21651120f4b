"""The Dockerfile parser keeps file:line through continuations, heredocs and stages,
and the Dockerfile rules report what a reviewer would flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.errors import InputError
from seawall.hardening.dockerfile import parse_dockerfile
from seawall.hardening.engine import Context, builtin_rules, evaluate
from seawall.hardening.scan import collect

DOCKERFILE = """\
# syntax=docker/dockerfile:1
# escape=\\
ARG BASE=python:3.12-slim
FROM golang AS build
RUN apt-get update && \\
    # a comment inside the continuation
    apt-get install -y curl && \\
    curl -fsSL https://get.example.com/install.sh | sh
RUN <<EOF
set -e
wget -qO- https://example.com/x.sh | bash
EOF
FROM ${BASE}
ENV API_TOKEN=abc123 LOG_LEVEL=info
ARG DB_PASSWORD
ADD https://example.com/app.tar.gz /app/
COPY --from=build ["/out/app", "/usr/local/bin/app"]
USER 0
CMD ["app"]
"""


def rules_hit(tmp_path: Path, text: str) -> dict[str, list[int | None]]:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    targets = collect([path]).targets
    out: dict[str, list[int | None]] = {}
    rules = [r for r in builtin_rules().values() if r.id.startswith("docker-")]
    for r, _t, v in evaluate(targets, rules, Context()):
        out.setdefault(r.id, []).append(v.line)
    return out


def test_parser_lines_continuations_heredocs_json_and_stages() -> None:
    parsed = parse_dockerfile(DOCKERFILE, "Dockerfile")
    cmds = [(i.cmd, i.line) for i in parsed.instructions]
    assert cmds[:4] == [("ARG", 3), ("FROM", 4), ("RUN", 5), ("RUN", 9)]
    run = parsed.instructions[2]
    assert "comment" not in run.args and run.args.endswith("| sh")
    assert parsed.instructions[3].heredocs[0][1].startswith("set -e")
    copy = next(i for i in parsed.instructions if i.cmd == "COPY")
    assert copy.flags == {"from": "build"} and copy.json_args == ["/out/app", "/usr/local/bin/app"]
    assert [(s.name, s.resolved_image) for s in parsed.stages] == [
        ("build", "golang"),
        (None, "python:3.12-slim"),
    ]


def test_dockerfile_rules_with_lines(tmp_path: Path) -> None:
    got = rules_hit(tmp_path, DOCKERFILE)
    assert got["docker-root-user"] == [18]
    assert got["docker-latest-tag"] == [4]  # golang has no tag; ${BASE} resolves to a tag
    assert got["docker-add-url"] == [16]
    assert got["docker-secrets-in-env"] == [14, 15]
    assert got["docker-curl-pipe-shell"] == [5, 9]
    assert got["docker-no-healthcheck"] == [13]


def test_hardened_dockerfile_passes(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12-slim@sha256:" + "a" * 64 + "\n"
        "COPY app /app\nUSER 10001:10001\n"
        'HEALTHCHECK CMD ["/app/health"]\nCMD ["/app/run"]\n'
    )
    assert rules_hit(tmp_path, text) == {}


def test_stage_reference_and_scratch_are_not_latest(tmp_path: Path) -> None:
    text = "FROM golang:1.22 AS b\nFROM b AS c\nFROM scratch\nUSER 1000\nHEALTHCHECK NONE\n"
    got = rules_hit(tmp_path, text)
    assert "docker-latest-tag" not in got
    assert got["docker-no-healthcheck"] == [3]


def test_not_a_dockerfile_line_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"Dockerfile:2: not a Dockerfile instruction"):
        parse_dockerfile("FROM alpine:3\n!!! nonsense\n", "Dockerfile")
    with pytest.raises(InputError) as caught:
        parse_dockerfile("FROM alpine:3\nGITHUB_TOKEN=ghp_0123456789abcdef\n", "Dockerfile")
    assert "ghp_" not in str(caught.value)


def test_dockerfile_names_recognised() -> None:
    from seawall.hardening import dockerfile, scan

    assert scan._DOCKERFILE_NAME.pattern == dockerfile.DOCKERFILE_NAMES.pattern
    for name in ("Dockerfile", "Dockerfile.debug", "Containerfile", "api.Dockerfile"):
        assert scan.classify(Path(name)) == "dockerfile"
    assert scan.classify(Path("README.md")) is None


def test_read_dockerfile_is_bounded_and_refuses_links(tmp_path: Path) -> None:
    from seawall.hardening.dockerfile import MAX_DOCKERFILE_BYTES, read_dockerfile

    big = tmp_path / "Dockerfile"
    big.write_bytes(b"FROM alpine:3.19\n" + b"#" * MAX_DOCKERFILE_BYTES)
    with pytest.raises(InputError, match=f"more than the {MAX_DOCKERFILE_BYTES} allowed"):
        read_dockerfile(big)
    link = tmp_path / "Dockerfile.link"
    link.symlink_to(big)
    with pytest.raises(InputError, match="refusing to follow a symbolic link"):
        read_dockerfile(link)
    small = tmp_path / "Dockerfile.ok"
    small.write_bytes(b"\xef\xbb\xbfFROM alpine:3.19\nUSER app\n")  # a BOM, as editors write
    assert [i.cmd for i in read_dockerfile(small).instructions] == ["FROM", "USER"]
