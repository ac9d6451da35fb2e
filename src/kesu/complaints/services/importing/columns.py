"""The column layout: every column's headers (Chinese, English, aliases), kind, help and
example; the header row mapped to fields."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from kesu.complaints.models import (
    Complaint,
    Customer,
    CustomerAccount,
)
from kesu.complaints.services.intake import NewComplaint

ALL_OR_NOTHING = "all_or_nothing"
VALID_ONLY = "valid_only"
MODES = (ALL_OR_NOTHING, VALID_ONLY)
MAX_ROWS = 100_000
EXTERNAL_REF_LENGTH = 60
# Dates before this are typing mistakes (206-10-05), not complaint history.
EARLIEST = datetime(2000, 1, 1)  # noqa: DTZ001 — compared with the naive parsed value
# The channel of a row that names none: complaint sheets are mostly kept from phone calls.
DEFAULT_CHANNEL = "hotline"
SAMPLE_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日 %H时%M分",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
)
YES = frozenset({"是", "y", "yes", "true", "1", "紧急", "urgent", "✓", "√"})
NO = frozenset({"否", "n", "no", "false", "0", "不紧急", "一般"})
# Common names for channels beside their codes and labels.
CHANNEL_ALIASES = {
    "电话": "hotline",
    "热线": "hotline",
    "客服电话": "hotline",
    "网站": "web",
    "官网": "web",
    "邮件": "email",
    "app": "app",
    "在线": "chat",
    "微信群": "group_chat",
    "现场": "onsite",
    "来信": "letter",
    "12315": "platform_12315",
}


# --- the layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str  # the English header; a NewComplaint field or one of the import's own
    zh: str  # the Chinese header
    kind: str  # text, long, datetime, decimal, bool, category, level, channel
    help: Promise
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_ref",
        "原编号",
        "text",
        gettext_lazy("The complaint's number in the system or register it comes from."),
        "TS-2025-0318",
        aliases=("原投诉编号", "原单号", "外部编号", "original_number"),
    ),
    Column(
        "received_at",
        "受理时间",
        "datetime",
        gettext_lazy("When the complaint was received (Beijing time)."),
        "2026-10-05 14:30",
        required=True,
        aliases=("投诉时间", "接收时间", "受理日期"),
    ),
    Column(
        "channel",
        "投诉渠道",
        "channel",
        gettext_lazy("How the complaint came in; empty: hotline."),
        "客服热线",
        aliases=("渠道",),
    ),
    Column(
        "customer_name",
        "客户姓名",
        "text",
        gettext_lazy("The customer's name, or the company's contact person."),
        "陈建国",
        required=True,
        aliases=("客户名称", "客户", "联系人", "姓名"),
    ),
    Column(
        "customer_company",
        "客户单位",
        "text",
        gettext_lazy("The customer's company."),
        "上海恒昌贸易有限公司",
        aliases=("公司", "单位", "公司名称"),
    ),
    Column(
        "customer_phone",
        "联系电话",
        "text",
        gettext_lazy("Contact phone; a phone number or an email is required."),
        "13816620001",
        aliases=("电话", "手机", "手机号", "联系方式"),
    ),
    Column(
        "customer_email",
        "电子邮箱",
        "text",
        gettext_lazy("Contact email; a phone number or an email is required."),
        "chen@example.cn",
        aliases=("邮箱", "email"),
    ),
    Column(
        "account_code",
        "客户账号",
        "text",
        gettext_lazy("The customer account's code, when the customer has one."),
        "HC-001",
        aliases=("客户编号", "客户代码"),
    ),
    Column(
        "category",
        "投诉事由",
        "category",
        gettext_lazy("The complaint's category: its code or its name in the procedure."),
        required=True,
        aliases=("投诉类别", "类别", "投诉类型", "问题类型"),
    ),
    Column(
        "level",
        "投诉级别",
        "level",
        gettext_lazy("The level: its code or name; empty: the procedure suggests one."),
        aliases=("级别", "等级"),
    ),
    Column(
        "urgent",
        "是否紧急",
        "bool",
        gettext_lazy("是 / 否 (yes / no); empty: the procedure suggests."),
        "否",
        aliases=("紧急",),
    ),
    Column(
        "title",
        "标题",
        "text",
        gettext_lazy("A short title; empty: the description's first line."),
        aliases=("投诉标题", "主题"),
    ),
    Column(
        "description",
        "投诉内容",
        "long",
        gettext_lazy("What the customer complains about."),
        "交货期延迟了一周,影响生产安排。",
        required=True,
        aliases=("问题描述", "描述", "内容", "投诉描述"),
    ),
    Column(
        "demand",
        "客户诉求",
        "long",
        gettext_lazy("What the customer asks for or expects."),
        "尽快发货",
        aliases=("诉求", "客户诉求与期望", "期望"),
    ),
    Column(
        "claimed_amount",
        "索赔金额",
        "decimal",
        gettext_lazy("The amount claimed, in CNY."),
        "500",
        aliases=("金额", "索赔金额(元)"),
    ),
    Column("order_no", "订单号", "text", gettext_lazy("Order number."), aliases=("订单编号",)),
    Column("waybill_no", "运单号", "text", gettext_lazy("Waybill number."), aliases=("运单编号",)),
    Column(
        "contract_no", "合同号", "text", gettext_lazy("Contract number."), aliases=("合同编号",)
    ),
    Column("goods", "货物", "text", gettext_lazy("The goods concerned."), aliases=("货物名称",)),
    Column(
        "product", "产品", "text", gettext_lazy("The product concerned."), aliases=("产品名称",)
    ),
    Column("batch_no", "批次号", "text", gettext_lazy("Product batch number."), aliases=("批号",)),
    Column(
        "origin", "始发地", "text", gettext_lazy("Where the shipment started."), aliases=("发货地",)
    ),
    Column("destination", "目的地", "text", gettext_lazy("Where the shipment went.")),
    Column(
        "incident_at",
        "发生时间",
        "datetime",
        gettext_lazy("When the incident happened."),
        aliases=("事发时间",),
    ),
    Column(
        "incident_place",
        "发生地点",
        "text",
        gettext_lazy("Where the incident happened."),
        aliases=("事发地点",),
    ),
    Column(
        "platform_case_no",
        "平台案件号",
        "text",
        gettext_lazy("The case number of the platform that forwarded it (e.g. 12315)."),
        aliases=("平台编号",),
    ),
    Column(
        "closed_at",
        "关闭时间",
        "datetime",
        gettext_lazy("For a case that is already closed: when. The row is then closed history."),
        aliases=("结案时间", "关闭日期"),
    ),
    Column(
        "outcome",
        "处理结果",
        "long",
        gettext_lazy("For closed history: how the case ended."),
        aliases=("处理结论", "结案说明"),
    ),
)
BY_FIELD = {c.field: c for c in COLUMNS}
NEW_COMPLAINT_FIELDS = frozenset(f.name for f in fields(NewComplaint))
# Where a text column is stored, for its length limit.
STORED_IN: dict[str, tuple[Any, str]] = {
    "customer_name": (Customer, "name"),
    "customer_company": (Customer, "company"),
    "customer_phone": (Customer, "phone"),
    "customer_email": (Customer, "email"),
    "account_code": (CustomerAccount, "code"),
}


def header_key(text: str) -> str:
    """'Customer name *' and 'customer_name' alike; Chinese headers as written."""
    text = str(text).strip().replace("*", "")
    for mark in ("(必填)", "\uff08必填\uff09"):  # ASCII and full-width brackets
        text = text.replace(mark, "")
    return "_".join(text.casefold().replace("-", " ").split())


HEADERS: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.field, _column.zh, *_column.aliases):
        HEADERS[header_key(_name)] = _column.field


def max_length(name: str) -> int | None:
    if name == "external_ref":
        return EXTERNAL_REF_LENGTH
    model, attr = STORED_IN.get(name, (Complaint, name))
    try:
        return model._meta.get_field(attr).max_length
    except FieldDoesNotExist:  # a column with no stored field (outcome) has no limit
        return None
