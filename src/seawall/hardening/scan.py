"""Reading `seawall harden` targets (files, directories, inventory documents) into
normalised targets, running the rules and applying the organisation's policy."""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from seawall._gc import gc_paused
from seawall.errors import InputError
from seawall.hardening.engine import (
    DOCKERFILE,
    LATEST_PSS_VERSION,
    Context,
    Rule,
    Target,
    builtin_rules,
    builtin_rules_for,
    evaluate,
    to_finding,
)
from seawall.model import Finding, Location, SourceObject, Suppression

if TYPE_CHECKING:
    from seawall.hardening.policy import Policy

MAX_FILES = 50_000
MAX_INVENTORY_BYTES = 256 * 1024 * 1024
IGNORE_ANNOTATION = "seawall.dev/ignore"
_IGNORE_COMMENT = re.compile(r"^\s*#\s*seawall\.dev/ignore:\s*(.+)$")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Same as seawall.hardening.dockerfile.DOCKERFILE_NAMES (kept here: classify runs per file).
_DOCKERFILE_NAME = re.compile(
    r"^(Dockerfile|Containerfile)([._-].*)?$|.*\.(dockerfile|Dockerfile)$"
)
TERRAFORM_SUFFIXES = (".tf", ".tfstate")
# Kinds seawall knows (built-in API kinds); others are reported as unknown.
KNOWN_K8S_KINDS = frozenset(
    {
        "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
        "Job", "CronJob", "PodTemplate", "DeploymentConfig", "Role", "ClusterRole",
        "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Service", "Ingress",
        "IngressClass", "NetworkPolicy", "ConfigMap", "Secret", "Namespace",
        "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "LimitRange", "ResourceQuota", "Endpoints", "EndpointSlice",
        "CustomResourceDefinition", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "PriorityClass", "RuntimeClass", "Node", "Event",
        "Lease", "CSIDriver", "VolumeAttachment", "APIService", "PodSecurityPolicy",
        "Gateway", "HTTPRoute", "GatewayClass", "VerticalPodAutoscaler", "Rollout", "Route",
    }
)  # fmt: skip


@dataclass(slots=True)
class ScanStats:
    files: int = 0
    objects: int = 0
    targets: int = 0
    skipped: int = 0


@dataclass(slots=True)
class Collected:
    targets: list[Target] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: ScanStats = field(default_factory=ScanStats)
    sources: list[str] = field(default_factory=list)
    read: set[str] = field(default_factory=set)  # files this run read itself
    # the text of each Kubernetes YAML file read, for findings' exact lines (read once)
    texts: dict[str, str] = field(default_factory=dict)
    # targets given by the user that could not be used at all: {path, reason}
    errors: list[dict[str, str]] = field(default_factory=list)


def unusable_reason(path: Path) -> str | None:
    """Why a target given by the user cannot be read at all, or None when it can."""
    if path.is_symlink():
        return "refusing to follow a symbolic link"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or directory"
    except OSError as exc:
        return f"cannot read ({exc.strerror or type(exc).__name__})"
    if stat.S_ISDIR(mode):
        try:
            with os.scandir(path):
                pass
        except OSError as exc:
            return f"cannot read directory ({exc.strerror or type(exc).__name__})"
        return None
    if not stat.S_ISREG(mode):
        return "not a regular file or directory"
    try:  # open without following a link swapped in since the check, and without blocking
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"cannot read ({exc.strerror or type(exc).__name__})"
    os.close(fd)
    return None


def _walk(root: Path) -> Iterator[Path]:
    """Regular files under `root` in sorted(root.rglob("*")) order, skipping symbolic links
    and hidden names (.git/, .terraform/: not sources, and never descended into)."""
    found: list[tuple[tuple[str, ...], Path]] = []
    pending: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while pending:
        directory, parts = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except PermissionError:  # as rglob: an unreadable directory is left out
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir():
                    pending.append((directory / entry.name, (*parts, entry.name)))
                elif entry.is_file():
                    found.append(((*parts, entry.name), directory / entry.name))
            except OSError:
                continue
        if len(found) > MAX_FILES:  # checked per directory: a huge tree is not listed whole
            raise InputError(f"{root}: more than {MAX_FILES} files to read")
    found.sort(key=lambda item: item[0])
    for _parts, path in found:
        yield path


def classify(path: Path) -> str | None:
    """dockerfile | terraform | inventory | k8s | None (not a file seawall reads)."""
    name = path.name
    lower = name.lower()
    if _DOCKERFILE_NAME.match(name):
        return "dockerfile"
    if lower.endswith(TERRAFORM_SUFFIXES):
        return "terraform"
    if lower.endswith(".json"):
        try:
            with path.open("rb") as handle:
                head = handle.read(4096).decode("utf-8", "replace")
        except OSError:
            return "k8s"
        if '"seawall.inventory/v1"' in head:
            return "inventory"
        if re.search(r'"(format_version|terraform_version|lineage)"\s*:', head):
            return "terraform"
        return "k8s"
    if lower.endswith((".yaml", ".yml")):
        return "k8s"
    return None


_SNIFF_BYTES = 8192


def _sniff_kubernetes(path: Path) -> tuple[bool, bytes | None]:
    """(does it look like a manifest, the whole file when it is shorter than the sniffed
    head, so the reader need not open it again)."""
    from seawall.inventory.sources.kubernetes import sniff

    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return True, None  # let the reader name the problem
    return bool(sniff(path, head)), head if len(head) < _SNIFF_BYTES else None


def _root_name(path: Path) -> str:
    return path.name if path.is_dir() else path.stem


def _parse_ignores(text: str, source: str) -> dict[str, tuple[str, str]]:
    """`RULE-ID[, RULE-ID] -- reason` entries (one per line or `;`) -> rule -> (reason, where)."""
    out: dict[str, tuple[str, str]] = {}
    for entry in re.split(r"[\n;]", text):
        ids, sep, reason = entry.partition("--")
        for rule_id in re.split(r"[,\s]+", ids.strip()):
            if rule_id:
                out[rule_id] = (reason.strip() if sep else "", source)
    return out


def _dockerfile_targets(path: Path, collected: Collected) -> None:
    from seawall.hardening.dockerfile import read_dockerfile

    try:
        parsed = read_dockerfile(path)
    except InputError as exc:
        collected.warnings.append(f"{exc} (file skipped)")
        collected.stats.skipped += 1
        return
    if not parsed.stages:
        collected.warnings.append(f"{path}: Dockerfile has no FROM instruction (file skipped)")
        collected.stats.skipped += 1
        return
    annotations: dict[str, str] = {}
    text = path.read_text("utf-8", "replace")
    ignores = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _IGNORE_COMMENT.match(line)
        if match:
            ignores.append(match.group(1).strip())
            annotations[f"{IGNORE_ANNOTATION}@{number}"] = match.group(1).strip()
    if ignores:
        annotations[IGNORE_ANNOTATION] = "\n".join(ignores)
    collected.stats.objects += 1
    collected.targets.append(
        Target(
            kind=DOCKERFILE,
            asset=f"dockerfile:{path}",
            obj=parsed.to_object(),
            path=str(path),
            line=parsed.stages[0].line,
            source_kind="Dockerfile",
            source_format="dockerfile",
            name=path.name,
            annotations=annotations,
        )
    )


def _object_targets(
    objects: Iterable[SourceObject], collected: Collected, root: str | None
) -> None:
    for obj in objects:
        collected.stats.objects += 1
        if obj.format == "k8s" and obj.kind not in KNOWN_K8S_KINDS:
            collected.warnings.append(
                f"{obj.location.path}:{obj.location.line or 1}: unknown kind {obj.kind!r} "
                f"({obj.name}): no built-in rules, only custom rules apply"
            )
            collected.stats.skipped += 1
        asset_id = None
        if obj.format.startswith("terraform") and root is not None:
            body = obj.body if isinstance(obj.body, dict) else {}
            arn = body.get("arn")
            if isinstance(arn, str) and arn.startswith("arn:"):
                asset_id = arn
            else:
                asset_id = f"tf:{root}/{obj.address or obj.kind + '.' + obj.name}"
        _add_targets(obj, asset_id, collected)


MALFORMED = (TypeError, AttributeError, ValueError, KeyError, IndexError)


def _add_targets(obj: SourceObject, asset_id: str | None, collected: Collected) -> None:
    """Normalise one object; one with fields of the wrong type is named and skipped."""
    from seawall.hardening.normalize import targets_for

    try:
        collected.targets.extend(targets_for(obj, asset_id))
    except MALFORMED as exc:
        where = obj.location.path + (f":{obj.location.line}" if obj.location.line else "")
        collected.warnings.append(
            f"{where}: {obj.kind} {obj.name!r} is malformed ({type(exc).__name__}), skipped"
        )
        collected.stats.skipped += 1


def _inventory_targets(path: Path, collected: Collected) -> None:
    import msgspec

    try:
        if path.stat().st_size > MAX_INVENTORY_BYTES:
            raise InputError(f"{path}: inventory document larger than allowed")
        document = msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError) as exc:
        raise InputError(f"{path}: cannot read inventory document ({exc})") from None
    if not isinstance(document, dict) or document.get("schema") != "seawall.inventory/v1":
        raise InputError(f"{path}: not a seawall.inventory/v1 document")
    assets = document.get("assets")
    if not isinstance(assets, list):
        raise InputError(f"{path}: inventory document has no assets array")
    objects: list[SourceObject] = []
    for index, asset in enumerate(assets):
        props = asset.get("properties") if isinstance(asset, dict) else None
        if not isinstance(props, dict) or "raw" not in props:
            continue
        fmt, rtype = props.get("raw_format"), props.get("raw_type")
        if not isinstance(fmt, str) or not isinstance(rtype, str):
            collected.warnings.append(f"{path}: assets[{index}] raw record without format/type")
            collected.stats.skipped += 1
            continue
        raw = props["raw"]
        metadata = raw.get("metadata") if isinstance(raw, dict) else None
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        # The declaring file and line the inventory recorded (properties.location), else
        # the inventory document itself. Never opened: only named in findings.
        where = props.get("location")
        location = Location(path=str(path), line=None, field=f"assets[{index}]")
        if (
            isinstance(where, dict)
            and isinstance(where.get("path"), str)
            and isinstance(where.get("line"), int)
        ):
            location = Location(path=where["path"], line=where["line"], field=location.field)
        objects.append(
            SourceObject(
                format=fmt,
                kind=rtype,
                name=str(asset.get("name", "")),
                body=raw,
                location=location,
                namespace=namespace,
                address=str(asset.get("id", "")),
            )
        )
    for obj in objects:
        collected.stats.objects += 1
        _add_targets(obj, obj.address, collected)


@functools.lru_cache(maxsize=16)
def _terraform_kinds(extra: frozenset[str]) -> frozenset[str]:
    return terraform_kinds(extra)


def terraform_kinds(extra: Iterable[str] = ()) -> frozenset[str]:
    """Terraform resource types some rule looks at (built-in normalisers + custom kinds)."""
    from seawall.hardening.normalize.cloud import TERRAFORM
    from seawall.hardening.normalize.terraform_k8s import KINDS

    k8s = {k for base in KINDS for k in (base, base + "_v1")}
    return frozenset(TERRAFORM) | frozenset(k8s) | frozenset(extra)


def _read_hcl(path: Path, collected: Collected, root: str, kinds: frozenset[str]) -> None:
    """Parse only the resource blocks some rule checks (see hclblocks.py)."""
    from seawall.hardening.hclblocks import hcl_syntax_error, split_text
    from seawall.inputs import read_text
    from seawall.inventory.sources.terraform_hcl import read_hcl_text

    try:
        text = read_text(path)
    except InputError as exc:
        collected.warnings.append(f"{exc} (file skipped)")
        collected.stats.skipped += 1
        return
    kept, rest = split_text(text, kinds)
    if rest.strip():
        error = hcl_syntax_error(rest, path)
        if error is not None:  # the whole file is skipped, as when it is parsed at once
            collected.warnings.append(error)
            collected.stats.skipped += 1
            return
    if kept is None:
        return  # no resource seawall checks in this file
    objects, warnings = read_hcl_text(kept, path)
    collected.warnings.extend(warnings)
    collected.stats.skipped += len(warnings)
    _object_targets(objects, collected, root)


def _read_file(
    path: Path,
    kind: str,
    collected: Collected,
    root: str,
    custom_kinds: frozenset[str],
    content: bytes | None = None,
) -> None:
    collected.stats.files += 1
    collected.read.add(str(path))
    try:
        _read_kind(path, kind, collected, root, custom_kinds, content)
    except RecursionError:  # JSON/YAML/HCL nested deeper than any parser's stack
        collected.warnings.append(f"{path}: nested too deeply to read (file skipped)")
        collected.stats.skipped += 1


def _read_kind(
    path: Path,
    kind: str,
    collected: Collected,
    root: str,
    custom_kinds: frozenset[str],
    content: bytes | None = None,
) -> None:
    if kind == "dockerfile":
        _dockerfile_targets(path, collected)
        return
    if kind == "inventory":
        try:
            _inventory_targets(path, collected)
        except InputError as exc:  # one bad document does not stop the batch
            collected.warnings.append(f"{exc} (file skipped)")
            collected.stats.skipped += 1
        return
    if kind == "terraform" and path.name.endswith(".tf"):
        # A Terraform root module is a directory: ids as `seawall inventory` makes them.
        _read_hcl(path, collected, path.parent.name, _terraform_kinds(custom_kinds))
        return
    if kind == "terraform":
        root = path.stem
    try:
        if kind == "terraform":
            from seawall.inventory.sources.terraform import read_resources

            objects, warnings = read_resources(path)
        else:
            from seawall.inputs import decode_text, read_text
            from seawall.inventory.sources.kubernetes import read_text_objects

            # what read_objects(path) reads for a file (a short one was read when sniffed)
            text = decode_text(path, content) if content is not None else read_text(path)
            if path.name.lower().endswith((".yaml", ".yml")):
                collected.texts[str(path)] = text
            objects, warnings = read_text_objects(text, path)
    except InputError as exc:
        collected.warnings.append(f"{exc} (file skipped)")
        collected.stats.skipped += 1
        return
    collected.warnings.extend(warnings)
    collected.stats.skipped += len(warnings)
    _object_targets(objects, collected, root)


def collect(
    paths: Iterable[Path],
    extra_kinds: Iterable[str] = (),
    on_file: Callable[[Path], None] | None = None,
) -> Collected:
    """Targets from every path; unreadable parts become warnings (named, counted, skipped).

    A path given by the user that does not exist, is a symbolic link or cannot be read is
    recorded in `errors` ({path, reason}) and the batch goes on with the other paths.
    `on_file` is called after each file is read (progress display).
    """
    with gc_paused(keep=True):  # parsed documents and targets: many small, acyclic, kept
        return _collect(paths, extra_kinds, on_file)


def _collect(
    paths: Iterable[Path],
    extra_kinds: Iterable[str],
    on_file: Callable[[Path], None] | None,
) -> Collected:
    collected = Collected()
    # custom kinds only: the built-in Terraform kinds (normalize.cloud) when a .tf is read
    custom_kinds = frozenset(extra_kinds)
    for path in paths:
        reason = unusable_reason(path)
        if reason is not None:
            collected.errors.append({"path": str(path), "reason": reason})
            continue
        collected.sources.append(str(path))
        root = _root_name(path)
        if path.is_dir():
            for file in _walk(path):
                kind = classify(file)
                content = None
                if kind == "k8s":
                    manifest, content = _sniff_kubernetes(file)
                    if not manifest:
                        continue  # YAML/JSON that is not a manifest (values.yaml, package.json)
                if kind is not None:
                    _read_file(file, kind, collected, root, custom_kinds, content)
                    if on_file is not None:
                        on_file(file)
            continue
        kind = classify(path) or "k8s"
        _read_file(path, kind, collected, root, custom_kinds)
        if on_file is not None:
            on_file(path)
    collected.stats.targets = len(collected.targets)
    return collected


def inline_ignores(target: Target) -> dict[str, tuple[str, str]]:
    text = target.annotations.get(IGNORE_ANNOTATION)
    if not text:
        return {}
    where = f"{target.path}:{target.line}" if target.line else target.path
    return _parse_ignores(text, where)


def _exact_lines(
    findings: list[Finding], readable: set[str], read_texts: dict[str, str] | None = None
) -> list[Finding]:
    """Move Kubernetes YAML findings from their document's first line to the field's.

    Only files this run read are used (`readable`, with the text kept in `read_texts`
    when collect kept it), not paths an inventory names."""
    from seawall.hardening.yamllines import field_line

    read_texts = read_texts or {}

    texts: dict[str, list[str] | None] = {}
    memos: dict[str, dict[Any, Any]] = {}
    out: list[Finding] = []
    for finding in findings:
        loc = finding.location
        if (
            loc is None
            or not loc.field
            or not loc.line
            or finding.details.get("source_format") != "k8s"
            or not loc.path.lower().endswith((".yaml", ".yml"))
            or loc.path not in readable
        ):
            out.append(finding)
            continue
        if loc.path not in texts:
            from seawall.inputs import read_text

            try:
                text = read_texts.get(loc.path)
                texts[loc.path] = (
                    text if text is not None else read_text(Path(loc.path))
                ).splitlines()
            except InputError:
                texts[loc.path] = None
        lines = texts[loc.path]
        memo = memos.setdefault(loc.path, {})
        line = field_line(lines, loc.line, loc.field, memo) if lines else None
        if line is not None and line != loc.line:
            location = msgspec.structs.replace(loc, line=line)
            finding = msgspec.structs.replace(finding, location=location)
        out.append(finding)
    return out


def _suppression(
    finding: Finding,
    target: Target,
    policy: Policy | None,
    inline: dict[str, tuple[str, str]],
) -> Suppression | None:
    if finding.rule in inline or policy is not None:
        from seawall.hardening.policy import suppression_for

        return suppression_for(finding, target, policy, inline)
    return None


def run_rules(
    targets: list[Target], rules: Iterable[Rule], context: Context
) -> Iterator[tuple[Rule, Target, Finding]]:
    for r, target, violation in evaluate(targets, rules, context):
        yield r, target, to_finding(r, target, violation, r.severity)


@dataclass(slots=True)
class HardenReport:
    findings: list[Finding]
    warnings: list[str]
    stats: ScanStats
    sources: list[str]
    pss_version: tuple[int, int]
    policy: str | None = None
    expired_exceptions: list[dict[str, Any]] = field(default_factory=list)
    checked_assets: list[str] = field(default_factory=list)
    # targets given by the user that could not be used at all: {path, reason}
    errors: list[dict[str, str]] = field(default_factory=list)


def harden(
    paths: Iterable[Path],
    *,
    policy: Policy | None = None,
    pss_version: tuple[int, int] = LATEST_PSS_VERSION,
    on_file: Callable[[Path], None] | None = None,
) -> HardenReport:
    """Check every target under `paths` with the built-in and the policy's custom rules."""
    extra = {k for r in policy.custom_rules for k in r.targets} if policy else set()
    collected = collect(paths, extra, on_file)
    return harden_targets(collected, policy=policy, pss_version=pss_version)


def harden_targets(
    collected: Collected,
    *,
    policy: Policy | None = None,
    pss_version: tuple[int, int] = LATEST_PSS_VERSION,
) -> HardenReport:
    """Run the rules on collected targets and apply the policy (see `harden`)."""
    with gc_paused(keep=True):  # findings: many small, acyclic, all kept
        return _harden_targets(collected, policy, pss_version)


def _harden_targets(
    collected: Collected, policy: Policy | None, pss_version: tuple[int, int]
) -> HardenReport:
    # Without a policy only the rules of the kinds found run anyway: import just those.
    rules = builtin_rules() if policy else builtin_rules_for({t.kind for t in collected.targets})
    active = policy.apply_to_rules(rules) if policy else list(rules.values())
    context = Context(pss_version=pss_version, parameters=dict(policy.parameters) if policy else {})
    findings: list[Finding] = []
    inline_cache: dict[int, dict[str, tuple[str, str]]] = {}
    for _rule, target, finding in run_rules(collected.targets, active, context):
        key = id(target)
        if key not in inline_cache:
            inline_cache[key] = inline_ignores(target)
        suppression = _suppression(finding, target, policy, inline_cache[key])
        if suppression is not None:
            finding = msgspec.structs.replace(finding, suppressed=suppression)
        findings.append(finding)
    findings = _exact_lines(findings, collected.read, collected.texts)
    warnings = list(collected.warnings)
    warnings.extend(context.parameters.get("_cel_errors") or [])
    warnings.extend(context.errors)
    collected.stats.skipped += len(context.errors)
    expired: list[dict[str, Any]] = []
    if policy is not None:
        for exception in policy.expired:
            expired.append(exception.describe(policy.source))
            warnings.append(
                f"{policy.source}:{exception.line}: exception for {', '.join(exception.rules)} "
                f"expired on {exception.expires.isoformat()} (owner {exception.owner}); "
                "it no longer applies"
            )
    findings.sort(
        key=lambda f: (
            -f.severity.rank,
            f.asset,
            f.rule,
            f.location.field or "" if f.location else "",
        )
    )
    return HardenReport(
        findings=findings,
        warnings=warnings,
        stats=collected.stats,
        sources=collected.sources,
        pss_version=pss_version,
        policy=policy.source if policy else None,
        expired_exceptions=expired,
        checked_assets=sorted({t.asset for t in collected.targets}),
        errors=list(collected.errors),
    )
