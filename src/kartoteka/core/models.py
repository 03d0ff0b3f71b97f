"""Core tables: when each periodic job was last handed to the task queue."""

from django.db import models


class PeriodicRun(models.Model):
    """One row per periodic job; a worker claims a due run by moving `last_enqueued_at` forward."""

    name = models.CharField(max_length=100, primary_key=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_enqueued_at:%Y-%m-%d %H:%M}"
