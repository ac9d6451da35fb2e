"""Log records as JSON lines: one JSON object per record, whatever the record holds.

``KESU_LOG_FORMAT=json`` (the production default) puts :class:`JsonFormatter` on the console
handler; gunicorn's access and error logs use it too (``kesu.gunicorn_conf``). Each line has
``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; a message that is itself a JSON
object (the outbox's ``log_event``) is merged into the line instead, and the ``extra`` fields of
a record (Django's ``status_code``, gunicorn's access fields) are added beside them. A record
with an exception carries its traceback in ``exc_info``.

No line holds a customer's private portal link (``/portal/c/<token>/``, the follow-up form's
``?after=<token>``): the link is the key to a complaint, and logs are read and kept by more
people than the complaint. :class:`RedactPrivateLinks` (on the console handler and gunicorn's
logs) and :class:`JsonFormatter` write ``/portal/c/…/`` instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)).keys()
    | {"message", "asctime", "color_message"}
)
_BASE = ("time", "level", "logger")

# The key in a portal path or a follow-up query; a backslash ends it too, so a JSON escape
# next to a (wrong) token is never cut in half.
_PRIVATE_LINK = re.compile(
    r"(/portal/c/)[^/\s?#\"'\\]+|(/portal/\?(?:[^&\s#\"'\\]*&)*after=)[^&\s#\"'\\]+"
)


def redact_private_links(text: str) -> str:
    return _PRIVATE_LINK.sub(lambda m: (m.group(1) or m.group(2)) + "…", text)


class RedactPrivateLinks(logging.Filter):
    """Take private portal links out of a record's message and text fields (gunicorn's
    ``path``), whatever the formatter; every record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken record: the handler reports it as it would have
        clean = redact_private_links(message)
        if clean != message:
            record.msg, record.args = clean, ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact_private_links(value))
        return True


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
        # Also what ``default=str`` made of objects (Django's ``request`` names its path).
        return redact_private_links(json.dumps(line, ensure_ascii=False, default=str))


def _json_object(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
