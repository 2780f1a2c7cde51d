"""Process-level helpers for bulk steps of the core."""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

Result = TypeVar("Result")

_lock = threading.Lock()
_paused = 0  # bulk steps running now, in any thread
_was_enabled = False  # the collector's state when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a bulk step.

    A bulk step (preparing 20 000 import lines, building a campaign's cases, a dashboard's tables
    and maps) allocates many short-lived objects while tens of thousands of others stay alive (the
    COG, the app's caches); each automatic collection walks them all: a fifth of an import's time,
    and one queue computation in three taking 100 ms more. Reference counting still frees
    everything; cycles are collected later as usual.

    Steps may overlap (nested, or in several sessions of one server: the collector is one per
    process): it runs again when the last of them ends, if it ran when the first began.
    """
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def bulk(step: Callable[..., Result]) -> Callable[..., Result]:
    """Decorate a function that builds tens of thousands of objects at once: it runs with the
    collector paused (``collector_paused``)."""
    @functools.wraps(step)
    def paused(*args: Any, **kwargs: Any) -> Result:
        with collector_paused():
            return step(*args, **kwargs)
    return paused
