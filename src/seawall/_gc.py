"""Pausing Python's cyclic garbage collector around bulk work.

Readers and the matcher allocate hundreds of thousands of small, acyclic objects (dicts,
Structs, tuples) that all stay alive; generation-0 collections over them cost more than the
work itself. Reference counting still frees everything; only cycle detection waits.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused(*, keep: bool = False) -> Iterator[None]:
    """Disable the cyclic GC for the block (re-enabled after, if it was enabled).

    keep=True, for blocks whose results live on (a scan's findings): when the block ends
    normally, the objects it built move straight to the oldest generation (gc.freeze() then
    gc.unfreeze(), constant time) instead of being traversed by the young collection that
    the block's allocations trigger at the next allocation. Nothing stays frozen and the GC
    is enabled as before; cycles among them are still found by later full collections.
    The caller's own young objects move with them (they are collected later, not never).
    Skipped when the GC was already disabled (a nested pause: the outer one decides) or the
    process froze objects itself (gc.freeze() before fork: those must stay frozen).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    except BaseException:
        if enabled:
            gc.enable()
        raise
    if enabled:
        if keep and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
