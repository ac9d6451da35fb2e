"""Tables of the shared web layer: the fixed-window counters behind the rate limits."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """How many times ``key`` was counted in the window ending at ``window_end``.

    One row per key (an API token and its read or write bucket, or a keyed hash of a client
    network and what it tried), overwritten when a new window starts; rows whose window has
    ended are deleted as new windows start (``kesu.web.ratelimit``). ``window_end`` is in Unix
    seconds: windows are aligned to multiples of their length, so every process agrees on them.
    """

    key = models.CharField(max_length=100, primary_key=True)
    window_end = models.BigIntegerField(db_index=True)
    count = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.key[:24]} {self.count} until {self.window_end}"
