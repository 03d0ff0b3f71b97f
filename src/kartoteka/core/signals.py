"""Signals of the process lifecycle that apps hook into without the kernel knowing them."""

from django.dispatch import Signal

# Sent by `kartoteka worker` before it takes tasks: apps queue again the work that a killed
# worker left half done (an import interrupted mid-file, say).
worker_starting = Signal()

# Sent every few seconds by a running worker (core.schedule): apps take over the work of a
# worker that died meanwhile (an import whose heartbeat stopped), without waiting for a
# worker to start.
worker_ticking = Signal()
