"""Pause the cyclic garbage collector around a stage that builds many objects and no cycles.

Parsing, analysing and checking a large policy allocate hundreds of thousands of small,
acyclic objects (parse trees, AST and IR nodes, formulas); every allocation burst sets off a
full collection that scans all of them again, which makes the stages quadratic in the size
of the policy. Reference counting still frees everything; the collector runs again after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off (unless it already was), then restore it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
