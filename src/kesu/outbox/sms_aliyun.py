"""Alibaba Cloud SMS (阿里云短信服务): ``SendSms`` of dysmsapi, API version 2017-05-25.

Chinese providers send pre-approved templates, not free text: the message's event picks a
template code and the message context fills its variables (``TemplateParam``). The request is
an RPC-style GET signed with HMAC-SHA1 (Alibaba Cloud "signature version 1.0"); our stable
message id goes out as ``OutId``, which comes back in the provider's delivery receipts.

Configuration: setting ``KESU_SMS_ALIYUN`` (docs/notifications.md), read when the gateway is
made, i.e. at each send.

Outcome: ``Code`` "OK" → sent; throttling, flow control and provider-side errors → retried
with the outbox backoff (``AliyunSmsUnavailable``); anything else (illegal number, missing
template parameters, bad keys or signature) → ``PermanentDeliveryError`` (dead).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import re
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kesu.outbox.services import PermanentDeliveryError

logger = logging.getLogger("kesu.outbox.sms")

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
DEFAULT_REGION = "cn-hangzhou"
# Context values sent as template variables unless a template names its own.
DEFAULT_PARAMS = ("number", "link", "deadline")
# Alibaba Cloud caps most template variables at 35 characters; a link variable is exempt by
# default because a cut link is worse than a refused message. Both configurable.
DEFAULT_PARAM_MAX_LENGTH = 35
DEFAULT_PARAM_MAX_LENGTHS = {"link": 0}
DEFAULT_TIMEOUT_SECONDS = 10.0

# Codes that a later try can get past (flow control, provider trouble, balance topped up).
TEMPORARY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.OUT_OF_SERVICE",
        "isv.AMOUNT_NOT_ENOUGH",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)
TEMPORARY_PREFIXES = ("Throttling",)


class AliyunSmsUnavailable(Exception):
    """The provider could not take the message now: the outbox tries again later."""


def percent_encode(value: str) -> str:
    """RFC 3986 as Alibaba Cloud signs it: only A-Z a-z 0-9 - _ . ~ stay; space is %20."""
    return quote(value, safe="~")


def sign(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    """The ``Signature`` parameter: base64 HMAC-SHA1, key ``secret + "&"``, over
    ``METHOD&%2F&`` + the percent-encoded canonical query (parameters sorted by name)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Template:
    code: str
    params: tuple[str, ...]


@dataclass
class AliyunConfig:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    endpoint: str = DEFAULT_ENDPOINT
    region: str = DEFAULT_REGION
    templates: dict[str, Any] = field(default_factory=dict)
    default_template: Any = ""
    params: tuple[str, ...] = DEFAULT_PARAMS
    param_max_length: int = DEFAULT_PARAM_MAX_LENGTH
    param_max_lengths: dict[str, int] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, conf: Mapping[str, Any]) -> AliyunConfig:
        missing = [
            k for k in ("access_key_id", "access_key_secret", "sign_name") if not conf.get(k)
        ]
        if missing:
            raise ImproperlyConfigured(f"KESU_SMS_ALIYUN is missing {', '.join(missing)}")
        known = cls.__dataclass_fields__.keys()
        values = {k: v for k, v in conf.items() if k in known and v not in (None, "")}
        if "params" in values:
            values["params"] = tuple(values["params"])
        values["param_max_lengths"] = {
            **DEFAULT_PARAM_MAX_LENGTHS,
            **dict(values.get("param_max_lengths") or {}),
        }
        return cls(**values)

    def template(self, event: str) -> Template:
        """``templates[event]``, else ``default_template``; each a code or
        ``{"code": ..., "params": [...]}``."""
        entry = self.templates.get(event) or self.default_template
        if not entry:
            raise PermanentDeliveryError(f"no Aliyun SMS template for event {event!r}")
        if isinstance(entry, str):
            return Template(entry, self.params)
        return Template(str(entry["code"]), tuple(entry.get("params", self.params)))

    def template_param(self, template: Template, context: Mapping[str, Any]) -> dict[str, str]:
        values: dict[str, str] = {}
        for name in template.params:
            if context.get(name) in (None, ""):
                continue  # the provider says which variable the template lacks
            value = str(context[name])
            limit = self.param_max_lengths.get(name, self.param_max_length)
            values[name] = value[:limit] if limit else value
        return values


def normalize_phone(phone: str) -> str:
    """Digits as Alibaba Cloud wants them: mainland numbers bare (11 digits), others with
    their country code and no ``+``/``00``."""
    digits = re.sub(r"[\s()-]", "", phone)
    if digits.startswith("+86"):
        return digits[3:]
    return digits.removeprefix("+")


@dataclass
class _Reply:
    status: int
    body: bytes


def _get(url: str, timeout: float) -> _Reply:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if https:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
    try:
        conn.request(
            "GET", f"{parts.path or '/'}?{parts.query}", headers={"Accept": "application/json"}
        )
        response = conn.getresponse()
        return _Reply(response.status, response.read(64 * 1024))
    except (OSError, http.client.HTTPException) as exc:
        raise AliyunSmsUnavailable(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


class AliyunSmsGateway:
    """``KESU_SMS_GATEWAY = "kesu.outbox.sms_aliyun.AliyunSmsGateway"``."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        if config is None:
            config = getattr(settings, "KESU_SMS_ALIYUN", None) or {}
        self.config = AliyunConfig.from_settings(config)

    def request_params(
        self, phone: str, message_id: str, event: str, context: Mapping[str, Any]
    ) -> dict[str, str]:
        conf = self.config
        template = conf.template(event)
        params = {
            "AccessKeyId": conf.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message_id,
            "PhoneNumbers": normalize_phone(phone),
            "RegionId": conf.region,
            "SignName": conf.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            # A fresh nonce per request: the provider refuses a nonce it has seen (replay).
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template.code,
            "TemplateParam": json.dumps(
                conf.template_param(template, context), ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        params["Signature"] = sign(params, conf.access_key_secret)
        return params

    def send(
        self,
        phone: str,
        text: str,
        message_id: str,
        *,
        event: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        query = self.request_params(phone, message_id, event, params or {})
        url = self.config.endpoint + "?" + urlencode(query, quote_via=quote)
        reply = _get(url, self.config.timeout)
        try:
            answer = json.loads(reply.body)
            code = str(answer.get("Code", ""))
        except (ValueError, AttributeError):
            answer, code = {}, ""
        if code == "OK":
            logger.info(
                json.dumps(
                    {"event": "sms.aliyun.sent", "id": message_id, "biz_id": answer.get("BizId")}
                )
            )
            return
        detail = f"Aliyun {code or f'HTTP {reply.status}'}: {answer.get('Message', '')}".strip()
        if code in TEMPORARY_CODES or code.startswith(TEMPORARY_PREFIXES):
            raise AliyunSmsUnavailable(detail)
        if not code and (reply.status in (408, 429) or reply.status >= 500):
            raise AliyunSmsUnavailable(detail)
        raise PermanentDeliveryError(detail)
