"""Worker processes for the build and the search index: one way to fork them.

A fork inherits the parent's signal handlers. Under ``govsite db_worker`` (or a test process
that ran it) SIGTERM and SIGQUIT only ask the worker to stop, so ``Pool.terminate()`` could never
end an idle child and a build hung for ever. Every pool the project starts goes through
:func:`fork_pool`, whose children reset those handlers first.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.pool import Pool


def reset_signal_handlers() -> None:
    """Let a forked child die on SIGTERM, SIGINT and SIGQUIT, whatever its parent installed."""
    for name in ("SIGTERM", "SIGINT", "SIGQUIT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def fork_pool(processes: int) -> Pool:
    """A ``fork`` pool whose children end on ``terminate()`` (see the module docstring).

    The parent's objects are frozen (``gc.freeze``) while the children are forked: a child's
    collections then never walk them, so the pages holding them stay shared with the parent instead
    of being copied into every child (the summed memory of a build's processes)."""
    gc.freeze()
    try:
        return multiprocessing.get_context("fork").Pool(processes, initializer=reset_signal_handlers)
    finally:
        gc.unfreeze()


def fork_executor(processes: int) -> ProcessPoolExecutor:
    """A ``fork`` executor for long-lived background work, its children reset as :func:`fork_pool`'s.

    Unlike a ``Pool``, whose lost task waits for ever when its worker dies (Ctrl-C reaches the
    whole process group, the kernel's OOM killer), an executor fails every pending future with
    ``BrokenProcessPool``. Its workers start with the first task: submit one at once to fork
    before the caller starts threads of its own."""
    gc.freeze()
    try:
        return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                   initializer=reset_signal_handlers)
    finally:
        gc.unfreeze()
