"""SMS gateways. A real provider plugs in by dotted path in ``KESU_SMS_GATEWAY``
(``kesu.outbox.sms_aliyun.AliyunSmsGateway``: Alibaba Cloud; docs/notifications.md)."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("kesu.outbox.sms")

DEFAULT_GATEWAY = "kesu.outbox.sms.ConsoleSmsGateway"


@runtime_checkable
class SmsGateway(Protocol):
    def send(
        self,
        phone: str,
        text: str,
        message_id: str,
        *,
        event: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Send or raise. ``message_id`` is stable across re-deliveries of one message.

        ``event`` (e.g. ``complaint.received``) and ``params`` (the message's context values)
        serve providers that send pre-approved templates instead of ``text``. Gateways written
        for ``send(phone, text, message_id)`` still work: see ``send_sms``.
        """


def send_sms(
    gateway: SmsGateway,
    phone: str,
    text: str,
    message_id: str,
    *,
    event: str,
    params: Mapping[str, Any],
) -> None:
    """Call ``gateway.send``, passing ``event`` and ``params`` only if it accepts them."""
    if _takes_template_args(gateway):
        gateway.send(phone, text, message_id, event=event, params=params)
    else:
        gateway.send(phone, text, message_id)


def _takes_template_args(gateway: SmsGateway) -> bool:
    try:
        parameters = inspect.signature(gateway.send).parameters
    except (TypeError, ValueError):
        return False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return True
    return {"event", "params"} <= parameters.keys()


class ConsoleSmsGateway:
    """Logs the message instead of sending it (development default)."""

    def send(
        self,
        phone: str,
        text: str,
        message_id: str,
        *,
        event: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        logger.info(
            json.dumps(
                {
                    "event": "sms.console",
                    "to": phone,
                    "id": message_id,
                    "sms_event": event,
                    "text": text,
                },
                ensure_ascii=False,
            )
        )


class FileSmsGateway:
    """Appends one JSON line per message to a file (demos, tests, hand-off to another tool).

    Path: the argument, else setting ``KESU_SMS_FILE``, else ``DATA_DIR/sms.jsonl``.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            path = getattr(settings, "KESU_SMS_FILE", None) or (
                Path(getattr(settings, "DATA_DIR", ".")) / "sms.jsonl"
            )
        self.path = Path(path)

    def send(
        self,
        phone: str,
        text: str,
        message_id: str,
        *,
        event: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        record = {
            "id": message_id,
            "to": phone,
            "event": event,
            "text": text,
            "at": timezone.now().isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one line in append mode: lines from several workers don't interleave.
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def get_sms_gateway() -> SmsGateway:
    """Instantiate the gateway named by ``KESU_SMS_GATEWAY`` (read at call time)."""
    path = getattr(settings, "KESU_SMS_GATEWAY", None) or DEFAULT_GATEWAY
    factory = import_string(path)
    return factory()
