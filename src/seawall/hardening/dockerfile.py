"""A Dockerfile parser (BuildKit syntax) that keeps file:line for every instruction.

Handles parser directives (`# escape=`), line continuations (with comment lines inside them
dropped, as BuildKit does), heredocs (`RUN <<EOF ... EOF`, `<<-` strips tabs), JSON
(exec) form, ARG/ENV and multi-stage builds (`FROM ... AS name`, stages referenced by name).
Nothing is executed; variables are substituted only from ARG/ENV values in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seawall.errors import InputError

MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
DOCKERFILE_NAMES = re.compile(
    r"^(Dockerfile|Containerfile)([._-].*)?$|.*\.(dockerfile|Dockerfile)$"
)


@dataclass(slots=True)
class Instruction:
    """One instruction: command (upper-case), its raw arguments and where it is."""

    cmd: str
    args: str
    line: int
    end_line: int
    stage: int
    flags: dict[str, str] = field(default_factory=dict)
    json_args: list[str] | None = None
    heredocs: list[tuple[str, str]] = field(default_factory=list)  # (delimiter, body)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cmd": self.cmd,
            "args": self.args,
            "line": self.line,
            "end_line": self.end_line,
            "stage": self.stage,
            "flags": dict(self.flags),
            "json": self.json_args,
            "heredocs": [{"delimiter": d, "body": b} for d, b in self.heredocs],
        }


@dataclass(slots=True)
class Stage:
    index: int
    image: str  # as written
    resolved_image: str  # after ARG substitution
    name: str | None
    line: int
    from_stage: bool  # FROM refers to an earlier stage by name


@dataclass(slots=True)
class Dockerfile:
    path: str
    instructions: list[Instruction]
    stages: list[Stage]
    args: dict[str, str]  # global ARG defaults (before the first FROM)

    def to_object(self) -> dict[str, Any]:
        return {
            "instructions": [i.as_dict() for i in self.instructions],
            "stages": [
                {
                    "index": s.index,
                    "image": s.image,
                    "resolved_image": s.resolved_image,
                    "name": s.name,
                    "line": s.line,
                    "from_stage": s.from_stage,
                }
                for s in self.stages
            ],
            "args": dict(self.args),
        }


def is_dockerfile_name(name: str) -> bool:
    return bool(DOCKERFILE_NAMES.match(name))


def substitute(text: str, env: dict[str, str]) -> str:
    """Expand $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} from `env` (unknown -> '')."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = env.get(name, "")
        op, word = match.group(2), match.group(3) or ""
        if op == "-":
            return value or word
        if op == "+":
            return word if value else ""
        return value

    return _VAR.sub(repl, text)


def _split_flags(args: str) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    rest = args
    while rest.startswith("--"):
        token, _, remainder = rest.partition(" ")
        key, _, value = token[2:].partition("=")
        flags[key] = value
        rest = remainder.lstrip()
    return flags, rest


def _kv_pairs(args: str) -> dict[str, str]:
    """ENV/ARG/LABEL arguments: `k=v k2="v 2"` or the legacy `ENV key value` form."""
    out: dict[str, str] = {}
    if "=" not in args.split(" ", 1)[0]:
        key, _, value = args.partition(" ")
        if key:
            out[key] = value.strip()
        return out
    for match in re.finditer(r'([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|\'[^\']*\'|\S*))?', args):
        key, value = match.group(1), match.group(2)
        if value is None:
            out[key] = ""
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key] = value
    return out


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse Dockerfile text. Raises InputError on a line that is not an instruction."""
    lines = text.splitlines()
    escape = "\\"
    i = 0
    # Parser directives: only leading comment lines of the form `# key=value`.
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i].strip())
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
        i += 1
    instructions: list[Instruction] = []
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    env: dict[str, str] = {}
    stage = -1
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        start = i + 1
        parts: list[str] = []
        current = raw
        while True:
            body = current.rstrip()
            if body.endswith(escape) and i + 1 < len(lines):
                parts.append(body[:-1])
                i += 1
                # comment and empty lines inside a continuation are dropped
                while i < len(lines) and (lines[i].strip().startswith("#") or not lines[i].strip()):
                    i += 1
                if i >= len(lines):
                    break
                current = lines[i]
                continue
            parts.append(body)
            break
        logical = " ".join(p.strip() for p in parts).strip()
        i += 1
        cmd, _, args = logical.partition(" ")
        if not re.fullmatch(r"[A-Za-z]+", cmd):
            # the text is not quoted back: a stray `TOKEN=...` line may hold a secret
            raise InputError(f"{path}:{start}: not a Dockerfile instruction")
        cmd = cmd.upper()
        args = args.strip()
        heredocs: list[tuple[str, str]] = []
        if cmd in ("RUN", "COPY", "ADD"):
            for match in _HEREDOC.finditer(args):
                strip_tabs, delimiter = match.group(1) == "-", match.group(3)
                body_lines: list[str] = []
                while i < len(lines):
                    line = lines[i]
                    i += 1
                    candidate = line.lstrip("\t") if strip_tabs else line
                    if candidate.rstrip() == delimiter:
                        break
                    body_lines.append(candidate)
                heredocs.append((delimiter, "\n".join(body_lines)))
        flags: dict[str, str] = {}
        if cmd in ("RUN", "COPY", "ADD", "FROM", "HEALTHCHECK"):
            flags, args = _split_flags(args)
        json_args: list[str] | None = None
        if args.startswith("["):
            try:
                from seawall.inputs import load_json

                parsed = load_json(args)
            except ValueError:
                parsed = None
            if isinstance(parsed, list) and all(isinstance(a, str) for a in parsed):
                json_args = parsed
        if cmd == "FROM":
            stage += 1
            env = dict(global_args)
            words = args.split()
            image = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            resolved = substitute(image, global_args)
            known = {s.name.lower() for s in stages if s.name}
            stages.append(
                Stage(
                    index=stage,
                    image=image,
                    resolved_image=resolved,
                    name=name,
                    line=start,
                    from_stage=resolved.lower() in known,
                )
            )
        elif cmd == "ARG":
            for key, value in _kv_pairs(args).items():
                if stage < 0:
                    global_args[key] = value
                else:
                    env.setdefault(key, value or global_args.get(key, ""))
        elif cmd == "ENV":
            env.update(_kv_pairs(args))
        instructions.append(
            Instruction(
                cmd=cmd,
                args=args,
                line=start,
                end_line=i,
                stage=max(stage, 0),
                flags=flags,
                json_args=json_args,
                heredocs=heredocs,
            )
        )
    return Dockerfile(path=path, instructions=instructions, stages=stages, args=global_args)


def read_dockerfile(path: Path) -> Dockerfile:
    """Read and parse a Dockerfile (bounded size, no symlinks); InputError when unreadable."""
    from seawall.inputs import read_text

    return parse_dockerfile(read_text(path, MAX_DOCKERFILE_BYTES), str(path))
