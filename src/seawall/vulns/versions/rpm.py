"""RPM version ordering: rpmvercmp (with '~' and '^') over [epoch:]version[-release]."""

from __future__ import annotations

from functools import lru_cache


def _isalnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def rpmvercmp(a: str, b: str) -> int:
    """rpm's segment comparison of two version (or release) strings."""
    if a == b:
        return 0
    i = j = 0
    la, lb = len(a), len(b)
    while i < la or j < lb:
        while i < la and not _isalnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < lb and not _isalnum(b[j]) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < la else ""
        cb = b[j] if j < lb else ""
        # '~' sorts before everything, even the end of the string
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i += 1
            j += 1
            continue
        # '^' sorts after the end of the string but before anything else
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i += 1
            j += 1
            continue
        if not (ca and cb):
            break
        si, sj = i, j
        isnum = ca.isdigit()
        if isnum:
            while i < la and a[i].isascii() and a[i].isdigit():
                i += 1
            while j < lb and b[j].isascii() and b[j].isdigit():
                j += 1
        else:
            while i < la and a[i].isascii() and a[i].isalpha():
                i += 1
            while j < lb and b[j].isascii() and b[j].isalpha():
                j += 1
        seg_a, seg_b = a[si:i], b[sj:j]
        if not seg_b:  # different segment types: numeric is newer
            return 1 if isnum else -1
        if isnum:
            seg_a = seg_a.lstrip("0")
            seg_b = seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
    if i >= la and j >= lb:
        return 0
    return -1 if i >= la else 1


@lru_cache(maxsize=65536)
def split_evr(evr: str) -> tuple[int, str, str | None]:
    """(epoch, version, release) of an rpm EVR string; a missing epoch is 0."""
    text = evr.strip()
    epoch = 0
    if ":" in text:
        head, rest = text.split(":", 1)
        if head.isdigit():
            epoch, text = int(head), rest
    if "-" in text:
        version, release = text.rsplit("-", 1)
        return epoch, version, release
    return epoch, text, None


def compare_rpm(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two rpm [epoch:]version[-release] strings (rpm's labelCompare)."""
    ea, va, ra = split_evr(a)
    eb, vb, rb = split_evr(b)
    if ea != eb:
        return 1 if ea > eb else -1
    result = rpmvercmp(va, vb)
    if result or ra is None or rb is None:
        return result
    return rpmvercmp(ra, rb)
