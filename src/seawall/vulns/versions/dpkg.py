"""Debian (dpkg) version ordering, as `dpkg --compare-versions` implements it.

A version is [epoch:]upstream[-revision]. Each part compares as alternating runs of
non-digits (character by character: '~' before the end of the run, before letters,
before everything else) and digits (numerically). The sort key encodes that order as
bytes, so comparing two keys is one memcmp:

- a non-digit run: one byte per character ('~' 0x01, letters their ASCII code, other
  characters 128 + code) and 0x02 for the end of the run;
- a digit run: its length without leading zeros (one byte), then the digits;
- the end of the upstream part or revision: 0x02, which sorts after '~' and before any
  character, exactly like dpkg's end-of-string.
"""

from __future__ import annotations

import re
from functools import lru_cache

_RUN = re.compile(r"(\D*)(\d*)")
_END = 2


def _weights() -> bytes:
    table = bytearray(256)
    for code in range(256):
        ch = chr(code)
        if ch == "~":
            table[code] = 1
        elif ch.isascii() and ch.isalpha():
            table[code] = code
        else:
            table[code] = min(128 + code, 255)
    return bytes(table)


_WEIGHT = _weights()


def _part_key(text: str, out: bytearray) -> None:
    weight = _WEIGHT
    # dpkg compares a missing part like "0" (1.0 == 1.0-0)
    for chars, digits in _RUN.findall(text or "0"):
        if not chars and not digits:
            continue
        for ch in chars:
            code = ord(ch)
            out.append(weight[code] if code < 256 else 255)
        out.append(_END)
        number = digits.lstrip("0")
        out.append(min(len(number), 255))
        out += number.encode()
    out.append(_END)


@lru_cache(maxsize=65536)
def dpkg_key(version: str) -> bytes:
    """A sort key ordering Debian versions exactly as dpkg does."""
    text = version.strip()
    epoch = "0"
    if ":" in text:
        head, rest = text.split(":", 1)
        if head.isdigit():
            epoch, text = head, rest
    if "-" in text:
        upstream, revision = text.rsplit("-", 1)
    else:
        upstream, revision = text, ""
    out = bytearray()
    number = epoch.lstrip("0")
    out.append(min(len(number), 255))
    out += number.encode()
    _part_key(upstream, out)
    _part_key(revision, out)
    return bytes(out)


def compare_dpkg(a: str, b: str) -> int:
    """-1, 0 or 1 as Debian version `a` is older than, equal to or newer than `b`."""
    ka, kb = dpkg_key(a), dpkg_key(b)
    return (ka > kb) - (ka < kb)
