"""CSV for people to open in a spreadsheet: the one way caregraph writes CSV.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (CSV injection): a patient
named "=HYPERLINK(...)" would become a live link in the coordinator's sheet.
Such a value is written with a leading apostrophe, which spreadsheets show as
text and do not display.
"""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def spreadsheet_safe(value: object) -> object:
    """The value as a spreadsheet should show it: text that would run as a formula is escaped."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """csv.writer with every cell passed through spreadsheet_safe."""

    def __init__(self, target: _Writable) -> None:
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_response(filename: str) -> tuple[HttpResponse, SafeCsvWriter]:
    """An attachment response and the safe writer that fills it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, SafeCsvWriter(response)
