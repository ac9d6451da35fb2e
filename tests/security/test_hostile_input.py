"""Hostile input on every input of the API, the console and the portal (issue 7, "Tests that
must pass", second bullet).

The inputs are enumerated from the code, so a new one is covered (or the test says it has no
case yet): every API operation's body properties and query parameters from the served OpenAPI
document, every console and portal form's fields from the URL resolver and the form classes,
every page's query parameters. Each input gets every value of the catalogue
(tests/security/hostile.py) that fits its kind and must refuse it (a 4xx naming the field, in
the user's language, nothing stored) or accept it (stored exactly, rendered escaped), as the
catalogue says; never a 5xx. Mismatches are collected and reported together, one line each.

Speed: one world for the module (tests/security/hostile_world.py), every attempt in a
savepoint rolled back afterwards, and few requests (tests/security/fuzz.py): the fields a value
should be refused by go together, accepted texts go packed.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import json
import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver

from kesu.api import api
from kesu.complaints.models import Complaint
from kesu.console.forms import ACTION_FORMS
from kesu.console.views.improvement_forms import STEP_FORMS
from tests.api.conftest import DEPT, TASK_DEPT
from tests.security import fuzz
from tests.security.fuzz import Input, Target
from tests.security.hostile import (
    BOOL,
    CATALOGUE,
    CHECKBOX,
    CHOICE,
    CODE,
    DATE,
    FILE,
    FORMAT,
    INT,
    INTRINSIC,
    LINE,
    LIST,
    MOMENT,
    MONTH,
    NUMBER,
    OBJECT,
    RAW_BODIES,
    RAW_QUERY,
    TEXT,
    Hostile,
    LongList,
    encode_json,
)
from tests.security.hostile_cases import (
    API_OPS,
    API_UPLOADS,
    CODE_NAMES,
    DATE_TEXT_NAMES,
    FORM_PAGES,
    FORMAT_NAMES,
    MONTH_NAMES,
    NO_INPUT_PAGES,
    NO_INPUTS,
    QUERY_PAGES,
    SAME_INPUTS_AS,
    Op,
    Page,
)
from tests.security.hostile_world import Hostworld, module_world, server_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def hw(django_db_setup, django_db_blocker, tmp_path_factory):
    with module_world(django_db_blocker, tmp_path_factory.mktemp("hostile-uploads")) as world:
        yield world


@pytest.fixture
def errors_log():
    with server_errors() as handler:
        yield handler


SCRIPT_MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(1)>")
# The portal's trap for robots: any value refuses the whole form (tests/portal).
HONEYPOT = "website"


def fill(value: Any, refs: dict[str, Any]) -> Any:
    """``value`` with every ``"{name}"`` (whole, any type) or ``{name}`` part (in text) taken
    from ``refs``."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\{([a-z_0-9:]+)\}", value)
        if whole:
            return refs[whole.group(1)]
        return re.sub(r"\{([a-z_0-9:]+)\}", lambda m: str(refs[m.group(1)]), value)
    if isinstance(value, dict):
        return {fill(k, refs): fill(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, refs) for v in value]
    return value


# --- the API's inputs, from the OpenAPI document -------------------------------------------------


@functools.cache
def openapi() -> dict[str, Any]:
    return api.get_openapi_schema()


def operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId → (method, path, operation) of the served document."""
    found = {}
    for path, ops in openapi()["paths"].items():
        for method, op in ops.items():
            found[op["operationId"]] = (method.upper(), path, op)
    return found


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    components = openapi()["components"]["schemas"]
    if "$ref" in schema:
        return components[schema["$ref"].rsplit("/", 1)[1]]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if options:
        if any(o.get("type") == "number" for o in options):
            return {"type": "number"}  # a decimal amount: "number or string"
        return _resolve(options[0])
    return schema


def kinds_of(name: str, schema: dict[str, Any]) -> tuple[str, ...]:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string":
        if fmt in ("date-time", "date", "binary"):
            return ({"date-time": MOMENT, "date": DATE, "binary": FILE}[fmt],)
        if name in DATE_TEXT_NAMES:
            return (DATE, CODE)
        if name in MONTH_NAMES:
            return (MONTH, CODE)
        if "enum" in schema or name in CODE_NAMES:
            return (CODE,)
        if name in FORMAT_NAMES:
            return (FORMAT,)
        return (TEXT,) if schema.get("maxLength", 0) > 500 else (LINE,)
    simple = {"integer": INT, "number": NUMBER, "boolean": BOOL, "array": LIST, "object": OBJECT}
    assert kind in simple, f"input {name}: no kind for schema {schema}"
    return (simple[kind],)


def body_inputs(schema: dict[str, Any], base: Any) -> list[Input]:
    """Every property of a body schema; nested objects (a solution's actions, an audit's notes)
    entered through the valid body's first element."""
    found: list[Input] = []

    def walk(s: dict[str, Any], prefix: tuple[Any, ...], example: Any) -> None:
        for name, prop in _resolve(s).get("properties", {}).items():
            prop = _resolve(prop)
            path = (*prefix, name)
            found.append(Input(path, kinds_of(name, prop), prop.get("maxLength")))
            sub = example.get(name) if isinstance(example, dict) else None
            if prop.get("type") == "array" and sub and _resolve(prop["items"]).get("properties"):
                walk(prop["items"], (*path, 0), sub[0])
            if prop.get("type") == "object" and "additionalProperties" in prop and sub:
                item = _resolve(prop["additionalProperties"])
                found.extend(Input((*path, key), kinds_of(key, item)) for key in sub)

    walk(schema, (), base)
    return found


def query_inputs(op: dict[str, Any]) -> list[Input]:
    return [
        Input((p["name"],), kinds_of(p["name"], _resolve(p["schema"])))
        for p in op.get("parameters", [])
        if p["in"] == "query"
    ]


def put(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


def get_at(body: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        try:
            body = body[part]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def test_every_api_operation_has_a_case():
    """A new operation needs a valid example in hostile_cases (or is declared input-less)."""
    known = set(API_OPS) | set(API_UPLOADS) | NO_INPUTS
    served = set(operations())
    assert not served - known, f"operations without a hostile-input case: {served - known}"
    assert not known - served, f"cases for operations that no longer exist: {known - served}"
    for name in NO_INPUTS:
        op = operations()[name][2]
        inputs = [p for p in op.get("parameters", []) if p["in"] in ("query", "header")]
        assert not op.get("requestBody") and not inputs, f"{name} has inputs: give it a case"


# --- sending to the API --------------------------------------------------------------------------


def _json_answer(
    hw: Hostworld, r: Any, log: fuzz.ServerErrors | None, *, stored: bool = False
) -> fuzz.Answer:
    errors: dict[str, str] = {}
    message = ""
    if 400 <= r.status_code < 500 and r.get("Content-Type", "").startswith("application/json"):
        payload = json.loads(r.content)
        errors = {str(k): str(v) for k, v in (payload.get("errors") or {}).items()}
        message = str(payload.get("message") or "")
    return _answer(hw, r, errors, message, log, stored=stored)


def _answer(
    hw: Hostworld,
    r: Any,
    errors: dict[str, str],
    message: str,
    log: fuzz.ServerErrors | None,
    *,
    stored: bool = False,
) -> fuzz.Answer:
    """What a request gave, read inside its savepoint: what it changed when it was refused,
    the texts it stored when it was accepted (if ``stored``: to check they are exact)."""
    accepted = 200 <= r.status_code < 400
    after = fuzz.fingerprint() if not accepted or stored else hw.before
    changed = [] if accepted else fuzz.fingerprint_diff(hw.before, after)
    texts = set()
    if accepted and stored:
        texts = fuzz.stored_texts(hw.since, fuzz.changed_tables(hw.before, after))
    crash = log.last if (log and r.status_code >= 500) else ""
    return fuzz.Answer(r.status_code, errors, message, changed, texts, crash)


class ApiCall:
    """One operation of the API, called with a bearer token."""

    def __init__(self, hw: Hostworld, method: str, op: Op, log: fuzz.ServerErrors) -> None:
        self.hw, self.method, self.op, self.log = hw, method, op, log
        self.path = "/api/v1" + fill(op.path, {**hw.refs, "month": "2026-10"})

    def send(
        self,
        body: bytes | None,
        content_type: str = "application/json",
        query: str = "",
        *,
        stored: bool = False,
    ) -> fuzz.Answer:
        client = self.hw.client(None)
        headers = {"Authorization": f"Bearer {self.hw.token(self.op.who)}"}
        url = self.path + (f"?{query}" if query else "")
        with fuzz.rolled_back():
            self.log.last = ""
            if self.method == "GET":
                r = client.get(url, headers=headers)
            else:
                r = client.generic(
                    self.method, url, data=body or b"", content_type=content_type, headers=headers
                )
            return _json_answer(self.hw, r, self.log, stored=stored)

    def target(self, base: dict[str, Any], inputs: list[Input]) -> Target:
        def send(values: dict[Input, Any], expect: str) -> fuzz.Answer:
            body = base
            for inp, value in values.items():
                body = put(body, inp.path, value)
            return self.send(encode_json(body), stored=expect != fuzz.REFUSE)

        def value(h: Hostile, inp: Input) -> Any:
            if isinstance(h.value, LongList):
                first = get_at(base, inp.path)
                return [first[0] if first else "x"] * 10_000
            return h.value

        return Target(f"{self.method} {self.path}", inputs, send, value, lookup=self.op.lookup)


# Every body is read by one parser (kesu.api.inputs.JsonBody, then ninja): whole-body values
# are tried on a required body, an optional one, a nested one, a creation and a PUT.
RAW_BODY_OPS = frozenset(
    {
        "complaint_create",
        "complaint_add_note",
        "complaint_accept",
        "complaint_propose_solution",
        "business_volume_set",
    }
)


def test_api_bodies(hw, errors_log):
    """Every body property of every operation with every value of its kind; every body whole
    as invalid UTF-8, nested 10,000 deep, empty, of the wrong type."""
    verdict, tags = fuzz.Verdict(), fuzz.Tags()
    started = time.monotonic()
    for name, (method, _path, op) in operations().items():
        case = API_OPS.get(name)
        if case is None or case.body is None:
            continue
        base = fill(case.body, hw.refs)
        call = ApiCall(hw, method, case, errors_log)
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        target = call.target(base, body_inputs(schema, base))
        if not fuzz.takes_text(target):  # otherwise its accepted round proves the example
            ok = call.send(encode_json(base))
            if not 200 <= ok.status < 300:
                verdict.fail(call.path, f"valid example refused: {ok.status} {ok.errors}")
        fuzz.fuzz_inputs(verdict, target, tags)
        if name not in RAW_BODY_OPS:
            continue
        valid = encode_json(base)
        for raw_name, (make, content_type, expect) in RAW_BODIES.items():
            answer = call.send(make(valid) if callable(make) else make, content_type)
            fuzz.judge(
                verdict, f"{method} {call.path} body={raw_name}", answer, expect=expect, fields={}
            )
    print(verdict.figures("API bodies", time.monotonic() - started))
    assert not verdict.failures, verdict.report()


def test_api_queries(hw, errors_log):
    """Every query parameter of every operation (and a monthly report's month in its path)."""
    verdict = fuzz.Verdict()
    started = time.monotonic()
    for name, (method, _path, op) in operations().items():
        case = API_OPS.get(name)
        inputs = query_inputs(op)
        if case is None or name in SAME_INPUTS_AS or not inputs:
            continue
        call = ApiCall(hw, method, case, errors_log)
        base = dict(case.query)

        def send(
            values: dict[Input, Any], _expect: str, call: ApiCall = call, base: dict = base
        ) -> Any:
            params = {**base, **{inp.name: v for inp, v in values.items()}}
            return call.send(None, query=_query(params))

        target = Target(f"{method} {call.path}?", inputs, send, _query_value, lookup=True)
        fuzz.fuzz_inputs(verdict, target, fuzz.Tags())
        for inp in inputs:
            for raw_name, raw in {**RAW_QUERY, "nul": "%00"}.items():
                answer = call.send(None, query=_query(base) + f"&{inp.name}={raw}")
                fuzz.judge(
                    verdict,
                    f"{target.where}{inp.name}={raw_name}",
                    answer,
                    expect=fuzz.EITHER,
                    fields={},
                )
        if "{month}" in case.path:
            _fuzz_month_path(verdict, hw, method, case, errors_log)
    print(verdict.figures("API queries", time.monotonic() - started))
    assert not verdict.failures, verdict.report()


def _fuzz_month_path(
    verdict: fuzz.Verdict, hw: Hostworld, method: str, case: Op, log: fuzz.ServerErrors
) -> None:
    """The month in an operation's path (``/reports/monthly/{month}``), as a query value."""
    body = encode_json(fill(case.body, hw.refs)) if case.body is not None else None
    month = Input(("month",), (MONTH, CODE))
    for h in CATALOGUE:
        value = _query_value(h, month)
        expect = fuzz.outcome(h, month.kinds, lookup=True)
        if value is None or expect is None:
            continue
        call = ApiCall(hw, method, case, log)
        call.path = call.path.replace(
            "2026-10", quote(value.encode("utf-8", "surrogatepass"), safe="")
        )
        answer = call.send(body, query=_query(case.query))
        fields = {"month": value} if expect == fuzz.REFUSE else {}
        fuzz.judge(verdict, f"{method} {call.path}", answer, expect=expect, fields=fields)


def _query_value(h: Hostile, inp: Input) -> str | None:
    """A hostile value as a query string holds it; a long one is long enough for any
    parameter (and a URL a server takes)."""
    if h.form is None or h.name == "megabyte":
        return None
    return "破" * 600 if h.name == "long_text" else h.form


def _query(params: dict[str, str]) -> str:
    return "&".join(
        f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in params.items()
    )


# --- the console's and the portal's forms -------------------------------------------------------


def url_names() -> dict[str, Any]:
    """Every URL's name (``namespace:name``) but the admin's and the API's, with its view."""
    found: dict[str, Any] = {}

    def walk(resolver: URLResolver, ns: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, ns + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern) and p.name:
                found.setdefault(ns + p.name, p.callback)

    walk(get_resolver(), "")
    return {n: v for n, v in found.items() if not n.startswith(("admin:", "api:"))}


def test_every_page_input_has_a_case():
    """Every page is a form case, a query case or declared without inputs; every console
    action and improvement step has its form case; every query parameter a page's module reads
    is in its case."""
    names = set(url_names())
    known = set(FORM_PAGES) | set(QUERY_PAGES) | set(NO_INPUT_PAGES)
    assert not names - known, f"pages without a hostile-input case: {sorted(names - known)}"
    assert not known - names, f"cases for pages that no longer exist: {sorted(known - names)}"
    assert {n for n, _ in FORM_PAGES["console:act"]} == set(ACTION_FORMS)
    assert {n for n, _ in FORM_PAGES["console:improvement_step"]} == set(STEP_FORMS)
    read = re.compile(r'(?:GET\.get\(|GET\[|_param\(request,\s*|_moment\(request,\s*)"(\w+)"')
    by_module: dict[str, set[str]] = {}
    for name, query in QUERY_PAGES.items():
        module = url_names()[name].__module__
        by_module.setdefault(module, set()).update(query.params)
    for module, params in by_module.items():
        source = inspect.getsource(importlib.import_module(module))
        missing = set(read.findall(source)) - params
        assert not missing, f"{module} reads query parameters with no case: {missing}"


def form_kinds(name: str, f: forms.Field) -> tuple[str, ...]:
    if isinstance(f.widget, forms.FileInput):
        return (FILE,)
    for cls, kind in (
        (forms.BooleanField, CHECKBOX),
        (forms.DateTimeField, MOMENT),
        (forms.DateField, DATE),
        (forms.DecimalField, NUMBER),
        (forms.FloatField, NUMBER),
        (forms.IntegerField, INT),
        (forms.ChoiceField, CHOICE),
    ):
        if isinstance(f, cls):
            return (kind,)
    assert isinstance(f, forms.CharField), f"field {name}: no kind for {type(f).__name__}"
    if name in DATE_TEXT_NAMES:
        return (DATE, CODE)
    if name in MONTH_NAMES:
        return (MONTH, CODE)
    if name in CODE_NAMES:
        return (CODE,)
    if name in FORMAT_NAMES:
        return (FORMAT,)
    return (TEXT,) if isinstance(f.widget, forms.Textarea) else (LINE,)


def page_inputs(hw: Hostworld, page: Page) -> list[Input]:
    if page.form is None:
        return [Input((name,), kinds) for name, kinds in page.raw_fields.items()]
    form = page.form(hw)
    return [
        Input((form.add_prefix(name),), kinds, getattr(f, "max_length", None))
        for name, f in form.fields.items()
        if (kinds := form_kinds(name, f)) != (FILE,) and name != HONEYPOT
    ]


def page_errors(r: Any) -> tuple[dict[str, str], str]:
    """The field errors and the general message a page shows, from its template context."""
    from kesu.complaints.errors import DomainError
    from kesu.web.errors import field_errors

    errors: dict[str, str] = {}
    messages: list[str] = []
    contexts = r.context if isinstance(r.context, list) else [r.context] if r.context else []
    for ctx in contexts[:1]:  # the view's own context (the others are its includes')
        flat = ctx.flatten()
        for key, value in flat.items():
            kind = type(value)  # not isinstance: that would evaluate lazy values (queue counts)
            if issubclass(kind, forms.Form) and value.is_bound and value.errors:
                for name, errs in value.errors.items():
                    if name == "__all__":
                        messages.extend(errs)
                    else:
                        errors[value.add_prefix(name)] = " ".join(errs)
            elif key in ("fields", "errors") and kind is dict:
                errors.update({str(k): str(v) for k, v in value.items()})
            elif key == "error" and kind is dict:
                errors.update({str(k): str(v) for k, v in (value.get("fields") or {}).items()})
                messages.append(str(value.get("message") or ""))
            elif key == "error" and issubclass(kind, DomainError):
                errors.update(field_errors(value))
                messages.append(str(value.message))
            elif key in ("message", "error") and kind is str:
                messages.append(value)
            elif key == "action_errors" and kind is list:
                messages.extend(str(v) for v in value)
        if not messages and flat.get("status") and flat.get("title"):  # web/error.html
            messages.append(str(flat["title"]))
    return errors, " ".join(m for m in messages if m)


class FormPost:
    """One form page, posted as a browser would (htmx where the page uses it)."""

    def __init__(self, hw: Hostworld, page: Page, log: fuzz.ServerErrors, lang: str = "zh-hans"):
        self.hw, self.page, self.log, self.lang = hw, page, log, lang
        self.url = fill(page.url, hw.refs)
        self.data = fill(page.data, hw.refs)

    def send(
        self,
        data: dict[str, str],
        *,
        raw: bytes | None = None,
        htmx: bool = False,
        stored: bool = False,
    ) -> fuzz.Answer:
        """Post ``data``; as htmx (a refusal is then a fragment, not the page) if asked and
        the page uses it."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        client = self.hw.client(self.page.who, self.lang)
        headers = {"HX-Request": "true"} if htmx and self.page.htmx else {}
        with fuzz.rolled_back():
            self.log.last = ""
            if raw is not None:
                r = client.post(
                    self.url, raw, content_type="application/x-www-form-urlencoded", headers=headers
                )
            else:
                files = {k: SimpleUploadedFile(*spec) for k, spec in self.page.files.items()}
                r = client.post(self.url, {**data, **files}, headers=headers)
            errors, message = page_errors(r) if 400 <= r.status_code < 500 else ({}, "")
            answer = _answer(self.hw, r, errors, message, self.log, stored=stored)
            if answer.status < 500:
                body = r.content.decode("utf-8", "replace")
                answer.reflected = next((m for m in SCRIPT_MARKERS if m in body), "")
            return answer

    def target(self, inputs: list[Input]) -> Target:
        def send(values: dict[Input, Any], expect: str) -> fuzz.Answer:
            data = {**self.data, **{inp.name: v for inp, v in values.items()}}
            refuse = expect == fuzz.REFUSE
            return self.send(data, htmx=refuse, stored=not refuse)

        def value(h: Hostile, inp: Input) -> str | None:
            return h.form

        return Target(f"POST {self.url}", inputs, send, value, lang=self.lang)


# Django reads every form body the same way: undecodable bytes are tried on three forms.
RAW_FORMS = frozenset({"intake", "submit", "add_note"})


def test_forms(hw, errors_log):
    """Every field of every console and portal form with every value of its kind, and every
    form posted as invalid UTF-8."""
    verdict, tags = fuzz.Verdict(), fuzz.Tags()
    started = time.monotonic()
    for _name, cases in FORM_PAGES.items():
        if isinstance(cases, str):
            continue
        for label, page in cases:
            post = FormPost(hw, page, errors_log)
            target = post.target(page_inputs(hw, page))
            if not fuzz.takes_text(target):  # otherwise its accepted round proves the example
                ok = post.send(post.data)
                if not 200 <= ok.status < 400:
                    verdict.fail(post.url, f"valid example refused: {ok.status} {ok.errors}")
            fuzz.fuzz_inputs(verdict, target, tags)
            if label not in RAW_FORMS:
                continue
            for raw_name, raw in RAW_QUERY.items():
                text = {inp.name for inp in target.inputs if {LINE, TEXT} & set(inp.kinds)}
                body = "&".join(
                    f"{quote(k)}={raw if k in text else quote(str(v))}"
                    for k, v in post.data.items()
                )
                answer = post.send({}, raw=body.encode())
                fuzz.judge(
                    verdict,
                    f"POST {post.url} body={raw_name}",
                    answer,
                    expect=fuzz.EITHER,
                    fields={},
                )
    print(verdict.figures("forms", time.monotonic() - started))
    assert not verdict.failures, verdict.report()


# --- the pages' query strings --------------------------------------------------------------------

# For pages, besides what no column holds: the markup (reflected?) and the SQL (searched?).
PAGE_VALUES = frozenset({"script", "img_onerror", "sql_or", "like_wildcards"})


def test_page_queries(hw, errors_log):
    """Every query parameter of every page, each round every parameter holding the next of its
    values (what no column holds, markup, SQL, undecodable bytes): never a 5xx, never the
    markup reflected unescaped."""
    verdict = fuzz.Verdict()
    started = time.monotonic()
    for query in QUERY_PAGES.values():
        url = fill(query.url, hw.refs)
        client = hw.client(query.who)

        def send(parts: dict[str, str], url: str = url, client: Any = client) -> fuzz.Answer:
            with fuzz.rolled_back():
                errors_log.last = ""
                r = client.get(url + "?" + "&".join(f"{k}={v}" for k, v in parts.items()))
                content = b"".join(r.streaming_content) if r.streaming else r.content
                body = content.decode("utf-8", "replace")
            return fuzz.Answer(
                r.status_code,
                {},
                "-",
                [],
                crash=errors_log.last if r.status_code >= 500 else "",
                reflected=next((m for m in SCRIPT_MARKERS if m in body), ""),
            )

        # Each parameter's values, percent-encoded (raw bytes as they are).
        values: dict[str, list[tuple[str, str]]] = {}
        for name, kinds in query.params.items():
            inp = Input((name,), kinds)
            values[name] = [
                (h.name, quote(v.encode("utf-8", "surrogatepass"), safe=""))
                for h in CATALOGUE
                if (v := _query_value(h, inp)) is not None
                and (outcome := fuzz.outcome(h, kinds, lookup=True)) is not None
                and (outcome == fuzz.REFUSE or h.name in INTRINSIC or h.name in PAGE_VALUES)
            ] + list(RAW_QUERY.items())
        verdict.inputs += len(values)
        verdict.pairs += sum(len(v) for v in values.values())
        for i in range(max(len(v) for v in values.values())):
            chosen = {name: vals[i] for name, vals in values.items() if i < len(vals)}
            where = f"GET {url}? " + " ".join(f"{k}={n}" for k, (n, _v) in chosen.items())
            answer = send({k: v for k, (_n, v) in chosen.items()})
            fuzz.judge(verdict, where, answer, expect=fuzz.EITHER, fields={})
            if answer.status >= 500 and len(chosen) > 1:  # which one?
                for k, (_n, v) in chosen.items():
                    alone = send({k: v})
                    fuzz.judge(
                        verdict, f"{where} (alone: {k})", alone, expect=fuzz.EITHER, fields={}
                    )
    print(verdict.figures("page queries", time.monotonic() - started))
    assert not verdict.failures, verdict.report()


# --- what is stored is shown escaped -----------------------------------------------------------

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_stored_text_is_rendered_escaped(hw):
    """Markup in every text a complaint, its work and an improvement action hold, entered
    through the API, is shown escaped on every page that shows it: the console's complaint
    page, queues, search, inbox and analysis lists, the monthly report (page and file), the
    improvement pages, the portal; and the API returns it as it was sent, as JSON."""
    from kesu.outbox.worker import run_worker

    w, refs = hw.world, hw.refs

    def api(who: str, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        r = w.post(who, path, body)
        assert r.status_code == status, (path, r.content)
        return r.json()

    created = api(
        "agent",
        "/complaints",
        {
            **dict.fromkeys(
                (
                    "customer_name",
                    "customer_company",
                    "title",
                    "description",
                    "demand",
                    "order_no",
                    "waybill_no",
                    "contract_no",
                    "goods",
                    "origin",
                    "destination",
                    "product",
                    "batch_no",
                    "incident_place",
                ),
                XSS,
            ),
            "customer_phone": "13700000099",
            "channel": "email",
            "category": "late_delivery",
        },
    )
    n = created["number"]
    assert created["title"] == XSS  # as sent, as JSON
    api(
        "agent",
        f"/complaints/{n}/dispatch",
        {"department": DEPT, "level": "C", "note": XSS},
        status=200,
    )
    api("handler", f"/complaints/{n}/accept", {}, status=200)
    for path, body in (
        ("notes", {"text": XSS}),
        ("communications", {"channel": "phone", "direction": "out", "summary": XSS}),
        ("tasks", {"department": TASK_DEPT, "title": XSS}),
        (
            "meetings",
            {"held_at": "2026-11-16T09:00:00+08:00", "participants": XSS, "decision": XSS},
        ),
        ("extensions", {"milestone": "solution", "hours": 4, "reason": XSS}),
    ):
        api("handler", f"/complaints/{n}/{path}", body)
    api(
        "handler",
        f"/complaints/{n}/root-cause",
        {"root_cause": "operation_error", "root_cause_text": XSS, "findings": XSS},
        status=200,
    )
    api("agent", f"/complaints/{n}/level", {"level": "B", "reason": XSS}, status=200)
    api(
        "handler",
        f"/complaints/{n}/solution",
        {"summary": XSS, "actions": [{"kind": "apology", "description": XSS}]},
    )
    action = api(
        "quality",
        "/improvement/actions",
        {
            "title": XSS,
            "description": XSS,
            "finding": XSS,
            "kind": "corrective",
            "source": "complaint",
            "complaints": [n],
            "owner": refs["user:handler"],
            "due_at": "2026-12-01T18:00:00+08:00",
        },
    )
    mine = api(
        "customer_a",
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "channel": "web",
            "category": "late_delivery",
            "title": XSS,
            "description": XSS,
        },
    )
    # The monthly report shows customers, categories and cases: one closed in October.
    closed = Complaint.objects.filter(state="closed", closed_at__month=10).first()
    Complaint.objects.filter(pk=closed.pk).update(
        title=XSS, root_cause_text=XSS, received_at=closed.closed_at - timedelta(days=1)
    )
    type(closed.customer).objects.filter(pk=closed.customer_id).update(name=XSS, company=XSS)
    assert run_worker(once=True, jobs=[]) == 0  # in-app notifications

    token = Complaint.objects.get(number=mine["number"]).portal_token
    pages = [
        ("agent", f"/console/c/{n}/", True),
        ("handler", f"/console/c/{n}/", True),
        ("manager", f"/console/c/{closed.number}/", True),
        ("agent", "/console/queue/unassigned/", False),
        ("handler", "/console/queue/mine/", True),
        ("manager", "/console/queue/department/", True),
        ("agent", "/console/search/?" + urlencode({"q": "<script>"}), True),
        ("handler", "/console/notifications/", False),
        ("manager", "/console/", False),
        ("quality", "/console/analysis/complaints/?month=2026-11", False),
        ("quality", "/console/reports/monthly/2026-10/", True),
        ("quality", "/console/improvement/", True),
        ("quality", f"/console/improvement/{action['id']}/", True),
        ("admin", "/console/customers/?ref=13700000099", True),
        (None, f"/portal/c/{token}/", True),
        ("customer_a", "/portal/mine/", True),
    ]
    failures = []
    for who, url, shows in pages:
        r = hw.client(who).get(url)
        body = r.content.decode()
        if r.status_code != 200:
            failures.append(f"{url} as {who}: {r.status_code}")
        failures += [f"{url} as {who}: {m} unescaped" for m in SCRIPT_MARKERS if m in body]
        if shows and ESCAPED not in body:
            failures.append(f"{url} as {who}: the text is not shown")
    # A refused form (here: out of date) comes back with what was typed in it, escaped too.
    for action in ("dispatch", "log_communication", "add_task", "propose_solution"):
        (page,) = [p for name, p in FORM_PAGES["console:act"] if name == action]
        post = FormPost(hw, page, fuzz.ServerErrors())
        data = {inp.name: XSS for inp in page_inputs(hw, page) if {LINE, TEXT} & set(inp.kinds)}
        r = hw.client(page.who).post(post.url, {**post.data, **data, "version": "999"})
        body = r.content.decode()
        if r.status_code != 409 or ESCAPED not in body:
            failures.append(f"{action} refused: {r.status_code}, the text is not shown")
        failures += [f"{action} refused: {m} unescaped" for m in SCRIPT_MARKERS if m in body]
    report = w.get("quality", "/reports/monthly/2026-10.html")
    assert report.status_code == 200, report.content
    failures += [
        f"report HTML: {m} unescaped" for m in SCRIPT_MARKERS if m in report.content.decode()
    ]
    assert ESCAPED in report.content.decode(), "the report does not show the customer"
    detail = w.get("agent", f"/complaints/{n}").json()
    assert detail["title"] == XSS and detail["customer"]["name"] == XSS
    assert not failures, "\n".join(failures)


# --- time zones, search, sign-in, languages ------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shanghai"),
    [
        ("2026-11-16T02:00:00+14:00", "2026-11-15 20:00"),  # the furthest offset ahead
        ("2026-11-15T13:00:00-12:00", "2026-11-16 09:00"),  # the furthest behind
        ("2026-11-16T06:30:00+05:30", "2026-11-16 09:00"),
        ("2026-11-16T01:00:00Z", "2026-11-16 09:00"),
        ("2026-11-16T01:00:00-00:00", "2026-11-16 09:00"),
    ],
)
def test_unusual_offsets_are_converted_to_shanghai(hw, sent, shanghai):
    from django.utils import timezone

    body = {**API_OPS["complaint_create"].body, "received_at": sent}
    r = hw.world.post("agent", "/complaints", body)
    assert r.status_code == 201, r.content
    c = Complaint.objects.get(number=r.json()["number"])
    assert timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M") == shanghai
    answered = datetime.fromisoformat(r.json()["received_at"])
    assert timezone.localtime(answered).strftime("%Y-%m-%d %H:%M") == shanghai


def test_search_takes_wildcards_and_sql_literally(hw):
    """``%`` and ``_`` match themselves, SQL is text: nothing in the world holds them."""
    w = hw.world
    assert w.get("agent", "/complaints", {"q": "交货"}).json()["items"]  # the search works
    for term in ("%", "_", "%_%", "' OR 1=1 --", "'; DROP TABLE complaints_complaint; --"):
        r = w.get("agent", "/complaints", {"q": term})
        assert r.status_code == 200 and r.json()["items"] == [], (term, r.content)
        page = hw.client("agent").get("/console/search/", {"q": term})
        assert page.status_code == 200 and list(page.context["rows"]) == [], term
    assert Complaint.objects.exists()


def test_sign_in_and_language_switch(hw):
    """Hostile names never sign anyone in nor crash the page; the language switch never
    sends the browser to another site or a script."""
    from django.test import Client

    client = Client(raise_request_exception=False)  # its language cookie stays its own
    for username in ("a\x00b", "破" * 5000, "<script>alert(1)</script>", "' OR 1=1 --", "a\x07"):
        with fuzz.rolled_back():
            r = client.post("/accounts/login/", {"username": username, "password": "x"})
            assert r.status_code < 500, (username, r.status_code)
            assert "_auth_user_id" not in client.session
            assert not any(m in r.content.decode() for m in SCRIPT_MARKERS)
    for language in ("en", "<script>", "zz", "a\x00"):
        for target in ("javascript:alert(1)", "//evil.example/", "https://evil.example/x"):
            with fuzz.rolled_back():
                r = client.post("/i18n/setlang/", {"language": language, "next": target})
            assert r.status_code < 500, (language, target, r.status_code)
            location = r.get("Location", "")
            assert not location.startswith(("javascript:", "//evil", "https://evil")), location


def test_refusals_speak_the_users_language(hw, errors_log):
    """The same refusals in Chinese (the default) and in English, from the API, a console
    form and the portal."""
    verdict = fuzz.Verdict()
    for lang in ("zh-hans", "en"):
        case = API_OPS["complaint_create"]
        client = hw.client(None, lang)
        headers = {"Authorization": f"Bearer {hw.token('agent')}"}
        for field_name, value in (
            ("customer_name", "a\x00b"),
            ("title", "a\x07b"),
            ("claimed_amount", "-1"),
            ("received_at", "2026-11-16T09:00"),
        ):
            with fuzz.rolled_back():
                r = client.post(
                    "/api/v1/complaints",
                    encode_json({**case.body, field_name: value}),
                    content_type="application/json",
                    headers=headers,
                )
                answer = _json_answer(hw, r, errors_log)
            where = f"API {lang} {field_name}"
            fuzz.judge(verdict, where, answer, expect=fuzz.REFUSE, fields={field_name: value})
            fuzz.check_language(verdict, where, answer, lang)
        for name, field_name, value in (
            ("console:intake", "title", "a\x07b"),
            ("portal:submit", "description", "a\x00b"),
        ):
            ((_label, page),) = FORM_PAGES[name]
            post = FormPost(hw, page, errors_log, lang)
            answer = post.send({**post.data, field_name: value})
            where = f"{name} {lang} {field_name}"
            fuzz.judge(verdict, where, answer, expect=fuzz.REFUSE, fields={field_name: value})
            fuzz.check_language(verdict, where, answer, lang)
    assert not verdict.failures, verdict.report()
