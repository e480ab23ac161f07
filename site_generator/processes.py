"""Worker processes for the build and the search index: one way to fork them.

A fork inherits the parent's signal handlers. Under ``govsite db_worker`` (or a test process
that ran it) SIGTERM and SIGQUIT only ask the worker to stop, so ``Pool.terminate()`` could never
end an idle child and a build hung for ever. Every pool the project starts goes through
:func:`fork_pool`, whose children reset those handlers first.
"""

from __future__ import annotations

import multiprocessing
import signal
from multiprocessing.pool import Pool


def reset_signal_handlers() -> None:
    """Let a forked child die on SIGTERM, SIGINT and SIGQUIT, whatever its parent installed."""
    for name in ("SIGTERM", "SIGINT", "SIGQUIT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def fork_pool(processes: int) -> Pool:
    """A ``fork`` pool whose children end on ``terminate()`` (see the module docstring)."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=reset_signal_handlers)
