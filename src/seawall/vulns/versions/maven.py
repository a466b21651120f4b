"""Maven version ordering: ComparableVersion semantics of Maven 3.9.

A version parses into a list of items: integers, qualifier strings, "combinations" (a
qualifier glued to a number: alpha2, X-1) and sub-lists (a '-' or a digit/letter
transition starts one; ".X" is treated as "-X"). Null items (0, "", empty lists) are
dropped where Maven's normalisation drops them. Items compare by kind (int > list >
combination/string) and a missing item is padded as null (1.0 == 1, 1-rc < 1). Known
qualifiers order alpha < beta < milestone < rc < snapshot < "" (= ga, final, release) < sp,
then unknown qualifiers lexically.

One deliberate detail: a null item is dropped before a sub-list only when that sub-list was
opened by an explicit '-' (1.0-a == 1a), not by ".X" (2-1 < 2.0.a < 2.0.0.a, 1.0a == 1.0.a),
which is the ordering Maven's ComparableVersionTest pins (version_vectors.tsv).
"""

from __future__ import annotations

from functools import cmp_to_key, lru_cache
from typing import Union


class _Combination:
    """A qualifier followed by a number (alpha2, rc-1): compares by qualifier, then number."""

    __slots__ = ("number", "qualifier")

    def __init__(self, text: str) -> None:
        index = 0
        for i, ch in enumerate(text):
            if "0" <= ch <= "9":
                index = i
                break
        self.qualifier = _string_item(text[:index], True)
        self.number = _parse_number(text[index:])


Item = Union[int, str, _Combination, "list[Item]"]


class _DashList(list):  # type: ignore[type-arg]
    """A sub-list opened by an explicit '-' (normalisation may drop a null item before it)."""


_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE_QUALIFIERS = ("ga", "final", "release")
_RELEASE_INDEX = str(_QUALIFIERS.index(""))
# Real versions nest a few sub-lists ("1.0-alpha-1-SNAPSHOT": 3); comparing recurses once
# per level, so a crafted "1-1-1-..." must be refused, not blow Python's stack
MAX_DEPTH = 64


def _comparable_qualifier(value: str) -> str:
    if value in _RELEASE_QUALIFIERS:
        return _RELEASE_INDEX
    if value in _QUALIFIERS:
        return str(_QUALIFIERS.index(value))
    return f"{len(_QUALIFIERS)}-{value}"


def _string_item(value: str, followed_by_digit: bool) -> str:
    if followed_by_digit and len(value) == 1:
        value = {"a": "alpha", "b": "beta", "m": "milestone"}.get(value, value)
    return "rc" if value == "cr" else value


def _parse_number(text: str) -> int:
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    return int(digits) if digits else 0


def _parse_item(is_combination: bool, is_digit: bool, text: str) -> Item:
    if is_combination:
        return _Combination(text.replace("-", ""))
    if is_digit:
        return _parse_number(text)
    return _string_item(text, False)


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, str):
        return item == ""
    if isinstance(item, _Combination):
        return False
    return not item


def _normalize(items: list[Item]) -> None:
    # from the end, each null item decided by the next item kept; rebuilt rather than
    # deleted in place (a del per null item is quadratic on "1.0.0.0...")
    kept: list[Item] = []  # reversed
    for item in reversed(items):
        if _is_null(item):
            if not kept or isinstance(kept[-1], str):
                continue
            following = kept[-1]
            if (
                isinstance(following, _DashList)
                and following
                and isinstance(following[0], _Combination | str)
            ):
                continue
        kept.append(item)
    kept.reverse()
    items[:] = kept


def _sign(a: str, b: str) -> int:
    return (a > b) - (a < b)


def _compare_string(left: str, right: Item | None) -> int:
    if right is None:
        return _sign(_comparable_qualifier(left), _RELEASE_INDEX)  # 1-rc < 1, 1-sp > 1
    if isinstance(right, int):
        return -1  # 1.any < 1.1
    if isinstance(right, str):
        return _sign(_comparable_qualifier(left), _comparable_qualifier(right))
    if isinstance(right, _Combination):
        result = _compare_string(left, right.qualifier)
        return -1 if result == 0 else result  # X < X1
    return -1  # 1.any < 1-1


def _compare(left: Item, right: Item | None) -> int:
    if isinstance(left, int):
        if right is None:
            return 0 if left == 0 else 1
        if isinstance(right, int):
            return (left > right) - (left < right)
        return 1  # 1.1 > 1-sp, 1.1 > 1-1
    if isinstance(left, str):
        return _compare_string(left, right)
    if isinstance(left, _Combination):
        if right is None:
            return _compare_string(left.qualifier, None)
        if isinstance(right, int | list):
            return -1
        if isinstance(right, str):
            result = _compare_string(left.qualifier, right)
            return 1 if result == 0 else result  # X1 > X
        result = _compare_string(left.qualifier, right.qualifier)
        return result if result else _compare(left.number, right.number)
    if right is None:
        for item in left:
            result = _compare(item, None)
            if result:
                return result
        return 0
    if isinstance(right, int):
        return -1  # 1-1 < 1.0.x
    if isinstance(right, str | _Combination):
        return 1  # 1-1 > 1-sp
    for i in range(max(len(left), len(right))):
        lhs = left[i] if i < len(left) else None
        rhs = right[i] if i < len(right) else None
        # a missing item on the left compares as the right item against null, inverted
        result = (
            _compare(lhs, rhs)
            if lhs is not None
            else (-_compare(rhs, None) if rhs is not None else 0)
        )
        if result:
            return result
    return 0


@lru_cache(maxsize=65536)
def parse_maven(version: str) -> list[Item]:
    """The normalised item list of a Maven version (do not mutate: it is cached)."""
    items: list[Item] = []
    text = version.lower()
    current = items
    stack = [current]
    is_digit = False
    is_combination = False
    start = 0

    def open_sublist(dash: bool = False) -> None:
        nonlocal current
        if len(stack) > MAX_DEPTH:
            raise ValueError(f"Maven version nests more than {MAX_DEPTH} sub-lists")
        sub: list[Item] = _DashList() if dash else []
        current.append(sub)
        current = sub
        stack.append(sub)

    for i, ch in enumerate(text):
        if ch == ".":
            if i == start:
                current.append(0)
            else:
                current.append(_parse_item(is_combination, is_digit, text[start:i]))
            is_combination = False
            start = i + 1
        elif ch == "-":
            if i == start:
                current.append(0)
            else:
                # X-1 is read as X1
                if not is_digit and i != len(text) - 1 and "0" <= text[i + 1] <= "9":
                    is_combination = True
                    continue
                current.append(_parse_item(is_combination, is_digit, text[start:i]))
            start = i + 1
            if current:
                open_sublist(dash=True)
            is_combination = False
        elif "0" <= ch <= "9":
            if not is_digit and i > start:
                is_combination = True  # X1
                if current:
                    open_sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(_parse_item(is_combination, True, text[start:i]))
                start = i
                open_sublist()
                is_combination = False
            is_digit = False
    if len(text) > start:
        # 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X
        if not is_digit and current:
            open_sublist()
        current.append(_parse_item(is_combination, is_digit, text[start:]))
    while stack:
        _normalize(stack.pop())
    return items


def compare_maven(a: str, b: str) -> int:
    """-1, 0 or 1 comparing two Maven versions as Maven's ComparableVersion does."""
    return _compare(parse_maven(a), parse_maven(b))


maven_key = cmp_to_key(compare_maven)
