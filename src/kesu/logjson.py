"""Log records as JSON lines: one JSON object per record, whatever the record holds.

``KESU_LOG_FORMAT=json`` (the production default) puts :class:`JsonFormatter` on the console
handler; gunicorn's access and error logs use it too (``kesu.gunicorn_conf``). Each line has
``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; a message that is itself a JSON
object (the outbox's ``log_event``) is merged into the line instead, and the ``extra`` fields of
a record (Django's ``status_code``, gunicorn's access fields) are added beside them. A record
with an exception carries its traceback in ``exc_info``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)).keys()
    | {"message", "asctime", "color_message"}
)
_BASE = ("time", "level", "logger")


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON (no newline inside: tracebacks are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
        }
        fields = _json_object(message)
        if fields is None:
            line["message"] = message
        else:
            for key, value in fields.items():
                line[key if key not in _BASE else f"{key}_"] = value
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _json_object(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
