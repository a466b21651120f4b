"""Checking a rules file's `required_plugin_versions` against the event source, as Falco does.

In Falco a rules file names the plugins (and minimum versions) whose fields it uses, and
Falco refuses to load it unless one of each requirement's alternatives is loaded at a
compatible version (same major, at least the minor.patch asked for). In seawall the event
source plays the plugins' role: each declares the plugins whose field set it implements
(`EventSource.plugins`, documented in docs/detect.md).
"""

from __future__ import annotations

from seawall.detect.falco.rules import PluginRequirement, RuleSet, semver, semver_compatible
from seawall.detect.sources import SOURCE_MODULES, get_source
from seawall.detect.sources.base import EventSource
from seawall.errors import InputError


def _wanted(requirement: PluginRequirement) -> str:
    (name, version), *others = requirement.alternatives
    text = f"plugin {name} >= {version}"
    if others:
        text += " (or " + ", ".join(f"{n} >= {v}" for n, v in others) + ")"
    return text


def _providers(requirement: PluginRequirement) -> list[str]:
    """The seawall sources (--source names) that would satisfy `requirement`."""
    return [
        name
        for name in SOURCE_MODULES
        if _unmet(requirement, dict(get_source(name).plugins)) is None
    ]


def _unmet(requirement: PluginRequirement, provided: dict[str, str]) -> tuple[str, str] | None:
    """None if `provided` satisfies `requirement`; else (plugin, implemented version), with
    an empty version when no alternative is provided at all.

    The first alternative that names a provided plugin decides, as in Falco.
    """
    for name, version in requirement.alternatives:
        if name not in provided:
            continue
        have, need = semver(provided[name]), semver(version)
        if have is None or need is None or not semver_compatible(have, need):
            return name, provided[name]
        return None
    return "", ""


SERVE = "seawall detect serve (k8saudit audit events)"


def check_plugin_requirements(
    ruleset: RuleSet, source: EventSource, selected: str | None = None, *, serve: bool = False
) -> None:
    """Refuse (InputError) rules whose required plugins `source` does not implement.

    `selected` is the --source name the user gave (an alias such as sysdig names the same
    source as falco); `serve` words the error for `seawall detect serve`, which has no
    --source option.
    """
    chosen = SERVE if serve else f"--source {selected or source.name}"
    provided = dict(source.plugins)
    for requirement in ruleset.plugin_requirements:
        unmet = _unmet(requirement, provided)
        if unmet is None:
            continue
        where = f"{requirement.file}:{requirement.line}"
        name, have = unmet
        if have:
            need = dict(requirement.alternatives)[name]
            raise InputError(
                f"{where}: rules require plugin {name} version {need}, but {chosen} "
                f"implements {name} {have}, which is not compatible "
                f"(same major version and at least {need} needed)"
            )
        implements = ", ".join(f"{n} {v}" for n, v in source.plugins) or "no plugin"
        providers = [p for p in _providers(requirement) if p != source.name]
        if providers and serve:
            hint = f"run them with seawall detect --source {' or '.join(providers)}"
        elif providers:
            hint = f"use --source {' or '.join(providers)}"
        else:
            hint = "no seawall event source implements it"
        raise InputError(
            f"{where}: rules require {_wanted(requirement)}, which {chosen} "
            f"does not implement (it implements {implements}); {hint}"
        )
