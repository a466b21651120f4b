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
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC for the block (re-enabled after, if it was enabled)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
