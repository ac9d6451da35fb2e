"""Fault-test figures: one line on the terminal and one JSON object per line in a file.

The file is ``$KESU_FAULT_REPORT`` if set, else ``fault-report.jsonl`` in pytest's base
temporary directory (printed with the first figure).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection


def report_path(request: pytest.FixtureRequest) -> Path:
    given = os.environ.get("KESU_FAULT_REPORT")
    if given:
        return Path(given)
    factory = request.getfixturevalue("tmp_path_factory")
    return factory.getbasetemp() / "fault-report.jsonl"


def record(
    request: pytest.FixtureRequest,
    name: str,
    *,
    sent: int,
    received: int,
    duplicates: int,
    lost: int,
    seconds: float,
    **extra: Any,
) -> str:
    """Write the figures of one fault test; returns the line printed."""
    figures = {
        "sent": sent,
        "received": received,
        "duplicates": duplicates,
        "lost": lost,
        "seconds": round(seconds, 2),
        **extra,
    }
    line = f"faults: {name} db={connection.vendor} " + " ".join(
        f"{key}={value}" for key, value in figures.items()
    )
    path = report_path(request)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(
            json.dumps(
                {"test": name, "db": connection.vendor, "nodeid": request.node.nodeid, **figures},
                ensure_ascii=False,
            )
            + "\n"
        )
    # Past pytest's output capture, so the line shows without -s.
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(f"{line}  (→ {path})")
    return line
