"""Reading an .xlsx or CSV file as rows of cells, streamed (openpyxl read-only; CSV in
UTF-8 with or without BOM, or GB18030), told apart by content, not name."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from kesu.complaints.errors import InvalidInput
from kesu.complaints.services.importing.columns import SAMPLE_BYTES, XLS_MAGIC, XLSX_MAGIC

# --- reading the file --------------------------------------------------------------------------


def file_error(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"file": message})


def read_rows(file: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) for every non-empty row, header first, from an .xlsx or a CSV
    file (told apart by their content, not their name)."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(XLSX_MAGIC):
        rows: Iterable[Iterable[Any]] = _xlsx_rows(file)
    elif head.startswith(XLS_MAGIC):
        raise file_error(_("Old Excel files (.xls) cannot be read: save it as .xlsx."))
    elif not head:
        raise file_error(_("The file is empty."))
    else:
        rows = _csv_rows(file)
    for number, cells in enumerate(rows, start=1):
        values = list(cells)
        if any(v is not None and str(v).strip() for v in values):
            yield number, values


def _xlsx_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    try:
        if not workbook.worksheets:
            raise file_error(_("The workbook has no sheet."))
        # Missing rows come back empty, so the count is the spreadsheet's row number.
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_encoding(file: IO[bytes]) -> str:
    """UTF-8 (with or without the BOM Excel writes) or GB18030 (Chinese Excel's 'CSV')."""
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _csv_rows(file: IO[bytes]) -> Iterator[list[str]]:
    encoding = _csv_encoding(file)
    text = io.TextIOWrapper(io.BufferedReader(_Unclosable(file)), encoding=encoding, newline="")
    try:
        first = text.readline()
        delimiter = max(",\t;", key=first.count) if first else ","
        reader = csv.reader(_chain(first, text), delimiter=delimiter)
        yield from reader
    except UnicodeDecodeError:
        raise file_error(_("The file is neither UTF-8 nor GB18030 text.")) from None
    except csv.Error:
        raise file_error(_("The file could not be read as CSV.")) from None
    finally:
        text.detach()


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


class _Unclosable(io.RawIOBase):
    """The caller's file as a raw stream the text wrapper may read but not close."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
