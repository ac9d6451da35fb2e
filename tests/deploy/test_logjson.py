"""kesu.logjson: every record is one line holding one JSON object."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kesu.logjson import JsonFormatter
from tests.deploy.conftest import run_python


@pytest.fixture
def capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kesu.test.logjson")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)

    def lines() -> list[dict]:
        text = stream.getvalue()
        assert text.endswith("\n")
        return [json.loads(line) for line in text.splitlines()]

    yield logger, lines
    logger.removeHandler(handler)
    logger.propagate = True


def test_plain_message(capture):
    logger, lines = capture
    logger.warning("投诉 %s 已超时\n第二行", "KS-1")
    [line] = lines()
    assert line["level"] == "WARNING"
    assert line["logger"] == "kesu.test.logjson"
    assert line["message"] == "投诉 KS-1 已超时\n第二行"
    assert line["time"].endswith("+00:00")


def test_json_message_is_merged_and_cannot_hide_the_base_fields(capture):
    logger, lines = capture
    logger.info(json.dumps({"event": "outbox.sent", "id": 7, "level": "fake", "time": 1}))
    [line] = lines()
    assert line["event"] == "outbox.sent"
    assert line["id"] == 7
    assert line["level"] == "INFO"
    assert line["level_"] == "fake"
    assert line["time_"] == 1
    assert "message" not in line


def test_brace_text_that_is_not_an_object_stays_a_message(capture):
    logger, lines = capture
    logger.info("{not json")
    logger.info("[1, 2]")
    assert [line["message"] for line in lines()] == ["{not json", "[1, 2]"]


def test_extra_fields_any_type(capture):
    logger, lines = capture
    logger.info("request", extra={"status_code": 404, "request": object(), "path": "/x"})
    [line] = lines()
    assert line["status_code"] == 404
    assert line["path"] == "/x"
    assert line["request"].startswith("<object object")


def test_exception_and_stack(capture):
    logger, lines = capture
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    logger.info("here", stack_info=True)
    failed, here = lines()
    assert failed["level"] == "ERROR"
    assert "Traceback" in failed["exc_info"]
    assert "ValueError: boom" in failed["exc_info"]
    assert "test_exception_and_stack" in here["stack_info"]


def test_settings_switch_the_console_to_json(prod_env):
    code = (
        "import logging, django; django.setup()\n"
        "logging.getLogger('kesu.x').warning('one\\ntwo')\n"
        "logging.getLogger('django.request').error('bad', extra={'status_code': 500})\n"
    )
    result = run_python(code, prod_env())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("kesu.x", "one\ntwo"),
        ("django.request", "bad"),
    ]
    assert lines[1]["status_code"] == 500
    text = run_python(code, prod_env(KESU_LOG_FORMAT="text"))
    assert text.stderr.splitlines()[:2] == ["one", "two"]
