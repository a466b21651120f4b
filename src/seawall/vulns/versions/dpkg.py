"""Debian (dpkg) version ordering, as `dpkg --compare-versions` implements it.

A version is [epoch:]upstream[-revision]. Each part compares as alternating runs of
non-digits (character by character: '~' before the end of the run, before letters,
before everything else) and digits (numerically). The sort key encodes that order so a
plain tuple comparison gives dpkg's answer.
"""

from __future__ import annotations

from functools import lru_cache

_END = (0,)  # a run that ends here: after '~', before any other character


def _char_weight(ch: str) -> int:
    if ch == "~":
        return -1
    if ch.isascii() and ch.isalpha():
        return ord(ch)
    return ord(ch) + 256


def _part_key(text: str) -> tuple[object, ...]:
    parts: list[object] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        while i < n and not ("0" <= text[i] <= "9"):
            i += 1
        parts.append((*(_char_weight(c) for c in text[start:i]), 0))
        start = i
        while i < n and "0" <= text[i] <= "9":
            i += 1
        parts.append(int(text[start:i]) if i > start else 0)
    if not parts:
        parts = [_END, 0]
    # A shorter version continues as an empty run: comparing the terminator against the
    # longer version's next non-digit run gives dpkg's answer ('~' sorts before the end).
    parts.append(_END)
    return tuple(parts)


@lru_cache(maxsize=65536)
def dpkg_key(version: str) -> tuple[object, ...]:
    """A sort key ordering Debian versions exactly as dpkg does."""
    text = version.strip()
    epoch = 0
    if ":" in text:
        head, rest = text.split(":", 1)
        if head.isdigit():
            epoch, text = int(head), rest
    if "-" in text:
        upstream, revision = text.rsplit("-", 1)
    else:
        upstream, revision = text, ""
    return (epoch, _part_key(upstream), _part_key(revision))


def compare_dpkg(a: str, b: str) -> int:
    """-1, 0 or 1 as Debian version `a` is older than, equal to or newer than `b`."""
    ka, kb = dpkg_key(a), dpkg_key(b)
    return (ka > kb) - (ka < kb)  # type: ignore[operator]
