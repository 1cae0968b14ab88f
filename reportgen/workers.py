"""Worker processes forked from the running command, so they inherit what it has loaded.

Loading fact files and rendering pages are spread over the machine's cores by forking:
a worker starts with the parent's memory (the registries, the content, the templates),
so nothing has to be pickled on the way in, only results on the way back.  Forking is
unsafe once vl-convert has started its runtime threads in the process (see
:func:`reportgen.vega.runtime_started`), so a long-running process (``serve``, the tests)
does the work in place instead.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    """Whether worker processes may fork from this one: only while vl-convert's runtime
    has not been started here, and where the system forks at all."""
    from .vega import runtime_started

    return not runtime_started() and "fork" in multiprocessing.get_all_start_methods()


def cores() -> int:
    return os.cpu_count() or 1


class WorkerFailed(Exception):
    """An unexpected error in a worker, raised again in the parent as its text (an
    exception object itself may not survive the way back)."""


_WORK: Callable | None = None


def _run_chunk(items: list) -> list:
    return [_WORK(item) for item in items]


def forked_map(work: Callable[[T], R], items: Iterable[T], processes: int,
               chunk: int = 16) -> Iterator[R]:
    """``map(work, items)`` in *processes* forked workers, results in order.  *work* may
    be any callable (a closure over loaded data): the workers inherit it by forking."""
    global _WORK
    items = list(items)
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    _WORK = work
    # What the workers inherit is frozen for the collector: its full collections would
    # otherwise write to every object they share with this process, and the operating
    # system would copy those pages into each worker (at national scale, the content
    # again per worker).
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for results in pool.imap(_run_chunk, chunks):
                yield from results
    finally:
        _WORK = None
        gc.unfreeze()
