"""Processes that must not outlive the process that started them: the worker `serve` runs, the
web processes of a multi-process server, an RQ work horse and the helper processes of an import.

A process killed with SIGKILL runs no clean-up of its own, so each child arranges at its start
to be ended when its parent dies (on Linux the kernel does it; elsewhere a thread watches)."""

import contextlib
import ctypes
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

_PR_SET_PDEATHSIG = 1
_WATCH_SECONDS = 1.0


def die_with_parent(parent_pid: int) -> None:
    """End this process at once when `parent_pid`, the process that started it, dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    else:
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="kartoteka-parent-watch", daemon=True
        ).start()
    # The parent may have died before the kernel was asked to tell: then nobody ever will.
    if os.getppid() != parent_pid:
        os._exit(1)


def _watch_parent(parent_pid: int) -> None:
    # An orphan is adopted by another process, so its parent's id changes.
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _start_helper(
    parent_pid: int,
    niceness: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> None:
    # A helper forked from a `kartoteka worker` inherits the worker's SIGTERM handler, which
    # only asks the task loop to stop after its task: the helper would outlive a SIGTERM.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent_pid)
    if niceness:
        os.nice(niceness)
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def helper_pool(
    size: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    *,
    niceness: int = 0,
) -> Iterator[multiprocessing.pool.Pool]:
    """A pool of `size` forked helper processes that end with this process, each `niceness`
    steps below this process's scheduling priority (`os.nice`): work that may wait for the
    cores while requests are served.

    Leaving the block waits for the work already handed out, then each helper ends on its own
    when it reads the pool's stop sentinel. `with Pool()` would call Pool.terminate(), which
    may itself read a helper's sentinel off the queue and then counts on SIGTERM to end that
    helper; in a `kartoteka worker` the helper inherited the worker's SIGTERM handler (stop
    after the current task) and lived on, so the worker waited for it forever, its import
    written to the end but never marked done."""
    pool = multiprocessing.get_context("fork").Pool(
        size, initializer=_start_helper, initargs=(os.getpid(), niceness, initializer, initargs)
    )
    try:
        yield pool
    finally:
        pool.close()
        pool.join()
