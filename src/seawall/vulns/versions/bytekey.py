"""Order-preserving byte keys: memcmp(key(a), key(b)) orders as the ecosystem's comparator.

    key = byte_key_func("PyPI")          # None when the scheme has no byte keys (yet)
    key("1.0rc1") < key("1.0")           # True; bytes compare like SQLite BLOBs (memcmp)

A key function returns None for a version it cannot encode with certainty (a number too
large, a character outside the encoded alphabet, an rpm version without a release, a Maven
version where ComparableVersion is not transitive); callers then fall back to the exact
comparator of `seawall.vulns.versions`. Whenever two keys are not None,
sign(memcmp(key(a), key(b))) == comparator(a, b), and equal versions give equal keys.

Bounds, for range sentinels: every key is > b"" (the guaranteed minimum; b"" itself is
never a key) and every key's first byte is below 0xff, so every key is < MAX_KEY
(b"\\xff"). Change KEY_FORMAT whenever any encoding changes or a scheme gains (or loses)
keys: stored keys are only comparable with keys of the same format, and a database built
when a scheme had no keys has no keys stored for its rows.

Building blocks (see docs/vulns-db.md, "Version keys"):

- an unsigned integer: one byte 1 + n (n = its length in bytes, 0 for zero), then its n
  bytes big-endian; numbers needing more than MAX_INT_BYTES bytes are not encoded;
- a sequence (release numbers, natural-order runs, identifiers): each element is a tag
  byte >= 1 then the element, and the sequence ends with 0x00, so a prefix sorts first;
- a text element: its ASCII bytes (never 0x00) then 0x00.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from seawall.vulns.versions.apk import (
    _COMMIT_HASH,
    _DIGIT,
    _END,
    _INITIAL_DIGIT,
    _INVALID,
    _LETTER,
    _REVISION_NO,
    _SUFFIX,
    _SUFFIX_NO,
    apk_tokens,
)
from seawall.vulns.versions.dpkg import dpkg_key
from seawall.vulns.versions.gem import gem_segments
from seawall.vulns.versions.maven import (
    _RELEASE_INDEX,
    Item,
    _Combination,
    _comparable_qualifier,
    _compare,
    parse_maven,
)
from seawall.vulns.versions.rpm import split_evr
from seawall.vulns.versions.semver import _SEMVER

KEY_FORMAT = 3  # 1: PyPI, semver/Go, NuGet, dpkg; 2: + rpm, apk, RubyGems; 3: + Maven
MAX_KEY = b"\xff"
MAX_INT_BYTES = 32

ByteKey = Callable[[str], bytes | None]

# first byte of a key: versions a comparator orders by its fallback, then valid versions
_FALLBACK = 0x01
_VALID = 0x02


class _Unencodable(Exception):
    """A version (or part of it) the encoding cannot represent exactly."""


def _uint(value: int, out: bytearray) -> None:
    if value < 0:
        raise _Unencodable
    size = (value.bit_length() + 7) // 8
    if size > MAX_INT_BYTES:
        raise _Unencodable
    out.append(1 + size)
    if size:
        out += value.to_bytes(size, "big")


def _text(text: str, out: bytearray) -> None:
    if not text.isascii() or "\x00" in text:
        raise _Unencodable
    out += text.encode("ascii")
    out.append(0)


# --- the natural-order fallback (pypi.natural_key): ((0, letters) | (1, int))* ---------

_RUNS = re.compile(r"\d+|[a-z]+|[^a-z\d]+")


def _natural(text: str, out: bytearray) -> None:
    for run in _RUNS.findall(text.lower()):
        if run.isdigit():
            out.append(2)
            _uint(int(run), out)
        elif run.isalpha():
            out.append(1)
            _text(run, out)
    out.append(0)


def _fallback(version: str) -> bytes:
    out = bytearray((_FALLBACK,))
    _natural(version, out)
    return bytes(out)


# --- PyPI (PEP 440 via packaging; legacy versions first, natural order) ----------------

_PRE_RANK = {"a": 1, "b": 2, "rc": 3}  # dev-only 0, no pre-release 4
_LOCAL_SEP = re.compile(r"[._-]")
# the canonical spellings (most real versions): parsed here, everything else by packaging
_CANONICAL = re.compile(
    r"([0-9]+(?:\.[0-9]+)*)(?:(a|b|rc)([0-9]+))?(?:\.post([0-9]+))?(?:\.dev([0-9]+))?"
)
_NUMBERS: dict[str, bytes] = {}  # "12" -> the encoded number (a bounded cache)


def _number(text: str) -> bytes:
    """The encoding of a string of ASCII digits, cached."""
    encoded = _NUMBERS.get(text)
    if encoded is None:
        out = bytearray()
        _uint(int(text), out)
        encoded = bytes(out)
        if len(_NUMBERS) < 8192:
            _NUMBERS[text] = encoded
    return encoded


class _Elements(dict[str, bytes]):
    """ "12" -> the encoded release element, computed on first use (a bounded cache)."""

    def __missing__(self, text: str) -> bytes:
        encoded = b"\x01" + _number(text)
        if len(self) < 8192:
            self[text] = encoded
        return encoded


_ELEMENTS = _Elements()
_ELEMENT = _ELEMENTS.__getitem__


def _release(numbers: list[int] | tuple[int, ...], out: bytearray) -> None:
    end = len(numbers)
    while end and numbers[end - 1] == 0:  # 1.0 == 1.0.0 == 1
        end -= 1
    for i in range(end):
        out.append(1)
        _uint(numbers[i], out)
    out.append(0)


def _release_text(release: str) -> bytes:
    """_release of a dotted string of ASCII digits."""
    parts = release.split(".")
    while parts and not parts[-1].strip("0"):  # 1.0 == 1.0.0 == 1
        parts.pop()
    return b"".join(map(_ELEMENT, parts)) + b"\x00"


_STABLE = b"\x05\x01\x01\x01\x02\x01\x00"  # no pre/post/dev release, no local version


def _pypi(version: str) -> bytes:
    parts = version.split(".")
    if version.isascii() and version.replace(".", "").isdigit() and "" not in parts:
        # a plain release, the common case: valid, epoch 0
        while parts and not parts[-1].strip("0"):  # 1.0 == 1.0.0 == 1
            parts.pop()
        return b"\x02\x01" + b"".join(map(_ELEMENT, parts)) + b"\x00" + _STABLE
    match = _CANONICAL.fullmatch(version)
    if match is not None:
        release, pre_l, pre_n, post, dev = match.groups()
        if pre_l is None and post is None and dev is None:
            return b"\x02\x01" + _release_text(release) + _STABLE
        if pre_l is not None:
            pre = bytes((1 + _PRE_RANK[pre_l],)) + _number(pre_n)
        elif post is None and dev is not None:
            pre = b"\x01\x01"  # 1.0.dev1 < 1.0a1
        else:
            pre = b"\x05\x01"
        return b"".join(
            (
                b"\x02\x01",  # valid, epoch 0
                _release_text(release),
                pre,
                b"\x01\x01" if post is None else b"\x02" + _number(post),
                b"\x02\x01" if dev is None else b"\x01" + _number(dev),
                b"\x00",  # no local version
            )
        )
    return _pypi_parsed(version)


def _pypi_parsed(version: str) -> bytes:
    """_pypi through packaging's parser (every spelling PEP 440 allows)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return _fallback(version)
    out = bytearray((_VALID,))
    _uint(parsed.epoch, out)
    _release(parsed.release, out)
    pre, post, dev = parsed.pre, parsed.post, parsed.dev
    if pre is None and post is None and dev is not None:
        pre_rank, pre_n = 0, 0  # 1.0.dev1 < 1.0a1
    elif pre is None:
        pre_rank, pre_n = 4, 0
    else:
        pre_rank, pre_n = _PRE_RANK[pre[0]], pre[1]
    out.append(1 + pre_rank)
    _uint(pre_n, out)
    out.append(1 if post is None else 2)
    _uint(post or 0, out)
    out.append(2 if dev is None else 1)
    _uint(dev or 0, out)
    local = parsed.local
    if local is None:
        out.append(0)
    else:
        out.append(1)
        for part in _LOCAL_SEP.split(local):
            if part.isdigit():
                out.append(2)
                _uint(int(part), out)
            else:
                out.append(1)
                _text(part.lower(), out)
        out.append(0)
    return bytes(out)


# --- semver (npm, crates.io, Go, ...) and NuGet ---------------------------------------


_ZERO = b"\x01"  # the encoded number 0


def _semver(version: str, *, four: bool, fold_case: bool) -> bytes:
    text = version[1:] if version.startswith(("v", "V")) else version
    if text.endswith("+incompatible"):  # Go's build metadata for pre-module major versions
        text = text[:-13]
    parts = text.split(".")
    if (
        len(parts) <= (4 if four else 3)
        and text.isascii()
        and text.replace(".", "").isdigit()
        and "" not in parts
    ):
        # a plain release, the common case
        numbers = [_number(part) for part in parts]
        return b"".join((b"\x02", *numbers, _ZERO * (4 - len(parts)), b"\x02"))
    return _semver_parsed(version, four=four, fold_case=fold_case)


def _semver_parsed(version: str, *, four: bool, fold_case: bool) -> bytes:
    """_semver through the comparator's regular expression (every form)."""
    match = _SEMVER.match(version)
    if match is None or (match.group(4) is not None and not four):
        return _fallback(version)
    out = bytearray((_VALID,))
    for group in match.group(1, 2, 3, 4):
        out += _number(group) if group else b"\x01"
    label = match.group(5)
    if not label:
        out.append(2)  # a release is newer than any of its pre-releases
        return bytes(out)
    out.append(1)
    for ident in label.split("."):
        if ident.isdigit():
            out.append(1)  # numeric identifiers before alphanumeric ones
            _uint(int(ident), out)
        else:
            out.append(2)
            _text(ident.lower() if fold_case else ident, out)
    out.append(0)
    return bytes(out)


def _go(version: str) -> bytes:
    return _semver(version, four=False, fold_case=False)


def _nuget(version: str) -> bytes:
    return _semver(version, four=True, fold_case=True)


# --- dpkg: dpkg_key already is a memcmp key (the comparator compares exactly it) ---------


def _dpkg(version: str) -> bytes:
    key = dpkg_key(version)
    if not key or key[0] == 0xFF:  # an absurdly long epoch would collide with MAX_KEY
        raise _Unencodable
    return key


# --- rpm: epoch, then rpmvercmp's tokens of version and release --------------------------

_RPM_TOKEN = re.compile(r"[0-9]+|[A-Za-z]+|~|\^")


def _rpm_part(text: str, out: bytearray) -> None:
    """rpmvercmp order: '~' < end < '^' < letters < digits; other characters separate."""
    for token in _RPM_TOKEN.findall(text):
        if token == "~":
            out.append(1)
        elif token == "^":
            out.append(3)
        elif token[0] <= "9":
            out.append(5)
            _uint(int(token), out)
        else:
            out.append(4)
            _text(token, out)
    out.append(2)


def _rpm(version: str) -> bytes:
    epoch, upstream, release = split_evr(version)
    if release is None:
        # rpm compares a missing release as equal to every release ("1.0" == "1.0-1" and
        # "1.0" == "1.0-2" < ...): no key can order that
        raise _Unencodable
    out = bytearray()
    _uint(epoch, out)
    _rpm_part(upstream, out)
    _rpm_part(release, out)
    return bytes(out)


# --- apk: apk_tokens, the first different token decides --------------------------------

# tokens of different kinds: a pre-release suffix is older than anything, otherwise the
# token of the later kind (END, INVALID: the version stopped) is older
_APK_KIND = {
    _INVALID: 2,
    _END: 3,
    _REVISION_NO: 4,
    _COMMIT_HASH: 5,
    _SUFFIX_NO: 6,
    _SUFFIX: 7,
    _LETTER: 8,
    _DIGIT: 9,
    _INITIAL_DIGIT: 10,
}


def _apk(version: str) -> bytes:
    out = bytearray()
    for kind, value in apk_tokens(version):
        if kind in (_END, _INVALID):
            out.append(_APK_KIND[kind])  # both stop the comparison: equal from here
            break
        if kind == _SUFFIX:
            assert isinstance(value, int)
            out.append(1 if value < 0 else 7)
            out.append(value + 5)
        elif isinstance(value, int):
            out.append(_APK_KIND[kind])
            if kind == _DIGIT:
                out.append(2)  # after digit runs with a leading zero (compared as text)
            _uint(value, out)
        else:
            out.append(_APK_KIND[kind])
            if kind == _DIGIT:
                out.append(1)
            _text(value, out)
    return bytes(out)


# --- RubyGems: canonical segments, compared pairwise with missing ones as 0 -------------

_MAX_ZEROS = 1 << 16


def _gem(version: str) -> bytes:
    """Each segment after a run of k zeros, as (k, segment): a string is older than 0 and a
    number newer, so (k, string) sorts before the end, ascending in k, and (k, number)
    after it, descending in k; the end (all zeros from here on) is 0x02."""
    out = bytearray()
    zeros = 0
    for segment in gem_segments(version):
        if segment == 0:
            zeros += 1
            continue
        if zeros >= _MAX_ZEROS:
            raise _Unencodable
        if isinstance(segment, str):
            out.append(1)
            _uint(zeros, out)
            _text(segment, out)
        else:
            out.append(3)
            _uint(_MAX_ZEROS - zeros, out)
            _uint(segment, out)
        zeros = 0
    out.append(2)
    return bytes(out)


# --- Maven: ComparableVersion's item lists, where that order is a total order -----------
#
# ComparableVersion is not transitive everywhere: "1.0.alpha" < "1" < "1.sp" < "1.0.alpha"
# (a 0 beats any list, a list beats nothing by its first qualifier), and "4.1.0.Final" ==
# "4.1" < "4.1-jre" < "4.1.0.Final". Keys exist for the versions where it is: a list is a run
# of atoms (numbers; a qualifier only first) and at most one sub-list, last; a run of zeros
# must be followed by something newer than nothing (a number, or a sub-list newer than
# nothing); a trailing sub-list equal to nothing ("-final", ".GA", ".RELEASE") counts as
# nothing. Everything else ("5.4.0.Final", "1.0.0.RC1" - zeros before a pre-release or a
# release qualifier -, "1.ga.1", "final1", empty lists) gets None.
#
# A list's key: per item, with k = the zeros skipped before it,
#   01 qualifier (first item only): comparable qualifier text, then 01, or 02 + number
#   02 sub-list older than nothing (k = 0), then its key
#   03 the end
#   04 sub-list newer than nothing (k = 0), then its key
#   05 sub-list newer than nothing after k > 0 zeros: k, then its key
#   06 number after k zeros: (65536 - k), then the number


def _maven_null(items: list[Item]) -> bool:
    """True for a list equal to nothing made only of release qualifiers ("final", "ga")."""
    for item in items:
        if isinstance(item, list):
            if not _maven_null(item):
                return False
        elif isinstance(item, int):
            if item:
                return False
        elif isinstance(item, _Combination) or _comparable_qualifier(item) != _RELEASE_INDEX:
            return False
    return True


def _maven_list(items: list[Item], out: bytearray) -> None:
    count = len(items)
    if count and isinstance(items[-1], list) and _maven_null(items[-1]):
        count -= 1
    if not count:
        raise _Unencodable
    zeros = 0
    for index in range(count):
        item = items[index]
        if isinstance(item, int):
            if item == 0:
                zeros += 1
                continue
            if zeros >= _MAX_ZEROS:
                raise _Unencodable
            out.append(6)
            _uint(_MAX_ZEROS - zeros, out)
            _uint(item, out)
        elif isinstance(item, list):
            sign = _compare(item, None)
            # a sub-list is last and not first, unequal to nothing, not an older one after 0s
            if index == 0 or index != count - 1 or sign == 0 or (zeros and sign < 0):
                raise _Unencodable
            if zeros >= _MAX_ZEROS:
                raise _Unencodable
            if zeros:
                out.append(5)
                _uint(zeros, out)
            else:
                out.append(2 if sign < 0 else 4)
            _maven_list(item, out)
        else:
            qualifier = item.qualifier if isinstance(item, _Combination) else item
            comparable = _comparable_qualifier(qualifier)
            if index or comparable == _RELEASE_INDEX:
                raise _Unencodable
            out.append(1)
            _text(comparable, out)
            if isinstance(item, _Combination):
                out.append(2)
                _uint(item.number, out)
            else:
                out.append(1)
        zeros = 0
    if zeros:
        raise _Unencodable
    out.append(3)


def _maven(version: str) -> bytes:
    out = bytearray()
    _maven_list(parse_maven(version), out)
    return bytes(out)


_ENCODERS: dict[str, Callable[[str], bytes]] = {
    "pypi": _pypi,
    "semver": _go,
    "go": _go,
    "nuget": _nuget,
    "deb": _dpkg,
    "rpm": _rpm,
    "apk": _apk,
    "gem": _gem,
    "maven": _maven,
}


def _safe(encode: Callable[[str], bytes]) -> ByteKey:
    @lru_cache(maxsize=65536)
    def key(version: str) -> bytes | None:
        try:
            return encode(version)
        except (_Unencodable, ValueError, RecursionError):
            return None

    key.__doc__ = f"The byte key of a version ({encode.__name__.strip('_')}); None if unencodable."
    return key


_KEY_FUNCS: dict[str, ByteKey] = {scheme: _safe(encode) for scheme, encode in _ENCODERS.items()}


def byte_key_func(ecosystem: str) -> ByteKey | None:
    """The byte-key function of `ecosystem`'s version scheme, None if it has none (yet)."""
    from seawall.vulns.versions import scheme_for

    return _KEY_FUNCS.get(scheme_for(ecosystem))


def clear_caches() -> None:
    """Forget every cached key (benchmarks measure cold caches)."""
    for key in _KEY_FUNCS.values():
        key.cache_clear()  # type: ignore[attr-defined]
    _NUMBERS.clear()
    _ELEMENTS.clear()


def byte_key_schemes() -> frozenset[str]:
    """The version schemes (see scheme_for) that have byte keys."""
    return frozenset(_KEY_FUNCS)
