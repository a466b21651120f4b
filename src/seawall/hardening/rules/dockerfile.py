"""Dockerfile rules over the parsed instructions (see seawall.hardening.dockerfile)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from seawall.hardening.engine import DOCKERFILE, Context, Target, Violation, rule
from seawall.hardening.rules.workload import SECRET_NAME, split_image
from seawall.model import Layer, Severity

APP = Layer.APPLICATION
NSA_IMAGES = "Kubernetes Pod security: Building secure container images"
_PIPE_TO_SHELL = re.compile(
    r"\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(-\S+\s+)*(ba|z|da|k)?sh\b|"
    r"\b(ba|z|da)?sh\s+-c\s+[\"']?\$\((curl|wget)\b|"
    r"\b(ba|z|da)?sh\s+<\(\s*(curl|wget)\b"
)


def _instructions(target: Target) -> list[dict[str, Any]]:
    items = target.obj.get("instructions")
    return items if isinstance(items, list) else []


def _final_stage(target: Target) -> int:
    stages = target.obj.get("stages") or []
    return len(stages) - 1 if stages else 0


def _user_is_root(args: str) -> bool:
    user = args.strip().split(":", 1)[0]
    return user in ("root", "0", "")


@rule(
    "docker-root-user",
    "Image runs as root (no USER, or the last USER is root)",
    Severity.HIGH,
    [DOCKERFILE],
    layer=APP,
    remediation="Add `USER <non-root uid>` to the final stage.",
    checkov=["CKV_DOCKER_3", "CKV_DOCKER_8"],
    nsa_cisa=NSA_IMAGES,
)
def root_user(target: Target, ctx: Context) -> Iterator[Violation]:
    final = _final_stage(target)
    users = [i for i in _instructions(target) if i["cmd"] == "USER" and i["stage"] == final]
    if not users:
        stages = target.obj.get("stages") or []
        line = stages[final]["line"] if stages else None
        yield Violation("USER", "final stage sets no USER: runs as root", line)
    elif _user_is_root(users[-1]["args"]):
        yield Violation("USER", f"USER {users[-1]['args']}", users[-1]["line"])


@rule(
    "docker-latest-tag",
    "Base image uses the latest tag or no tag",
    Severity.MEDIUM,
    [DOCKERFILE],
    layer=APP,
    remediation="Pin FROM to a version tag and digest (image:1.2@sha256:...).",
    checkov="CKV_DOCKER_7",
    nsa_cisa=NSA_IMAGES,
)
def latest_tag(target: Target, ctx: Context) -> Iterator[Violation]:
    for stage in target.obj.get("stages") or []:
        image = stage["resolved_image"]
        if stage["from_stage"] or image.lower() == "scratch" or not image:
            continue
        _reg, _repo, tag, digest = split_image(image)
        if digest is None and (tag is None or tag == "latest"):
            yield Violation("FROM", f"FROM {stage['image']}", stage["line"])


@rule(
    "docker-add-url",
    "ADD downloads from a URL",
    Severity.MEDIUM,
    [DOCKERFILE],
    layer=APP,
    remediation="Download with a checksum-verified RUN step, or use ADD --checksum=sha256:...",
    nsa_cisa=NSA_IMAGES,
)
def add_url(target: Target, ctx: Context) -> Iterator[Violation]:
    for ins in _instructions(target):
        if ins["cmd"] != "ADD" or "checksum" in ins["flags"]:
            continue
        sources = ins["json"][:-1] if ins["json"] else ins["args"].split()[:-1]
        for src in sources:
            if re.match(r"(?i)^(https?|ftp)://", src):
                yield Violation("ADD", f"ADD {src}", ins["line"])


@rule(
    "docker-secrets-in-env",
    "Secret baked into the image by ENV or ARG",
    Severity.HIGH,
    [DOCKERFILE],
    layer=APP,
    remediation="Use BuildKit secret mounts (RUN --mount=type=secret) instead of ENV/ARG.",
    nsa_cisa=NSA_IMAGES,
)
def secrets_in_env(target: Target, ctx: Context) -> Iterator[Violation]:
    from seawall.hardening.dockerfile import _kv_pairs

    for ins in _instructions(target):
        if ins["cmd"] not in ("ENV", "ARG"):
            continue
        for key, value in _kv_pairs(ins["args"]).items():
            # ARG values end up in the image history even when passed at build time.
            if SECRET_NAME.search(key) and (value or ins["cmd"] == "ARG"):
                yield Violation(ins["cmd"], f"{ins['cmd']} {key}", ins["line"])


@rule(
    "docker-no-healthcheck",
    "Image defines no HEALTHCHECK",
    Severity.LOW,
    [DOCKERFILE],
    layer=APP,
    remediation="Add a HEALTHCHECK to the final stage (or a probe in the orchestrator).",
    checkov="CKV_DOCKER_2",
)
def no_healthcheck(target: Target, ctx: Context) -> Iterator[Violation]:
    final = _final_stage(target)
    checks = [i for i in _instructions(target) if i["cmd"] == "HEALTHCHECK" and i["stage"] == final]
    if not checks or checks[-1]["args"].strip().upper() == "NONE":
        stages = target.obj.get("stages") or []
        yield Violation("HEALTHCHECK", "no HEALTHCHECK", stages[final]["line"] if stages else None)


@rule(
    "docker-curl-pipe-shell",
    "RUN pipes a download straight into a shell",
    Severity.HIGH,
    [DOCKERFILE],
    layer=APP,
    remediation="Download, verify a checksum or signature, then execute.",
    nsa_cisa=NSA_IMAGES,
)
def curl_pipe_shell(target: Target, ctx: Context) -> Iterator[Violation]:
    for ins in _instructions(target):
        if ins["cmd"] != "RUN":
            continue
        texts = [" ".join(ins["json"]) if ins["json"] else ins["args"]]
        texts += [h["body"] for h in ins["heredocs"]]
        for text in texts:
            match = _PIPE_TO_SHELL.search(text)
            if match:
                yield Violation("RUN", match.group(0)[:120], ins["line"])
                break
