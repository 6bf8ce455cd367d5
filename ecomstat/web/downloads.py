"""Downloads of the economists' tables as CSV, XLSX and Parquet (issue 18 item 3).

Text cells of CSV and XLSX files go through the one spreadsheet-formula guard
(`ecomstat.store.formats.spreadsheet_safe`, as `ecomstat export` does): a web value such as
`=cmd|' /C calc'!A0` comes out as text, never as a formula. Parquet is a data format and keeps
the values as stored (as `ecomstat export` does). Each writer streams rows into a file, so the
SQL console's "download the whole result" holds one batch in memory, not the result.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ecomstat.errors import BadInput
from ecomstat.store.formats import spreadsheet_safe
from ecomstat.store.query import write_csv as store_write_csv
from ecomstat.store.query import write_parquet as store_write_parquet

XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, the header row aside


class DownloadFormat(str, enum.Enum):
    csv = "csv"
    xlsx = "xlsx"
    parquet = "parquet"


MEDIA_TYPES = {
    DownloadFormat.csv: "text/csv; charset=utf-8",
    DownloadFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DownloadFormat.parquet: "application/vnd.apache.parquet",
}


def parse_format(text: str) -> DownloadFormat:
    try:
        return DownloadFormat(text.lower())
    except ValueError:
        raise BadInput(f"unknown download format {text!r}: use csv, xlsx or parquet") from None


def _plain(value: Any) -> Any:
    """A cell as the files hold it: dates as ISO text, decimals as floats, JSON as text."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    return store_write_csv(path, columns, rows, cell=_plain)  # `ecomstat export`'s writer


def _xlsx_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, str):
        # openpyxl stores a text starting with "=" as a formula: the guard's apostrophe makes
        # it text, and the cell is typed as a string below so nothing reads it as a formula.
        return spreadsheet_safe(value)
    return value


def write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")

    def cells(values: Sequence[Any]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_xlsx_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "=" (never a formula)
            out.append(cell)
        return out

    sheet.append(cells(columns))
    count = 0
    for row in rows:
        if count >= XLSX_MAX_ROWS:
            raise BadInput(f"more than {XLSX_MAX_ROWS} rows do not fit an XLSX sheet; "
                           "download CSV or Parquet")
        sheet.append(cells(row))
        count += 1
    workbook.save(path)
    return count


def write_parquet(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Columns typed from their values in the first batch (integers stay integers, integers with
    floats become float, an all-empty column text), through `ecomstat export`'s writer."""
    return store_write_parquet(path, columns, rows, cell=_plain, infer=_column_type,
                               instead="download CSV")


def _column_type(values: list[Any]) -> Any:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if not present:
        return pa.string()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.float64()
    if all(isinstance(v, str) for v in present):
        return pa.string()
    raise BadInput("cannot write Parquet: a column mixes numbers and text; download CSV")


WRITERS = {DownloadFormat.csv: write_csv, DownloadFormat.xlsx: write_xlsx,
           DownloadFormat.parquet: write_parquet}


def write_table(path: Path, fmt: DownloadFormat, columns: Sequence[str],
                rows: Iterable[Sequence[Any]]) -> int:
    """Write `rows` under `columns` to `path` in `fmt`; returns the number of rows."""
    return WRITERS[fmt](path, columns, rows)
