"""The import tests' world: the API world (b2b preset, one user of every role with a token,
one complaint for each of two customers, time frozen on Monday 2026-11-16 10:00 in Shanghai)
and a sheet of good and bad rows written as .xlsx or CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from tests.api.conftest import fast_passwords, frozen, world  # noqa: F401 — shared fixtures

__all__ = ["HEADER", "ROWS", "csv_file", "xlsx_file"]

HEADER = [
    "原编号",
    "受理时间",
    "投诉渠道",
    "客户姓名",
    "联系电话",
    "customer_email",
    "投诉事由",
    "级别",
    "投诉内容",
    "关闭时间",
    "处理结果",
    "备注",  # not a column of the layout: reported and ignored
]

# The existing complaint of customer_a (tests/api/conftest.py World.new) as the API world made it.
EXISTING_DESCRIPTION = "交货期延迟了一周,影响我们的生产安排。"

ROWS: list[list[Any]] = [
    # row 2: good, open, a week old
    [
        "",
        "2026-11-10 09:00",
        "客服热线",
        "张伟",
        "13900001111",
        "",
        "交货期延迟",
        "B",
        "货物晚到三天。",
        "",
        "",
        "x",
    ],
    # row 3: no customer name
    [
        "",
        "2026-11-10 10:00",
        "",
        "",
        "13900002222",
        "",
        "late_delivery",
        "",
        "包装破了。",
        "",
        "",
        "",
    ],
    # row 4: bad phone
    ["", "2026-11-10 11:00", "", "李娜", "12ab", "", "late_delivery", "", "发错型号。", "", "", ""],
    # row 5: unknown category
    [
        "",
        "2026-11-10 12:00",
        "",
        "王强",
        "13900004444",
        "",
        "火星快递",
        "",
        "没收到货。",
        "",
        "",
        "",
    ],
    # row 6: bad date
    [
        "",
        "2026-13-45 25:00",
        "",
        "赵敏",
        "13900005555",
        "",
        "late_delivery",
        "",
        "发票错了。",
        "",
        "",
        "",
    ],
    # row 7: good, closed history from the old register, two years ago
    [
        "OLD-1",
        "2024-03-01 10:00",
        "邮件",
        "孙丽",
        "13900006666",
        "",
        "invoicing",
        "C",
        "发票抬头错误。",
        "2024-03-05 17:00",
        "已重开发票。",
        "",
    ],
    # row 8: the same as row 2 (the description spaced differently)
    [
        "",
        "2026-11-10 09:00",
        "hotline",
        "张伟",
        "13900001111",
        "",
        "late_delivery",
        "",
        "货物晚到三天。 ",
        "",
        "",
        "",
    ],
    # row 9: the complaint customer_a already has
    [
        "",
        "2026-11-16 10:00",
        "email",
        "陈建国",
        "13816620001",
        "",
        "late_delivery",
        "",
        EXISTING_DESCRIPTION,
        "",
        "",
        "",
    ],
    # row 10: good, open, email only, another date format
    [
        "OLD-2",
        "2026/11/12 9:30",
        "",
        "周杰",
        "",
        "zhou@example.cn",
        "Late delivery",
        "",
        "催了三次还没发货。",
        "",
        "",
        "",
    ],
    # row 11: the original number of row 7 again
    [
        "OLD-1",
        "2024-03-02 10:00",
        "",
        "孙丽",
        "13900006666",
        "",
        "invoicing",
        "",
        "又一次。",
        "2024-03-06 10:00",
        "",
        "",
    ],
]
GOOD_ROWS = (2, 7, 10)


def expected_errors(existing_number: str) -> list[tuple[int, str, str, str]]:
    """(row, field, column, message) in English, in file order."""
    return [
        (3, "customer_name", "客户姓名", "The customer's name or company is required."),
        (4, "customer_phone", "联系电话", "This is not a valid phone number."),
        (5, "category", "投诉事由", "Unknown category."),
        (6, "received_at", "受理时间", "Enter a date and time such as 2026-10-05 14:30."),
        (8, "", "", "Duplicate of row 2."),
        (9, "", "", f"Already recorded as complaint {existing_number}."),
        (11, "external_ref", "原编号", "Duplicate of row 7."),
    ]


def _table(rows: list[list[Any]]) -> list[list[Any]]:
    return [HEADER, *rows]


def xlsx_file(rows: list[list[Any]] | None = None, *, excel_dates: bool = True) -> io.BytesIO:
    """The sheet as a workbook; row 10's time as a real Excel date cell, and an empty row
    between the header and the data is not there (Excel numbers rows as written)."""
    wb = Workbook()
    ws = wb.active
    for values in _table(ROWS if rows is None else rows):
        ws.append(values)
    if excel_dates and rows is None:
        ws.cell(row=10, column=2).value = datetime(2026, 11, 12, 9, 30)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def csv_file(rows: list[list[Any]] | None = None, *, encoding: str = "utf-8-sig") -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows(_table(ROWS if rows is None else rows))
    return io.BytesIO(out.getvalue().encode(encoding))
