"""The detection engine: compiled rules of one source applied to a stream of events."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from seawall.detect.falco.compiler import Program, compile_rules
from seawall.detect.falco.rules import RuleProblem, RuleSet
from seawall.detect.plugins import check_plugin_requirements
from seawall.detect.sources import SOURCE_MODULES
from seawall.detect.sources.base import BadLine, EventSource
from seawall.errors import InputError

MATCHING_MODES = ("first", "all")


@dataclass(slots=True)
class Alert:
    """One rule that matched one event."""

    rule: str
    priority: str
    output: str
    time: str | None
    source: str
    tags: tuple[str, ...]
    asset: str
    input: str
    line: int
    event: dict[str, Any] = field(repr=False, compare=False, hash=False)


@dataclass
class StreamResult:
    alerts: list[Alert] = field(default_factory=list)
    bad_lines: list[tuple[str, BadLine]] = field(default_factory=list)
    events: int = 0


def _asset_function(source: EventSource) -> Callable[[dict[str, Any]], str]:
    module_name = SOURCE_MODULES.get(source.name)
    module = importlib.import_module(module_name) if module_name else None
    found = getattr(module, "asset_of", None)
    if callable(found):
        return found  # type: ignore[no-any-return]
    return lambda event: f"{source.name}:unknown"


class Engine:
    """Rules compiled once for one event source; `evaluate(event)` returns its alerts."""

    def __init__(
        self,
        ruleset: RuleSet,
        source: EventSource,
        *,
        rule_matching: str = "first",
        strict: bool = False,
        on_problem: Callable[[RuleProblem], None] | None = None,
        asset_of: Callable[[dict[str, Any]], str] | None = None,
    ) -> None:
        if rule_matching not in MATCHING_MODES:
            raise InputError(f"--rule-matching must be first or all, not {rule_matching!r}")
        self.source = source
        self.first = rule_matching == "first"
        check_plugin_requirements(ruleset, source)  # as Falco, before any rule is compiled
        self.program: Program = compile_rules(ruleset, source)
        self.problems = self.program.problems
        if self.problems and strict:
            raise InputError(f"rule error: {self.problems[0]}")
        if on_problem is not None:
            for problem in self.problems:
                on_problem(problem)
        self._asset_of = asset_of or _asset_function(source)
        self.evaluated = 0
        self._cache_class = self.program.cache_class
        self._num_slot = self.program.num_slot
        self._dispatch = self.program.dispatcher(self.first)

    @property
    def rule_count(self) -> int:
        return len(self.program.rules)

    def matches(self, event: dict[str, Any]) -> list[tuple[Any, Any]]:
        """(rule, field cache) for each rule the event matches (one for `first`)."""
        self.evaluated += 1
        program = self.program
        cache = program.new_cache(event)
        if program.num_slot is not None:
            cache[program.num_slot] = self.evaluated
        return [(rule, cache) for rule in program.matching(cache, self.first)]

    def _rule_by_rule(self, cache: Any) -> list[Any]:
        matched = []
        for rule in self.program.rules:
            try:
                hit = rule.match(cache)
            except TypeError:
                hit = False
            if hit:
                matched.append(rule)
                if self.first:
                    break
        return matched

    def evaluate(self, event: dict[str, Any], *, input: str = "", line: int = 0) -> list[Alert]:
        """The alerts one event raises (hot path: inlined index lookup, no per-rule calls)."""
        self.evaluated += 1
        cache = self._cache_class()
        cache.event = event
        if self._num_slot is not None:
            cache[self._num_slot] = self.evaluated
        try:
            rules = self._dispatch(cache)
        except TypeError:  # an unhashable or odd value: rule by rule, skipping the odd ones
            rules = self._rule_by_rule(cache)
        if not rules:
            return []
        time = self.source.time_of(event)
        asset = self._asset_of(event)
        return [
            Alert(
                rule.name,
                rule.priority,
                rule.format_output(cache),
                time,
                self.source.name,
                rule.tag_tuple,
                asset,
                input,
                line,
                event,
            )
            for rule in rules
        ]

    def events(
        self, stream: IO[bytes], name: str, result: StreamResult
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        for item in self.source.read(stream, name):
            if isinstance(item, BadLine):
                result.bad_lines.append((name, item))
                continue
            result.events += 1
            yield item

    def run_stream(
        self, stream: IO[bytes], name: str, result: StreamResult | None = None
    ) -> StreamResult:
        """Evaluate every event of `stream`; bad lines are counted, never fatal."""
        result = result if result is not None else StreamResult()
        for line, event in self.events(stream, name, result):
            result.alerts.extend(self.evaluate(event, input=name, line=line))
        return result

    def run_events(self, events: Iterable[dict[str, Any]], name: str = "") -> list[Alert]:
        alerts: list[Alert] = []
        for event in events:
            alerts.extend(self.evaluate(event, input=name))
        return alerts
