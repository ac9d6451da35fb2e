"""A rate as the settings write it: ``600/min``, ``30/15min``, ``5/10s``, ``1000/h``, ``100/day``.

Pure Python with no Django import, so ``settings.py`` parses its ``KESU_*`` rates at start-up
and a wrong value stops the process with a clear message instead of failing at the first
request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` events per window of ``seconds``."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(text: str) -> Rate:
    """``"600/min"`` → ``Rate(600, 60)``; ``"30/15min"`` → ``Rate(30, 900)``."""
    match = _PATTERN.match(text.strip().lower())
    if match is None or match.group(3) not in UNITS:
        raise ValueError(
            f"{text!r} is not a rate: write COUNT/PERIOD, e.g. 600/min, 30/15min, 10/s"
            f" (units: {', '.join(UNITS)})"
        )
    count = int(match.group(1))
    seconds = int(match.group(2) or 1) * UNITS[match.group(3)]
    if count < 1 or seconds < 1:
        raise ValueError(f"{text!r}: the count and the period must both be at least 1")
    return Rate(count=count, seconds=seconds)
