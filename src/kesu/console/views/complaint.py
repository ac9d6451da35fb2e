"""Placeholder being built now (issue 3); replaced by the real views."""

from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404


detail = act = attachment = _todo
