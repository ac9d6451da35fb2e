"""How the hostile-input test tries a value and judges the answer.

Every attempt runs in a savepoint rolled back afterwards, so each starts from the same world:
"nothing stored" is the database's fingerprint (row counts of every table a request could
write, and sums that move when a row changes in place) compared with the one taken before.
"Stored exactly" is the submitted text found verbatim in a row written by the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction

from tests.security.hostile import (
    ACCEPT,
    CATALOGUE,
    EITHER,
    INTRINSIC,
    LINE,
    REFUSE,
    STRINGS,
    TEXT,
    Hostile,
    has_cjk,
)

# (app label, model): counted; (…, SQL expression): summed as well, for rows changed in place.
WATCHED: list[tuple[str, str | None]] = [
    ("complaints.CustomerAccount", None),
    ("complaints.Customer", "LENGTH(name) + LENGTH(phone) + LENGTH(email)"),
    ("complaints.CustomerDataLog", None),
    ("complaints.Complaint", "version"),
    ("complaints.HandlingRound", None),
    ("complaints.Milestone", None),
    ("complaints.Event", None),
    ("complaints.Attachment", None),
    ("complaints.Communication", None),
    ("complaints.Solution", None),
    ("complaints.SolutionAction", "CASE WHEN done_at IS NULL THEN 0 ELSE 1 END"),
    ("complaints.Task", "CASE WHEN done_at IS NULL THEN 0 ELSE 1 END"),
    ("complaints.Meeting", None),
    ("complaints.Callback", None),
    ("complaints.DeadlineExtension", "CASE WHEN decided_at IS NULL THEN 0 ELSE 1 END"),
    ("complaints.ComplaintLink", None),
    ("complaints.BatchAlert", "LENGTH(status) + LENGTH(conclusion)"),
    ("complaints.EmergencyMeasure", "CASE WHEN done_at IS NULL THEN 0 ELSE 1 END"),
    ("complaints.IdempotencyKey", None),
    ("complaints.DailySequence", "last"),
    ("improvement.ImprovementAction", None),
    ("improvement.ActionEvent", None),
    ("improvement.ActionAttachment", None),
    ("improvement.Audit", None),
    ("improvement.AuditItem", "CASE WHEN scored_at IS NULL THEN 0 ELSE 1 END"),
    ("improvement.AuditEvent", None),
    ("outbox.OutboxMessage", None),
    ("outbox.Notification", "CASE WHEN read_at IS NULL THEN 0 ELSE 1 END"),
    ("analysis.BusinessVolume", "volume"),
]


def _fingerprint_sql() -> str:
    parts = []
    for label, expr in WATCHED:
        table = apps.get_model(label)._meta.db_table
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        if expr:
            parts.append(f"(SELECT COALESCE(SUM({expr}), 0) FROM {table})")
    return "SELECT " + ", ".join(parts)


def prepare_fingerprint() -> None:
    """On PostgreSQL, plan the fingerprint's sixty sub-queries once for the session (it runs
    after a thousand requests: planning it each time cost more than running it)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = 'kesu_fingerprint'")
        if cursor.fetchone() is None:
            cursor.execute("PREPARE kesu_fingerprint AS " + _fingerprint_sql())


def fingerprint() -> tuple[Any, ...]:
    """Counts (and sums) of every watched table, in one query."""
    prepared = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("EXECUTE kesu_fingerprint" if prepared else _fingerprint_sql())
        return tuple(cursor.fetchone())


def _columns() -> list[str]:
    """The fingerprint's columns: each watched table, and ``~`` its sum."""
    return [name for label, expr in WATCHED for name in ([label, label + "~"] if expr else [label])]


def fingerprint_diff(before: tuple[Any, ...], after: tuple[Any, ...]) -> list[str]:
    return [
        f"{c.split('.')[1]} {a}→{b}"
        for c, a, b in zip(_columns(), before, after, strict=True)
        if a != b
    ]


def changed_tables(before: tuple[Any, ...], after: tuple[Any, ...]) -> set[str]:
    return {c.rstrip("~") for c, a, b in zip(_columns(), before, after, strict=True) if a != b}


# Text columns a request may write, searched for the submitted text when it was accepted.
# Tables only ever added to are read from the rows after the world's (``since``); the others
# are small and may be changed in place, and are read whole.
TEXT_SOURCES = [
    "complaints.Complaint",
    "complaints.Customer",
    "complaints.Solution",
    "complaints.SolutionAction",
    "complaints.Task",
    "complaints.DeadlineExtension",
    "complaints.BatchAlert",
    "complaints.EmergencyMeasure",
    "improvement.ImprovementAction",
    "improvement.Audit",
    "improvement.AuditItem",
]
APPENDED_SOURCES = [
    "complaints.Event",
    "complaints.Communication",
    "complaints.Meeting",
    "complaints.Callback",
    "complaints.CustomerDataLog",
    "complaints.IdempotencyKey",
    "improvement.ActionEvent",
    "improvement.AuditEvent",
]


def last_rows() -> dict[str, int]:
    """The highest primary key of each table only ever added to."""
    from django.db.models import Max

    return {
        label: apps.get_model(label).objects.aggregate(m=Max("pk"))["m"] or 0
        for label in APPENDED_SOURCES
    }


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)


# Rows changed in place whose table's own fingerprint does not move: their history does.
HISTORY = {
    "improvement.ImprovementAction": "improvement.ActionEvent",
    "improvement.Audit": "improvement.AuditEvent",
    "improvement.AuditItem": "improvement.AuditEvent",
}


def stored_texts(since: dict[str, int], changed: set[str]) -> set[str]:
    """Every text value (JSON leaves too) of the rows a request wrote: of the tables whose
    fingerprint (or history) ``changed``, the small ones whole, the others' rows after
    ``since``. Each accepted value carries a unique tag, so finding it is exact."""
    found: set[str] = set()
    for label in (*TEXT_SOURCES, *APPENDED_SOURCES):
        if label not in changed and HISTORY.get(label) not in changed:
            continue
        model = apps.get_model(label)
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() in ("CharField", "TextField", "JSONField")
        ]
        rows = model.objects.filter(pk__gt=since.get(label, 0))
        for row in rows.values_list(*names):
            for value in row:
                found.update(_leaves(value))
    return found


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint that is always rolled back."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)
            cache.clear()  # nothing a rolled-back request cached outlives it either


class ServerErrors(logging.Handler):
    """Keeps the last logged error (the API logs its 500s) for the failure message."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.last = f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            self.last = record.getMessage()[:200]


@dataclass
class Answer:
    """What one request gave: the status, the fields it names with their messages, the
    general message, and what it stored."""

    status: int
    errors: dict[str, str]
    message: str
    changed: list[str]
    texts: set[str] = field(default_factory=set)
    crash: str = ""
    reflected: str = ""  # markup of the request found unescaped in the page


@dataclass
class Verdict:
    """Collects every mismatch, each described in one line."""

    failures: list[str] = field(default_factory=list)
    tried: int = 0  # requests judged
    pairs: int = 0  # (input, hostile value) combinations sent
    inputs: int = 0
    retries: int = 0  # inputs a refusal did not name, tried again alone

    def figures(self, what: str, seconds: float) -> str:
        return (
            f"{what}: {self.inputs} inputs, {self.pairs} input × value pairs, "
            f"{self.tried} requests ({self.retries} alone), {seconds:.1f} s"
        )

    def fail(self, where: str, what: str) -> None:
        self.failures.append(f"{where}: {what}")

    def report(self) -> str:
        return f"{len(self.failures)} failure(s) in {self.tried} attempts:\n" + "\n".join(
            self.failures
        )


def named(errors: dict[str, str], name: str) -> str | None:
    """The message for field ``name`` (or one of its sub-fields: ``actions.0.kind``)."""
    for key, message in errors.items():
        if key == name or name.endswith("-" + key):  # a prefixed form's field
            return message
        if key.startswith(name + ".") or name.startswith(key + "."):
            return message
    return None


def judge(
    verdict: Verdict,
    where: str,
    answer: Answer,
    *,
    expect: str,
    fields: dict[str, Any],
    retry: Callable[[str], Answer] | None = None,
) -> None:
    """Check one answer against what ``fields`` (name → value sent) should have given.

    REFUSE: a 4xx naming every field (a field the answer does not name is tried alone, when
    ``retry`` can); a whole-request refusal (no fields named) must still carry a message.
    ACCEPT: a 2xx that stored every value exactly. EITHER: one or the other."""
    verdict.tried += 1
    if answer.reflected:
        verdict.fail(where, f"unescaped in the page: {answer.reflected}")
    if answer.status >= 500:
        verdict.fail(where, f"got {answer.status} {answer.crash}".rstrip())
        return
    refused = 400 <= answer.status < 500
    if refused:
        if answer.changed:
            verdict.fail(where, f"refused ({answer.status}) but stored: {answer.changed}")
        if not (answer.message or answer.errors):
            verdict.fail(where, f"refused ({answer.status}) without a message")
        for name, message in answer.errors.items():
            if not message.strip():
                verdict.fail(where, f"empty message for {name}")
        if expect == ACCEPT:
            verdict.fail(where, f"refused ({answer.status}): {answer.errors or answer.message}")
        elif expect == REFUSE and answer.errors:
            missing = [n for n in fields if named(answer.errors, n) is None]
            for name in missing:
                if retry is None or len(fields) == 1:
                    verdict.fail(
                        where, f"field={name} not named in the refusal {sorted(answer.errors)}"
                    )
                    continue
                judge(
                    verdict,
                    f"{where} (alone: {name})",
                    retry(name),
                    expect=REFUSE,
                    fields={name: fields[name]},
                )
        return
    if answer.status >= 400 or answer.status < 200:
        verdict.fail(where, f"unexpected status {answer.status}")
        return
    if expect == REFUSE:
        if len(fields) > 1 and retry is not None:
            for name in fields:
                judge(
                    verdict,
                    f"{where} (alone: {name})",
                    retry(name),
                    expect=REFUSE,
                    fields={name: fields[name]},
                )
        else:
            verdict.fail(where, f"accepted ({answer.status}), expected a refusal")
        return
    if expect in (ACCEPT, EITHER):
        for name, value in fields.items():
            if isinstance(value, str) and value not in answer.texts:
                verdict.fail(where, f"field={name} accepted but not stored exactly")


# --- trying the catalogue on a set of inputs ------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One input: where it sits (a path into a JSON body, or a form or query name) and what
    kinds of field it is."""

    path: tuple[Any, ...]
    kinds: tuple[str, ...]
    max_length: int | None = None  # of a text: how much of the polyglot one value holds

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass
class Target:
    """An operation or a form to try values on: ``send`` posts the valid example with the given
    inputs replaced (told whether a refusal is expected: a page may then ask for the lighter
    answer); ``value`` writes a hostile value as this surface carries it (None: it cannot
    carry it). A look-up (``lookup``) takes its inputs as a question: nothing of it is
    stored, and a value that is not intrinsically bad simply finds nothing."""

    where: str
    inputs: list[Input]
    send: Callable[[dict[Input, Any], str], Answer]
    value: Callable[[Hostile, Input], Any]
    lang: str = "zh-hans"
    lookup: bool = False


def outcome(h: Hostile, kinds: tuple[str, ...], *, lookup: bool = False) -> str | None:
    for kind in kinds:
        result = h.outcome(kind)
        if result is None:
            continue
        if lookup and kind in STRINGS and h.name not in INTRINSIC:
            return EITHER
        return result
    return None


class Tags:
    """A short unique suffix for every text that should be stored, to find it exactly."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, value: str) -> str:
        self.n += 1
        return f"{value} #h{self.n}"


def fuzz_inputs(verdict: Verdict, target: Target, tags: Tags) -> None:
    """Values to refuse: a few requests, each input holding the next of its values (pydantic
    and Django forms name every refused field at once; an input the refusal does not name is
    tried again alone); a value that refuses a whole request (a megabyte) goes on its own.
    Values to accept, and those that may go either way: likewise, texts packed into
    polyglots, so the slow accepted path runs a few times per target. A list and the fields of
    its elements never go together: one replaces the other."""
    verdict.inputs += len(target.inputs)
    for expect in (REFUSE, ACCEPT, EITHER):
        rounds: list[dict[int, tuple[dict[Input, Any], list[str]]]] = []
        for inp in target.inputs:
            choices = [
                h
                for h in CATALOGUE
                if outcome(h, inp.kinds, lookup=target.lookup) == expect
                and target.value(h, inp) is not None
            ]
            for i, (names, value) in enumerate(packs(choices, inp, target, expect)):
                verdict.pairs += len(names)
                while len(rounds) <= i:
                    rounds.append({})
                values, labels = rounds[i].setdefault(len(inp.path), ({}, []))
                if expect != REFUSE and isinstance(value, str):
                    value = tags(value)
                values[inp] = value
                labels.append(f"{inp.name}={'+'.join(names)}")
        for r in rounds:
            for values, labels in r.values():
                checked = EITHER if target.lookup and expect != REFUSE else expect
                send_group(verdict, target, values, checked, " ".join(labels))
        if expect == REFUSE:
            for h in CATALOGUE:
                if not h.alone:
                    continue
                values = {
                    inp: target.value(h, inp)
                    for inp in target.inputs
                    if outcome(h, inp.kinds, lookup=target.lookup) == REFUSE
                    and target.value(h, inp) is not None
                }
                if values:
                    verdict.pairs += len(values)
                    send_group(verdict, target, values, REFUSE, f"value={h.name}")


def takes_text(target: Target) -> bool:
    """Whether ``target`` has an input that accepts free text: then its first accepted round,
    the valid example with markup in its texts, also proves the example valid."""
    return any(
        outcome(h, inp.kinds, lookup=target.lookup) == ACCEPT and target.value(h, inp) is not None
        for inp in target.inputs
        for h in CATALOGUE
    )


def packs(
    choices: list[Hostile], inp: Input, target: Target, expect: str
) -> list[tuple[list[str], Any]]:
    """The values to send one input, in order: texts to accept (or that may go either way)
    packed into as few strings as its length allows, the others one by one (those refusing a
    whole request apart)."""
    choices = [h for h in choices if not h.alone]
    packable = expect != REFUSE and {LINE, TEXT} & set(inp.kinds)
    texts = [h for h in choices if packable and isinstance(target.value(h, inp), str)]
    # Room for the tag (" #h123"), and at most two thousand characters in one value.
    limit = min((inp.max_length or 60) - 10, 2000)
    out: list[tuple[list[str], Any]] = []
    names: list[str] = []
    text = ""
    for h in texts:
        value = target.value(h, inp)
        if names and len(text) + len(value) > limit:
            out.append((names, text))
            names, text = [], ""
        names.append(h.name)
        text += value
    if names:
        out.append((names, text))
    return out + [([h.name], target.value(h, inp)) for h in choices if h not in texts]


def send_group(
    verdict: Verdict, target: Target, values: dict[Input, Any], expect: str, what: str
) -> None:
    by_name = {inp.name: (inp, value) for inp, value in values.items()}

    def alone(name: str) -> Answer:
        verdict.retries += 1
        inp, value = by_name[name]
        return target.send({inp: value}, REFUSE)

    where = f"{target.where} {what}"
    answer = target.send(values, expect)
    if expect == REFUSE:
        checked = {n: v for n, (_, v) in by_name.items()}
    else:  # what must be found stored: free text
        free = {n: v for n, (inp, v) in by_name.items() if {LINE, TEXT} & set(inp.kinds)}
        checked = {} if target.lookup else free
    judge(verdict, where, answer, expect=expect, fields=checked, retry=alone)
    check_language(verdict, where, answer, target.lang)


def check_language(verdict: Verdict, where: str, answer: Answer, lang: str) -> None:
    """A refusal speaks the user's language: Chinese by default, English when asked."""
    if not 400 <= answer.status < 500:
        return
    texts = [t for t in (answer.message, *answer.errors.values()) if t]
    if lang.startswith("zh") and texts and not any(has_cjk(t) for t in texts):
        verdict.fail(where, f"refusal not in Chinese: {texts}")
    if lang == "en" and any(has_cjk(t) for t in texts):
        verdict.fail(where, f"refusal not in English: {texts}")
