"""Alibaba Cloud SMS adapter against a loopback server playing the provider."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import deliver_due, notify
from kesu.outbox.sms import get_sms_gateway
from kesu.outbox.sms_aliyun import AliyunSmsGateway, normalize_phone, sign
from tests.outbox.loopback import Answer, LoopbackServer, Request, closed_port_url

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
KEY_ID = "LTAI-test-key"
SECRET = "test-secret-不要外传"
GATEWAY = "kesu.outbox.sms_aliyun.AliyunSmsGateway"


def _expected_signature(query: dict[str, str], secret: str) -> str:
    """The provider's side, written out independently of the adapter."""

    def enc(text: str) -> str:
        return quote(text, safe="-_.~")

    pairs = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query.items()) if k != "Signature")
    to_sign = "GET&%2F&" + enc(pairs)
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class Provider:
    """Checks the signature with the test secret, then answers the scripted codes."""

    def __init__(self, server: LoopbackServer) -> None:
        self.server = server
        self.codes: list[str] = []
        self.queries: list[dict[str, str]] = []
        server.responder = self

    def __call__(self, request: Request) -> Answer:
        query = dict(parse_qsl(urlsplit(request.path).query, keep_blank_values=True))
        self.queries.append(query)
        if query.get("Signature") != _expected_signature(query, SECRET):
            return self._json(400, "SignatureDoesNotMatch", "Specified signature is not matched")
        code = self.codes.pop(0) if self.codes else "OK"
        if code == "HTTP 502":
            return Answer(502, b"<html>bad gateway</html>")
        return self._json(200, code, "OK" if code == "OK" else "refused")

    @staticmethod
    def _json(status: int, code: str, message: str) -> Answer:
        body = {"Code": code, "Message": message, "RequestId": "r-1"}
        if code == "OK":
            body["BizId"] = "900619746936498440^0"
        return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def provider(settings):
    with LoopbackServer() as server:
        settings.KESU_SMS_GATEWAY = GATEWAY
        settings.KESU_SMS_ALIYUN = {
            "access_key_id": KEY_ID,
            "access_key_secret": SECRET,
            "sign_name": "科速客服",
            "endpoint": server.url + "/",
            "region": "cn-hangzhou",
            "templates": {
                "complaint.received": "SMS_100001",
                "complaint.closed": {"code": "SMS_100002", "params": ["number", "title"]},
            },
            "default_template": "",
        }
        yield Provider(server)


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=5)


def _sms(event: str = "complaint.received", **context) -> OutboxMessage:
    context = {"number": "KS-20261116-0001", "link": "https://kesu.example.cn/portal/c/abc/"} | (
        context
    )
    [message] = notify(
        event=event, complaint_id=None, context=context, customer_phone="138 0013 8000"
    )
    return message


def test_signature_matches_the_providers_published_examples():
    sms_example = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sign(sms_example, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sign({**sms_example, "Signature": "old"}, "testSecret") == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )
    rpc_example = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert sign(rpc_example, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_selected_by_setting(provider):
    assert isinstance(get_sms_gateway(), AliyunSmsGateway)


def test_sent_with_template_params_and_our_message_id(provider, now):
    message = _sms(deadline="2026-11-17 09:00", customer="王女士")
    assert deliver_due(worker_id="w", now=now) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT

    [query] = provider.queries
    assert query["OutId"] == str(message.pk)
    assert query["PhoneNumbers"] == "13800138000"
    assert query["TemplateCode"] == "SMS_100001"
    assert query["SignName"] == "科速客服"
    assert json.loads(query["TemplateParam"]) == {
        "number": "KS-20261116-0001",
        "link": "https://kesu.example.cn/portal/c/abc/",
        "deadline": "2026-11-17 09:00",
    }
    assert {k: query[k] for k in ("Action", "Version", "Format", "RegionId")} == {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
    }
    assert (query["AccessKeyId"], query["SignatureMethod"], query["SignatureVersion"]) == (
        KEY_ID,
        "HMAC-SHA1",
        "1.0",
    )
    sent_at = dt.datetime.strptime(query["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(sent_at - timezone.now()) < dt.timedelta(minutes=1)


def test_template_with_its_own_params_and_truncated_values(provider, now):
    _sms(
        "complaint.closed",
        title="冷链运输途中温度超标导致整批货物变质，要求全额赔偿并书面说明原因和后续整改措施",
    )
    deliver_due(worker_id="w", now=now)
    [query] = provider.queries
    assert query["TemplateCode"] == "SMS_100002"
    params = json.loads(query["TemplateParam"])
    assert set(params) == {"number", "title"}
    assert len(params["title"]) == 35


def test_throttled_is_retried_with_a_fresh_nonce(provider, now):
    provider.codes = ["isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "OK"]
    message = _sms()
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "isv.BUSINESS_LIMIT_CONTROL" in message.last_error

    deliver_due(worker_id="w", now=now + dt.timedelta(seconds=31))
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 2)

    deliver_due(worker_id="w", now=now + dt.timedelta(seconds=92))
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert {q["OutId"] for q in provider.queries} == {str(message.pk)}
    assert len({q["SignatureNonce"] for q in provider.queries}) == 3


def test_provider_outage_is_retried(provider, now):
    provider.codes = ["HTTP 502"]
    message = _sms()
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert message.status == Status.PENDING and "HTTP 502" in message.last_error


def test_unreachable_provider_is_retried(provider, settings, now):
    settings.KESU_SMS_ALIYUN = {**settings.KESU_SMS_ALIYUN, "endpoint": closed_port_url() + "/"}
    message = _sms()
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert message.status == Status.PENDING and "AliyunSmsUnavailable" in message.last_error


@pytest.mark.parametrize(
    "code", ["isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "InvalidAccessKeyId"]
)
def test_refusals_are_permanent(provider, now, code):
    provider.codes = [code]
    message = _sms()
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 1)
    assert code in message.last_error


def test_wrong_secret_is_refused_by_the_provider(provider, settings, now):
    settings.KESU_SMS_ALIYUN = {**settings.KESU_SMS_ALIYUN, "access_key_secret": "wrong"}
    message = _sms()
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert message.status == Status.DEAD and "SignatureDoesNotMatch" in message.last_error


def test_event_without_template_goes_dead_unless_a_default_exists(provider, settings, now):
    message = _sms("milestone.warning")
    deliver_due(worker_id="w", now=now)
    message.refresh_from_db()
    assert message.status == Status.DEAD and "no Aliyun SMS template" in message.last_error
    assert provider.queries == []

    settings.KESU_SMS_ALIYUN = {**settings.KESU_SMS_ALIYUN, "default_template": "SMS_199999"}
    _sms("milestone.warning")
    deliver_due(worker_id="w", now=now)
    assert provider.queries[-1]["TemplateCode"] == "SMS_199999"


def test_missing_keys_are_a_configuration_error(settings):
    settings.KESU_SMS_ALIYUN = {"access_key_id": "x", "sign_name": "y"}
    with pytest.raises(ImproperlyConfigured, match="access_key_secret"):
        AliyunSmsGateway()


def test_phone_numbers_as_the_provider_wants_them():
    assert normalize_phone("+86 138-0013-8000") == "13800138000"
    assert normalize_phone("+852 6123 4567") == "85261234567"
    assert normalize_phone("13800138000") == "13800138000"
