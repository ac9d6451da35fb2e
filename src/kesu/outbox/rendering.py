"""Turning an event, a channel, a language and a context into a subject and a body."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kesu.outbox.default_templates import DEFAULT_TEMPLATES
from kesu.outbox.models import Language, MessageTemplate


class TemplateMissing(LookupError):
    pass


class _Missing:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _LenientFormatter(string.Formatter):
    """``str.format_map`` semantics, but an unknown ``{name}`` stays visible and never raises.

    Only plain names are looked up: ``{a.b}`` / ``{a[0]}`` are left as written, because the
    templates are edited in the admin and attribute access would let them walk Python objects.
    """

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        if field_name.isidentifier() and field_name in kwargs:
            return kwargs[field_name], field_name
        return _Missing(field_name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, _Missing):
            return "{" + value.name + (":" + format_spec if format_spec else "") + "}"
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):  # e.g. "{amount:.2f}" given a string
            return str(value)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, _Missing):
            return value
        return super().convert_field(value, conversion)


_formatter = _LenientFormatter()


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Fill ``{placeholders}`` from ``context``; unknown ones stay as ``{name}``."""
    try:
        return _formatter.vformat(template, (), dict(context))
    except ValueError:
        # Unbalanced braces in an edited template: send it as written rather than nothing.
        return template


def normalize_language(language: str | None) -> str:
    lang = (language or "").lower().replace("_", "-")
    return Language.EN if lang.startswith("en") else Language.ZH_HANS


def find_template(event: str, channel: str, language: str) -> tuple[str, str]:
    """(subject, body) source text: admin row for the channel, then code default, then Chinese."""
    language = normalize_language(language)
    row = (
        MessageTemplate.objects.filter(event=event, channel=channel, language=language)
        .values_list("subject", "body")
        .first()
    )
    if row is not None:
        return row[0], row[1]
    for lang in dict.fromkeys([language, Language.ZH_HANS]):
        default = DEFAULT_TEMPLATES.get((event, lang))
        if default is not None:
            return default["subject"], default["body"]
    raise TemplateMissing(f"no template for event {event!r} ({channel}, {language})")


# Context values stored as codes and worded in the recipient's language, not the actor's.
WORDED_VALUES: dict[str, dict[str, Any]] = {
    "decision": {"approved": _("approved"), "refused": _("refused")},
}


def _worded(context: Mapping[str, Any], language: str) -> dict[str, Any]:
    words = dict(context)
    # Names the policy gives in both languages travel as ``_en`` beside the Chinese ones.
    english = words.pop("_en", None)
    if normalize_language(language) == Language.EN and isinstance(english, Mapping):
        words.update(english)
    with translation.override(normalize_language(language)):
        for key, choices in WORDED_VALUES.items():
            value = words.get(key)
            if isinstance(value, str) and value in choices:
                words[key] = str(choices[value])
    return words


def render(event: str, channel: str, language: str, context: Mapping[str, Any]) -> tuple[str, str]:
    subject, body = find_template(event, channel, language)
    context = _worded(context, language)
    rendered_subject = render_text(subject, context)
    # Header injection guard and SMTP requirement: a subject is one line.
    rendered_subject = " ".join(rendered_subject.split())
    return rendered_subject, render_text(body, context)
