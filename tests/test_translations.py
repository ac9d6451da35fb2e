"""The Simplified Chinese catalog (src/kesu/locale/zh_Hans): complete, translated, compiled and
used. Chinese is the default language; English is the source text, so it needs no catalog.

The catalog is made with ``kesu makemessages`` and compiled with ``kesu compilemessages`` (see
docs/architecture.md, "Translations"); both the .po and the .mo are kept in the repository so a
machine without GNU gettext shows Chinese. These tests read both files with nothing but Python.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

import kesu

SRC = Path(kesu.__file__).resolve().parent
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# Source folders makemessages does not scan (see docs/architecture.md).
NOT_SCANNED = {"locale", "migrations", "__pycache__"}


# --- a small .po reader --------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        """The key gettext uses: the context, EOT, then the msgid."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    def __str__(self) -> str:
        ctx = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"django.po:{self.line} {self.msgid!r}{ctx}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
_ESCAPES |= {"f": "\f", "v": "\v"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def _unquote(text: str, line: int) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"django.po:{line}: not a quoted string: {text!r}")

    def unescape(m: re.Match[str]) -> str:
        if m.group(1) not in _ESCAPES:
            raise ValueError(f"django.po:{line}: unknown escape \\{m.group(1)}")
        return _ESCAPES[m.group(1)]

    return re.sub(r"\\(.)", unescape, text[1:-1])


def parse_po(text: str) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") first; obsolete (#~) entries are left
    out, as msgfmt leaves them out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # the field continuation lines extend

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            if entry.msgstr is None and not entry.msgstr_plural:
                raise ValueError(f"{entry}: no msgstr")
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#"):
            if entry is not None and (entry.msgstr is not None or entry.msgstr_plural):
                finish()
            if entry is None:
                entry = Entry(line=number)
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if entry is None or target is None:
                raise ValueError(f"django.po:{number}: continuation line outside an entry")
            name, index = target
            more = _unquote(line, number)
            if index is not None:
                entry.msgstr_plural[index] += more
            else:
                setattr(entry, name, getattr(entry, name) + more)
            continue
        m = _KEYWORD.match(line)
        if not m:
            raise ValueError(f"django.po:{number}: cannot read {raw!r}")
        keyword, index, value = m.group(1), m.group(2), _unquote(m.group(3), number)
        starts_entry = keyword in {"msgctxt", "msgid"}
        if starts_entry and entry is not None and (entry.msgstr is not None or entry.msgstr_plural):
            finish()
        if entry is None:
            entry = Entry(line=number)
        if index is not None:
            entry.msgstr_plural[int(index)] = value
            target = ("msgstr_plural", int(index))
        else:
            setattr(entry, keyword, value)
            target = (keyword, None)
    finish()
    return entries


def parse_header(header: str) -> dict[str, str]:
    fields = {}
    for line in header.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


_NAMED = r"%\((\w+)\)[-#0+ ]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]"
_POSITIONAL = r"%[-#0+]*(?:\d+)?(?:\.\d+)?[diouxXeEfFgGcrsa]"
_PRINTF = re.compile(f"%%|{_NAMED}|{_POSITIONAL}")
_BRACE = re.compile(r"\{\{|\}\}|\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


def placeholders(text: str) -> set[str]:
    """%(name)s, %s, {name} and {} placeholders in ``text`` (escaped %% {{ }} are not)."""
    found = {m.group(0) for m in _PRINTF.finditer(text) if m.group(0) != "%%"}
    found |= {m.group(0) for m in _BRACE.finditer(text) if m.group(0) not in {"{{", "}}"}}
    return found


@pytest.fixture(autouse=True)
def _default_language_after():
    """LocaleMiddleware leaves the request's language active in the thread: a request in
    English here must not make later tests run in English."""
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO.is_file(), f"{PO} is missing: run makemessages (docs/architecture.md)"
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def header(po_entries) -> dict[str, str]:
    first = po_entries[0]
    assert first.msgid == "" and first.msgctxt is None, "the .po must start with its header"
    assert "fuzzy" not in first.flags, "the header is still marked fuzzy"
    return parse_header(first.msgstr or "")


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    return po_entries[1:]


# --- the .po --------------------------------------------------------------------------------


def test_po_reader_reads_what_it_should():
    text = (
        '# comment\nmsgid ""\nmsgstr "Language: zh_Hans\\n"\n\n'
        '#: a.py\n#, python-format\nmsgctxt "verb"\nmsgid "Open %(n)s"\nmsgstr ""\n"打开 "\n'
        '"%(n)s"\n\nmsgid "one"\nmsgid_plural "%(count)d many"\nmsgstr[0] "%(count)d 个"\n'
        '#~ msgid "gone"\n#~ msgstr "没了"\n'
    )
    header, opened, plural = parse_po(text)
    assert parse_header(header.msgstr) == {"Language": "zh_Hans"}
    assert (opened.msgctxt, opened.msgid, opened.msgstr) == ("verb", "Open %(n)s", "打开 %(n)s")
    assert opened.flags == {"python-format"} and opened.key == "verb\x04Open %(n)s"
    assert plural.msgid_plural == "%(count)d many" and plural.msgstr_plural == {0: "%(count)d 个"}
    assert placeholders("%(a)s %d %% {b} {} {{c}} 100% sure") == {"%(a)s", "%d", "{b}", "{}"}


def test_header(header):
    assert header.get("Language") == "zh_Hans"
    assert "charset=UTF-8" in header.get("Content-Type", "")
    assert header.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated(messages, header):
    nplurals = int(re.search(r"nplurals=(\d+)", header["Plural-Forms"]).group(1))
    problems = []
    seen: set[str] = set()
    for e in messages:
        if e.key in seen:
            problems.append(f"{e}: appears twice")
        seen.add(e.key)
        if "fuzzy" in e.flags:
            problems.append(f"{e}: fuzzy")
        if e.msgid_plural is None:
            if e.msgstr_plural or not e.msgstr or not e.msgstr.strip():
                problems.append(f"{e}: not translated")
            elif placeholders(e.msgstr) != placeholders(e.msgid):
                problems.append(f"{e}: placeholders {placeholders(e.msgstr)} in {e.msgstr!r}")
            continue
        if sorted(e.msgstr_plural) != list(range(nplurals)):
            problems.append(f"{e}: needs exactly msgstr[0..{nplurals - 1}]")
        # With one form for every number, each form must carry the plural's placeholders.
        wanted = placeholders(e.msgid_plural) | placeholders(e.msgid)
        for index, text in e.msgstr_plural.items():
            if not text.strip():
                problems.append(f"{e}: msgstr[{index}] not translated")
            elif placeholders(text) != wanted:
                problems.append(f"{e}: msgstr[{index}] placeholders {placeholders(text)}")
    assert messages, "the catalog is empty"
    assert not problems, "\n".join(problems)


def test_mo_is_compiled_from_the_po(messages):
    assert MO.is_file(), f"{MO} is missing: run compilemessages (docs/architecture.md)"
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    expected: dict[str | tuple[str, int], str] = {}
    for e in messages:
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr or ""
        else:
            expected.update({(e.key, i): text for i, text in e.msgstr_plural.items()})
    actual = {key: text for key, text in compiled._catalog.items() if key != ""}
    stale = sorted(str(k) for k in expected.keys() - actual.keys())
    extra = sorted(str(k) for k in actual.keys() - expected.keys())
    changed = sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert not (stale or extra or changed), (
        "django.mo is out of date with django.po: run compilemessages\n"
        f"missing from .mo: {stale}\nnot in .po: {extra}\ntranslated differently: {changed}"
    )
    assert compiled.info().get("language") == "zh_Hans"


# --- the catalog covers the source ----------------------------------------------------------

# Django's translation functions, and for each the positions of (context, singular, plural).
FUNCTIONS = {
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


@dataclass(frozen=True)
class Call:
    where: str
    function: str
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None


def _translation_aliases(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local names bound to Django's translation functions, and names of the module itself."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in FUNCTIONS:
                    functions[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules |= {a.asname or a.name for a in node.names if a.name == "translation"}
    return functions, modules


def translation_calls(path: Path, root: Path = SRC.parent) -> tuple[list[Call], list[str]]:
    """Calls of Django's translation functions in ``path``, and the calls whose message is
    built at run time (f-string, % or +), which no catalog can hold."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    functions, modules = _translation_aliases(tree)
    calls, built = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in functions:
            name = functions[f.id]
        elif (
            isinstance(f, ast.Attribute)
            and f.attr in FUNCTIONS
            and isinstance(f.value, ast.Name)
            and f.value.id in modules
        ):
            name = f.attr
        else:
            continue
        where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
        args = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        positions = FUNCTIONS[name]
        names = ("context", "singular" if positions[2] is not None else "message", "plural")
        values: list[ast.expr | None] = []
        for position, keyword in zip(positions, names, strict=True):
            if position is None:
                values.append(None)
            elif position < len(node.args):
                values.append(node.args[position])
            else:
                values.append(args.get(keyword))
        if all(
            v is None or (isinstance(v, ast.Constant) and isinstance(v.value, str)) for v in values
        ):
            ctx, msgid, plural = (v.value if v is not None else None for v in values)
            if msgid is not None:
                calls.append(Call(where, name, ctx, msgid, plural))
        elif any(isinstance(v, ast.JoinedStr | ast.BinOp) for v in values):
            built.append(f"{where}: {ast.unparse(node)}")
    return calls, built


def template_calls(path: Path, root: Path = SRC.parent) -> list[Call]:
    """The messages of a template's {% translate %} / {% blocktranslate %} tags and _("…")
    constants: Django's ``templatize`` (what makemessages hands to xgettext) turns them into
    gettext calls, each on one line, read here with Python's tokenizer."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    names = {"_": "gettext", "gettext": "gettext", "pgettext": "pgettext"}
    names |= {"ngettext": "ngettext", "npgettext": "npgettext"}
    wanted = {tokenize.NAME, tokenize.OP, tokenize.STRING}
    found = []
    for number, line in enumerate(code.splitlines(), start=1):
        reader = io.StringIO(line.strip()).readline
        tokens = [t for t in tokenize.generate_tokens(reader) if t.type in wanted]
        for i, token in enumerate(tokens[:-1]):
            if token.type != tokenize.NAME or token.string not in names:
                continue
            if tokens[i + 1].string != "(":
                continue
            strings = []
            for t in tokens[i + 2 :]:
                if t.string == ")":
                    break
                if t.type == tokenize.STRING:
                    strings.append(ast.literal_eval(t.string))
            name = names[token.string]
            ctx_at, msg_at, plural_at = FUNCTIONS[name]
            found.append(
                Call(
                    f"{path.relative_to(root).as_posix()}:{number}",
                    name,
                    strings[ctx_at] if ctx_at is not None else None,
                    strings[msg_at],
                    strings[plural_at] if plural_at is not None else None,
                )
            )
    return found


def _scanned(pattern: str) -> list[Path]:
    return sorted(
        p for p in SRC.rglob(pattern) if not NOT_SCANNED & set(p.relative_to(SRC).parts[:-1])
    )


def source_files() -> list[Path]:
    return _scanned("*.py")


def template_files() -> list[Path]:
    """What makemessages reads besides Python: .html and .txt files."""
    return _scanned("*.html") + _scanned("*.txt")


@pytest.fixture(scope="module")
def calls() -> list[Call]:
    found: list[Call] = []
    for path in source_files():
        found += translation_calls(path)[0]
    for path in template_files():
        found += template_calls(path)
    return found


def test_the_template_scan_finds_translation_tags(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        '{% load i18n %}<h1>{% translate "Sign in" %}</h1>\n'
        "<p>{% blocktranslate %}Error {{ status }}.{% endblocktranslate %}</p>\n"
        "{% translate 'May' context 'month' %}\n"
        "{% blocktranslate count n=items|length %}{{ n }} item{% plural %}{{ n }} items"
        "{% endblocktranslate %}\n"
        '{{ value|default:_("none") }} {{ plain }} it\'s\n',
        encoding="utf-8",
    )
    found = template_calls(path, root=tmp_path)
    assert sorted((c.where, c.function, c.msgctxt, c.msgid, c.msgid_plural) for c in found) == [
        ("page.html:1", "gettext", None, "Sign in", None),
        ("page.html:2", "gettext", None, "Error %(status)s.", None),
        ("page.html:3", "pgettext", "month", "May", None),
        ("page.html:4", "ngettext", None, "%(n)s item", "%(n)s items"),
        ("page.html:5", "gettext", None, "none", None),
    ]


def test_the_source_scan_finds_translation_calls(tmp_path, calls):
    path = tmp_path / "sample.py"
    path.write_text(
        "from django.utils import translation\n"
        "from django.utils.translation import gettext as _, ngettext, pgettext_lazy as p\n"
        "_('One' ' two')\n"
        "ngettext('a %(n)s', '%(n)s b', 2)\n"
        "p('ctx', message='m')\n"
        "translation.gettext('via module')\n"
        "_(f'no {x}')\n"
        "_('no %s' % x)\n"
        "_(variable)\n"
        "len('not translated')\n",
        encoding="utf-8",
    )
    found, built = translation_calls(path, root=tmp_path)
    assert sorted((c.where, c.function, c.msgctxt, c.msgid, c.msgid_plural) for c in found) == [
        ("sample.py:3", "gettext", None, "One two", None),
        ("sample.py:4", "ngettext", None, "a %(n)s", "%(n)s b"),
        ("sample.py:5", "pgettext_lazy", "ctx", "m", None),
        ("sample.py:6", "gettext", None, "via module", None),
    ]
    assert [b.split(":")[1] for b in built] == ["7", "8"]
    # And the real source has translatable text in every app.
    apps = {c.where.split("/")[1] for c in calls}
    assert apps >= {"accounts", "api", "complaints", "outbox", "policy", "workcal"}


def test_every_source_string_is_in_the_catalog(calls, messages):
    catalog = {e.key: e for e in messages}
    missing = []
    for call in calls:
        key = call.msgid if call.msgctxt is None else f"{call.msgctxt}\x04{call.msgid}"
        entry = catalog.get(key)
        if entry is None:
            missing.append(f"{call.where}: {call.msgid!r}")
        elif entry.msgid_plural != call.msgid_plural:
            missing.append(f"{call.where}: {call.msgid!r} plural {call.msgid_plural!r}")
    assert not missing, (
        "not in the catalog: run makemessages, translate, compilemessages "
        "(docs/architecture.md, Translations)\n" + "\n".join(missing)
    )


def test_no_message_is_built_at_run_time():
    built = []
    for path in source_files():
        built += translation_calls(path)[1]
    assert not built, "translate the fixed text and format after:\n" + "\n".join(built)


def test_no_javascript_catalog_is_needed():
    """JavaScript text is not translated through Django (kesu.js carries its few words in both
    languages); a script that uses Django's JavaScript catalog needs a djangojs catalog."""
    uses_catalog = re.compile(r"\b(n|p|np)?gettext\(|\binterpolate\(")
    js = [p for p in _scanned("*.js") if uses_catalog.search(p.read_text(encoding="utf-8"))]
    assert not js or (LOCALE_DIR / "zh_Hans/LC_MESSAGES/djangojs.po").is_file(), js


# --- the words of the procedure (SPEC §1, §3) -----------------------------------------------

STATES_ZH = {
    "received": "已受理",
    "assigned": "已分派",
    "investigating": "调查处理中",
    "awaiting_customer": "待客户补充",
    "pending_approval": "方案待审批",
    "resolving": "方案执行中",
    "pending_review": "待审核",
    "pending_callback": "待回访",
    "closed": "已关闭",
    "rejected": "不予受理",
    "merged": "已合并",
}
ROLES_ZH = {
    "customer": "客户",
    "agent": "客服专员",
    "handler": "责任部门处理人",
    "manager": "部门经理",
    "executive": "高层管理者",
    "quality": "质量管理",
    "admin": "管理员",
}


def test_states_and_roles_use_the_procedures_words():
    from kesu.accounts.models import Role
    from kesu.complaints.states import State

    assert {s.value for s in State} == STATES_ZH.keys()
    assert {r.value for r in Role} == ROLES_ZH.keys()
    with translation.override("zh-hans"):
        assert {s.value: str(s.label) for s in State} == STATES_ZH
        assert {r.value: str(r.label) for r in Role} == ROLES_ZH
    with translation.override("en"):
        assert str(State.PENDING_CALLBACK.label) == "Awaiting callback"
        assert str(Role.AGENT.label) == "Customer-service agent"


def test_default_language_is_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Not found.") == "未找到。"


# --- the API answers in the request's language ----------------------------------------------


@pytest.fixture
def agent_client(db) -> Client:
    from kesu.accounts.models import ApiToken, Role, User

    user = User.objects.create_user(username="i18n_agent", password=None, role=Role.AGENT)
    _, raw = ApiToken.issue(user=user, name="i18n")
    return Client(headers={"Authorization": f"Bearer {raw}"})


CHINESE = ["", "zh-hans", "zh-CN,zh;q=0.9,en;q=0.8", "zh"]
ENGLISH = ["en", "en-US,en;q=0.9"]


@pytest.mark.parametrize("accept", CHINESE + ENGLISH)
def test_not_found_in_the_request_language(agent_client, accept):
    headers = {"Accept-Language": accept} if accept else {}
    r = agent_client.get("/api/v1/complaints/KS-00000000-0000", headers=headers)
    assert r.status_code == 404, r.content
    body = r.json()
    assert body["code"] == "not_found"
    if accept in ENGLISH:
        assert body["message"] == "No such complaint, or you may not see it."
        assert r["Content-Language"] == "en"
    else:
        assert body["message"] == "该投诉不存在，或您无权查看。"
        assert r["Content-Language"] == "zh-hans"


@pytest.mark.parametrize(("accept", "zh"), [("zh-hans", True), ("en", False)])
def test_invalid_input_in_the_request_language(agent_client, accept, zh):
    r = agent_client.post(
        "/api/v1/complaints",
        data={"channel": "email", "description": "x", "claimed_amount": "abc"},
        content_type="application/json",
        headers={"Accept-Language": accept},
    )
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "invalid_input"
    if zh:
        assert body["message"] == "部分数据无效。"
        assert body["errors"]["customer_name"] == "这个字段是必填项。"
        assert body["errors"]["claimed_amount"] == "请输入数字。"
    else:
        assert body["message"] == "Some of the data is not valid."
        assert body["errors"]["customer_name"] == "This field is required."
        assert body["errors"]["claimed_amount"] == "Enter a number."


@pytest.mark.parametrize(
    ("accept", "message"),
    [("zh-hans", "请先登录或提供有效的 API 令牌。"), ("en", "Sign in or give a valid API token.")],
    ids=["zh-hans", "en"],
)
def test_unauthenticated_in_the_request_language(db, accept, message):
    r = Client().get("/api/v1/complaints", headers={"Accept-Language": accept})
    assert r.status_code == 401, r.content
    assert r.json()["message"] == message


@pytest.mark.parametrize(
    ("accept", "words"),
    [("zh-hans", ["登录", "用户名", "密码"]), ("en", ["Sign in", "Username", "Password"])],
    ids=["zh-hans", "en"],
)
def test_sign_in_page_in_the_request_language(db, accept, words):
    r = Client().get("/accounts/login/", headers={"Accept-Language": accept})
    assert r.status_code == 200
    page = r.content.decode()
    assert all(word in page for word in words), words
