"""gunicorn settings for production: ``gunicorn -c python:kesu.gunicorn_conf``.

Everything comes from the environment (docs/deployment.md):

- ``KESU_BIND`` (``127.0.0.1:8000``; ``0.0.0.0:8000`` when the proxy is on another host)
- ``KESU_WEB_WORKERS`` (2 × CPUs + 1), ``KESU_WEB_THREADS`` (1)
- ``KESU_WEB_TIMEOUT`` (60 s: a request running longer has its worker restarted),
  ``KESU_WEB_GRACEFUL_TIMEOUT`` (30 s to finish requests in flight after SIGTERM / HUP)
- ``KESU_WEB_MAX_REQUESTS`` (2000, with jitter: workers are recycled now and then)
- ``KESU_LOG_FORMAT`` (``json`` when ``KESU_ENV=production``): access and error logs as JSON
  lines, one object per request (method, path without the query string, status, bytes,
  duration_ms, remote address, forwarded_for, user agent)

``kesu serve`` stays the embedded all-in-one and does not read this file.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

from gunicorn import glogging

from kesu.logjson import JsonFormatter, RedactPrivateLinks

_production = os.environ.get("KESU_ENV", "development") == "production"
_json = os.environ.get("KESU_LOG_FORMAT", "json" if _production else "text") == "json"

wsgi_app = "kesu.wsgi:application"
bind = [os.environ.get("KESU_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("KESU_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("KESU_WEB_THREADS", "1"))
timeout = int(os.environ.get("KESU_WEB_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("KESU_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("KESU_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("KESU_LOG_LEVEL", "info").lower()
proc_name = "kesu-web"
# gunicorn ≥ 24's control socket sits at one path per user (~/.gunicorn/gunicorn.ctl): two
# servers on a host would take it from each other, and systemd's signals do its job here.
control_socket_disable = True


_REDACT = RedactPrivateLinks()


class PrivateLinkLogger(glogging.Logger):
    """gunicorn's logger without customers' private portal links in its lines: the access log
    names every path and request line (kesu.logjson.RedactPrivateLinks)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(_REDACT)


class JsonLogger(PrivateLinkLogger):
    """gunicorn's logger with every line a JSON object (kesu.logjson.JsonFormatter)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        method = environ.get("REQUEST_METHOD", "")
        path = environ.get("PATH_INFO", "")
        self.access_log.log(
            logging.INFO,
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "method": method,
                "path": path,  # not the query string: searches may hold phone numbers
                "status": int(status),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "remote": environ.get("REMOTE_ADDR", ""),
                "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR", ""),
                "user_agent": environ.get("HTTP_USER_AGENT", ""),
                "protocol": environ.get("SERVER_PROTOCOL", ""),
            },
        )


logger_class = JsonLogger if _json else PrivateLinkLogger
