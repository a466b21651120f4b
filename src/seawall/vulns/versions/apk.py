"""Alpine (apk-tools) version ordering.

Versions look like {digits}{.digits}...{letter}{_suffix{digits}}...{~hash}{-r{digits}}.
They are read as a stream of typed tokens; token types must not go backwards (except
digits after digits or a letter, and a suffix after a suffix number), otherwise the rest
is invalid. Two versions compare token by token: numbers numerically (lexically when
either has a leading zero, so 1.01 < 1.1 and 8.2.0 < 8.2.001), suffixes by rank
(_alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p), letters and commit
hashes lexically. When one version ends first, the other is newer unless its next token
is a pre-release suffix. This follows apk-tools 3's rules (test/unit/version.data).
"""

from __future__ import annotations

from functools import lru_cache

(
    _INITIAL_DIGIT,
    _DIGIT,
    _LETTER,
    _SUFFIX,
    _SUFFIX_NO,
    _COMMIT_HASH,
    _REVISION_NO,
    _END,
    _INVALID,
) = range(9)
_SUFFIX_VALUE = {
    "alpha": -4,
    "beta": -3,
    "pre": -2,
    "rc": -1,
    "cvs": 1,
    "svn": 2,
    "git": 3,
    "hg": 4,
    "p": 5,
}
_NUMERIC = (_INITIAL_DIGIT, _DIGIT, _SUFFIX_NO, _REVISION_NO)


def _isdigit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _islower(ch: str) -> bool:
    return "a" <= ch <= "z"


def _next_type(kind: int, text: str, pos: int) -> tuple[int, int]:
    """The type of the token at `pos` following a token of `kind` (and where it starts)."""
    if pos >= len(text):
        return _END, pos
    ch = text[pos]
    if kind in (_INITIAL_DIGIT, _DIGIT) and _islower(ch):
        new = _LETTER
    elif kind == _LETTER and _isdigit(ch):
        new = _DIGIT
    elif kind == _SUFFIX and _isdigit(ch):
        new = _SUFFIX_NO
    else:
        new = _INVALID
        if ch == ".":
            new = _DIGIT
        elif ch == "_":
            new = _SUFFIX
        elif ch == "~":
            new = _COMMIT_HASH
        elif ch == "-" and pos + 1 < len(text) and text[pos + 1] == "r":
            new = _REVISION_NO
            pos += 1
        pos += 1
    if new < kind and not (
        (new == _DIGIT and kind in (_LETTER, _DIGIT)) or (new == _SUFFIX and kind == _SUFFIX_NO)
    ):
        new = _INVALID
    return new, pos


@lru_cache(maxsize=65536)
def apk_tokens(version: str) -> tuple[tuple[int, str | int], ...]:
    """The (type, value) tokens of a version, ending with an END or INVALID token."""
    out: list[tuple[int, str | int]] = []
    kind, pos, n = _INITIAL_DIGIT, 0, len(version)
    while kind not in (_END, _INVALID):
        i = pos
        if kind in _NUMERIC:
            while i < n and _isdigit(version[i]):
                i += 1
        elif kind == _LETTER:
            i += 1
        elif kind == _SUFFIX:
            while i < n and _islower(version[i]):
                i += 1
        elif kind == _COMMIT_HASH:
            while i < n and (_isdigit(version[i]) or "a" <= version[i] <= "f"):
                i += 1
        text = version[pos:i]
        if not text:
            out.append((_INVALID, ""))
            break
        value: str | int = text
        if kind == _SUFFIX:
            if text not in _SUFFIX_VALUE:
                out.append((_INVALID, text))
                break
            value = _SUFFIX_VALUE[text]
        elif kind in _NUMERIC and not (kind == _DIGIT and text[0] == "0"):
            value = int(text)  # a digit run with a leading zero stays text: compared lexically
        out.append((kind, value))
        kind, pos = _next_type(kind, version, i)
    out.append((kind, ""))
    return tuple(out)


def _token_cmp(a: str | int, b: str | int) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def compare_apk(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two Alpine package versions as apk does."""
    if a == b:
        return 0
    ta, tb = apk_tokens(a), apk_tokens(b)
    i = 0
    while True:
        kind_a, value_a = ta[i]
        kind_b, value_b = tb[i]
        if kind_a != kind_b:
            break
        if kind_a in (_END, _INVALID):
            return 0
        result = _token_cmp(value_a, value_b)
        if result:
            return result
        i += 1
    # One side continues: it is newer unless what follows is a pre-release suffix.
    if kind_a == _SUFFIX and isinstance(value_a, int) and value_a < 0:
        return -1
    if kind_b == _SUFFIX and isinstance(value_b, int) and value_b < 0:
        return 1
    if kind_a > kind_b:
        return -1
    if kind_b > kind_a:
        return 1
    return 0
