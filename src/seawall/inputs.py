"""Reading input files that may come from an attacker, for every stage: bounded file sizes
and counts, text decoding, JSON without oversized numbers or lone surrogates, and YAML
with safe loaders, bounded alias expansion and nesting (libyaml only where it cannot
overflow the C stack)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from seawall.errors import InputError

MAX_FILE_BYTES = 64 * 1024 * 1024  # one manifest, plan or export file
MAX_FILES = 20_000  # files taken from one directory tree
MAX_YAML_ALIASES = 200  # anchors/aliases expand on encoding: bound them (billion laughs)
MAX_YAML_EXPANSION = 100  # expanded nodes per 16 bytes of YAML text, at most
MAX_YAML_DEPTH = 200  # nesting levels the fast (C) loader is trusted with
# json.loads raises a plain ValueError (not JSONDecodeError) for an integer literal longer than
# Python's int conversion limit; this names it in a warning or error.
NUMBER_TOO_LONG = "a number longer than 4300 digits"
LONE_SURROGATE = "a lone UTF-16 surrogate escape (not text)"
# "\ud800" without its pair is valid JSON syntax (and YAML's Python loader takes it) but
# decodes to a str no output can encode as UTF-8: every report writer crashed on it.
_SURROGATE_ESCAPE = re.compile(r"\\[uU](?:0000)?[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether any str inside `value` (keys included) holds a UTF-16 surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def load_json(text: str) -> Any:
    """json.loads, also refusing a lone surrogate escape (JSONDecodeError at its position).

    A number too long to convert still raises a plain ValueError (NUMBER_TOO_LONG)."""
    value = json.loads(text)
    if _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
        raise json.JSONDecodeError(LONE_SURROGATE, text, _lone_escape_at(text))
    return value


def _lone_escape_at(text: str) -> int:
    """Where the first unpaired surrogate escape is (0 when an escaped backslash hides it)."""
    paired_low = -1
    for match in _SURROGATE_ESCAPE.finditer(text):
        start = match.start()
        if start == paired_low:
            continue
        code = int(match.group()[-4:], 16)
        after = _SURROGATE_ESCAPE.match(text, match.end())
        if code < 0xDC00 and after and int(after.group()[-4:], 16) >= 0xDC00:
            paired_low = after.start()
            continue
        return start
    return 0


def read_limited(path: Path, limit: int) -> bytes | None:
    """The bytes of `path`, or None when it holds more than `limit` (OSError passes).

    Reads at most limit + 1 bytes: a size from stat() is 0 for /dev/zero or a FIFO, which
    then read without end (MemoryError)."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def read_text(path: Path, limit: int | None = None) -> str:
    """Read a UTF-8 text file of at most `limit` (default MAX_FILE_BYTES) bytes, or raise
    InputError naming it."""
    limit = MAX_FILE_BYTES if limit is None else limit
    try:
        if path.is_symlink():
            raise InputError(f"{path}: refusing to follow a symbolic link")
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{path}: file is {size} bytes, more than the {limit} allowed")
        raw = read_limited(path, limit)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw is None:  # grew since stat, or a device or FIFO (whose size reads as 0)
        raise InputError(f"{path}: file is more than the {limit} bytes allowed")
    return decode_text(path, raw)


def decode_text(path: Path, raw: bytes) -> str:
    """`raw` (the bytes of `path`) as UTF-8 text, or InputError naming the bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def iter_files(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Regular files under `root` with one of `suffixes`, sorted, never through symlinks."""
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue  # .terraform/, .git/: provider caches and VCS data, not sources
        if path.name.lower().endswith(suffixes):
            count += 1
            if count > MAX_FILES:
                raise InputError(f"{root}: more than {MAX_FILES} files to read")
            yield path


class _BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses documents with too many aliases."""

    aliases_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.YAMLError(
                    f"more than {MAX_YAML_ALIASES} YAML aliases (line {event.start_mark.line + 1})"
                )
        return super().compose_node(parent, index)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes the document has once every alias is expanded (what a consumer walking the
    loaded data visits), counted without expanding; stops just past `limit`."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if not children_done:
            if id(node) in open_nodes:
                return limit + 1  # a recursive alias: infinite once expanded
            open_nodes.add(id(node))
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(sizes[id(child)] for child in children)
        sizes[id(node)] = min(total, limit + 1)
        open_nodes.discard(id(node))
    return sizes[id(root)]


_DEEP_INDENT = re.compile(rf"^[ \t-]{{{MAX_YAML_DEPTH},}}\S", re.M)
_FLOW = re.compile(r"[\[\]{}]")


def may_nest_deeply(text: str) -> bool:
    """True when the text might nest deeper than MAX_YAML_DEPTH (flow brackets or block
    indentation); brackets inside strings count too, so this over-estimates."""
    if _DEEP_INDENT.search(text):
        return True
    if text.count("[") + text.count("{") <= MAX_YAML_DEPTH:
        return False
    depth = 0
    for match in _FLOW.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_YAML_DEPTH:
            return True
    return False


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# Scalar key types whose values SafeConstructor builds the same way wherever they appear.
_PLAIN_KEY_TAGS = frozenset(
    {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
     "tag:yaml.org,2002:null"}
)  # fmt: skip
_RESOLVED_MAX = 16_384  # plain scalars whose implicit tag is remembered (short ones only)
_resolved: dict[str, str] = {}


class _NotPlain(Exception):
    """The document needs SafeConstructor itself (merge keys, odd keys, custom tags)."""


class _BadScalar(yaml.constructor.ConstructorError):
    """A scalar SafeConstructor cannot build (`2024-13-45` resolves to a timestamp)."""


def _construct_scalar(node: yaml.Node, loader: Any) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # datetime/int/float refuse the value
        tag = str(node.tag).rsplit(":", 1)[-1]
        value = str(node.value)
        # the warning is one line: a 10,000-digit scalar is named by its start and length
        shown = repr(value) if len(value) <= 60 else f"{value[:40]!r}... ({len(value)} characters)"
        reason = NUMBER_TOO_LONG if "integer string conversion" in str(exc) else str(exc)
        raise _BadScalar(
            None, None, f"cannot read {shown} as {tag}: {reason}", node.start_mark
        ) from None


if getattr(yaml, "__with_libyaml__", False):

    class _FastCSafeLoader(yaml.CSafeLoader):
        """libyaml's safe loader, with the implicit tag of each plain scalar remembered:
        SafeLoader has no path resolvers, so that tag depends on the scalar's text only
        (`true`, `80`, `nginx` recur in every manifest)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if self.yaml_path_resolvers:
                return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if kind is yaml.ScalarNode:
                if not implicit[0]:
                    return _STR_TAG  # quoted: Resolver's DEFAULT_SCALAR_TAG
                tag = _resolved.get(value)
                if tag is None:
                    tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                    if len(value) <= 64 and len(_resolved) < _RESOLVED_MAX:
                        _resolved[value] = tag
                return tag
            return _MAP_TAG if kind is yaml.MappingNode else _SEQ_TAG

    def _load_yaml_c(text: str) -> Any:
        """yaml.load(text, Loader=CSafeLoader), building plain documents (str/map/seq
        nodes, plain scalar keys) directly from libyaml's nodes: SafeConstructor's
        generic per-node machinery is most of the load time. Anything else, including
        every error, goes through CSafeLoader itself, so results and messages are its own."""
        loader = _FastCSafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            try:
                return _build(node, loader)
            except _BadScalar:
                raise
            except (_NotPlain, yaml.YAMLError):
                pass
        finally:
            loader.dispose()
        return yaml.load(text, Loader=yaml.CSafeLoader)


def _build(node: yaml.Node, loader: Any) -> Any:
    """What SafeConstructor makes of `node` (an anchor-free document's node)."""
    tag = node.tag
    cls = node.__class__
    if cls is yaml.ScalarNode:
        if tag == _STR_TAG:
            return node.value
        return _construct_scalar(node, loader)  # int, bool, null, timestamp...
    if cls is yaml.MappingNode and tag == _MAP_TAG:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_tag = key_node.tag
            if key_node.__class__ is not yaml.ScalarNode:
                raise _NotPlain  # complex key: SafeConstructor names the unhashable key
            if key_tag == _STR_TAG:
                key = key_node.value
            elif key_tag in _PLAIN_KEY_TAGS:
                key = _construct_scalar(key_node, loader)
            else:
                raise _NotPlain  # merge (<<), value (=) or tagged keys
            out[key] = _build(value_node, loader)
        return out
    if cls is yaml.SequenceNode and tag == _SEQ_TAG:
        return [_build(item, loader) for item in node.value]
    raise _NotPlain


# An anchor (`&name`) starts a node: at a line start, after white space or after a flow or
# key/value indicator. `2>&1` or `a&b` inside a plain scalar cannot be one.
_ANCHOR_START = re.compile(r"(?:^|[\s\[{,:?])&", re.M)


def _may_have_anchor(text: str) -> bool:
    """False only when no `&` in the text can start an anchor (quoted and block scalars
    count too, so this over-estimates)."""
    return "&" in text and _ANCHOR_START.search(text) is not None


def load_yaml(text: str) -> Any:
    """yaml.safe_load with a bound on alias expansion and nesting; raises yaml.YAMLError."""
    deep = may_nest_deeply(text)
    try:
        if not _may_have_anchor(text) and not deep and getattr(yaml, "__with_libyaml__", False):
            # No anchor, so no alias can expand: libyaml's safe loader, about 10x faster.
            # (Deep nesting overflows libyaml's C stack: such text takes the Python loader.)
            return _load_yaml_c(text)
        return _load_yaml_python(text)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a scalar that cannot be built (2024-13-45)
        raise yaml.YAMLError(f"cannot read a value: {exc}") from None


def _load_yaml_python(text: str) -> Any:
    loader = _BoundedSafeLoader(text)
    try:
        node = loader.get_single_node()  # type: ignore[no-untyped-call]
        if node is None:
            return None
        # Fewer aliases than MAX_YAML_ALIASES still nest (10 lists of 10 aliases each
        # expand to 10**10 values): bound what the aliases add, like a decompression ratio.
        limit = MAX_YAML_EXPANSION * (len(text) // 16 + 1)
        if _expanded_size(node, limit) > limit:
            raise yaml.YAMLError("YAML aliases expand the document too much (alias bomb)")
        data = loader.construct_document(node)  # type: ignore[no-untyped-call]
        if ("\\u" in text or "\\U" in text) and has_lone_surrogate(data):
            raise yaml.YAMLError(LONE_SURROGATE)  # (libyaml refuses it itself)
        return data
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
