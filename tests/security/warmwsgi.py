"""kesu's WSGI application with its URLs imported up front, for ``gunicorn --preload`` in the
fault tests: every web worker is forked from a master that has already imported the views and
built the API, so a worker the test kills is replaced by one that answers at once."""

from django.urls import get_resolver

from kesu.wsgi import application

get_resolver().url_patterns  # noqa: B018 - imports every view module and the API's routers

__all__ = ["application"]
