"""gc_paused leaves a library caller's garbage collector as it found it."""

from __future__ import annotations

import gc
import weakref

import pytest

from seawall._gc import gc_paused


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.mark.parametrize("keep", [False, True])
def test_gc_paused_reenables_and_cycles_are_still_collected(keep: bool) -> None:
    assert gc.isenabled()
    with gc_paused(keep=keep):
        assert not gc.isenabled()
        built = _cycle()  # a cycle made inside the block, dropped after it
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # nothing stays frozen
    assert built() is not None
    gc.collect()
    assert built() is None  # a full collection still finds it


def test_gc_paused_reenables_after_an_error_and_keeps_a_disabled_gc_disabled() -> None:
    with pytest.raises(ValueError), gc_paused(keep=True):
        raise ValueError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused(keep=True):
            pass
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()


def test_gc_paused_keep_leaves_objects_the_process_froze_frozen() -> None:
    gc.collect()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused(keep=True):
            extra = [[] for _ in range(100)]
        assert gc.get_freeze_count() == frozen  # neither unfrozen nor grown
        assert len(extra) == 100
    finally:
        gc.unfreeze()
