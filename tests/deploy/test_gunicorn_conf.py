"""kesu.gunicorn_conf: settings from the environment, access log lines as JSON objects."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
from types import SimpleNamespace

from gunicorn.config import Config


def load_conf(monkeypatch, **env: str):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("kesu.gunicorn_conf", None)
    return importlib.import_module("kesu.gunicorn_conf")


def test_settings_from_the_environment(monkeypatch):
    conf = load_conf(
        monkeypatch, KESU_ENV="production", KESU_BIND="0.0.0.0:9000", KESU_WEB_WORKERS="5"
    )
    assert conf.bind == ["0.0.0.0:9000"]
    assert conf.workers == 5
    assert conf.graceful_timeout == 30
    assert conf.wsgi_app == "kesu.wsgi:application"
    assert conf.logger_class is conf.JsonLogger


def test_text_logs_keep_gunicorns_format(monkeypatch):
    conf = load_conf(monkeypatch, KESU_ENV="production", KESU_LOG_FORMAT="text")
    # gunicorn's own lines, less the customers' private links (tests/portal/test_link_expiry.py).
    assert conf.logger_class is conf.PrivateLinkLogger


def test_access_line_is_json_without_the_query_string(monkeypatch, capsys):
    conf = load_conf(monkeypatch, KESU_ENV="production")
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("errorlog", "-")
    logger = conf.JsonLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/console/search",
        "QUERY_STRING": "q=13816620001",
        "RAW_URI": "/console/search?q=13816620001",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_USER_AGENT": "curl/8",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    resp = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    logger.access(resp, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=12.5))
    logger.error("worker %s booted", 7)
    out = capsys.readouterr()
    [access] = [json.loads(line) for line in out.out.splitlines()]
    assert access["logger"] == "gunicorn.access"
    assert access["message"] == "GET /console/search 200"
    assert access["status"] == 200
    assert access["bytes"] == 1234
    assert access["duration_ms"] == 12.5
    assert access["forwarded_for"] == "203.0.113.9"
    assert "13816620001" not in out.out
    [error] = [json.loads(line) for line in out.err.splitlines()]
    assert error == error | {"logger": "gunicorn.error", "message": "worker 7 booted"}
