"""Code 128 encoding: text in, bar/space widths out (no drawing here).

Written out here rather than taken from python-barcode, which was measured as the
alternative. Its latest release (0.16.1) silently drops a leading "99": "9912..."
comes out as a valid barcode of "12...", so a scanner would read a wrong card
number without complaint (upstream issue #251, fixed but not released). Its
encoder also keeps state between builds, and it costs more at the first print (its
SVG writer and xml.dom load with it) and in the bundle. The symbology itself is a
107-row table plus a weighted checksum; the tests check our table against
python-barcode's and decode the bars independently. Card numbers are mostly
digits, so runs of digits use code set C (two digits per symbol) and everything
else printable uses code set B; the result is as short as those two sets allow,
which keeps the narrow bar wide enough to scan on a small label. Drawing lives in
:mod:`capdesk.ui.cards.barcode_label`, which is imported only when a label is
printed or previewed.
"""

from __future__ import annotations

from dataclasses import dataclass

# Bar/space widths of symbol values 0..106 (106 = stop, which has a 7th bar).
_TABLE = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 "
    "221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 "
    "221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
    "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 "
    "231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 "
    "231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 "
    "111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 "
    "114131 311141 411131 211412 211214 211232 2331112"
)
_WIDTHS = tuple(_TABLE.split())

CODE_C = 99  # switch to code set C (from A or B)
CODE_B = 100  # switch to code set B (from C)
START_B = 104
START_C = 105
STOP = 106
QUIET_ZONE_MODULES = 10  # the minimum blank margin each side that scanners need

_MAX_LENGTH = 80


def symbol_widths(value: int) -> tuple[int, ...]:
    """The bar/space widths (in modules) of one symbol value, bar first."""
    return tuple(int(w) for w in _WIDTHS[value])


@dataclass(frozen=True)
class Code128:
    """An encoded symbol: the values (start … checksum, stop) and their widths."""

    text: str
    values: tuple[int, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        """Alternating bar, space, bar… widths in modules; starts and ends with a bar."""
        return tuple(w for value in self.values for w in symbol_widths(value))

    @property
    def modules(self) -> int:
        """Total width in modules, without quiet zones."""
        return sum(self.widths)

    def pattern(self) -> str:
        """``"1"`` for each dark module, ``"0"`` for each light one (for comparisons)."""
        return "".join(("1" if i % 2 == 0 else "0") * w for i, w in enumerate(self.widths))


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isascii() and text[end].isdigit():
        end += 1
    return end - start


def encode(text: str) -> Code128:
    """Encode printable ASCII ``text``; raises ValueError for anything else."""
    if not text:
        raise ValueError("Nothing to encode.")
    if len(text) > _MAX_LENGTH:
        raise ValueError("Too long for a barcode label.")
    if any(not (32 <= ord(ch) <= 126) for ch in text):
        raise ValueError("Only letters, digits and common symbols can go in a barcode.")

    values: list[int] = []
    code_set: str | None = None

    def switch(to: str) -> None:
        nonlocal code_set
        if code_set == to:
            return
        if code_set is None:
            values.append(START_C if to == "C" else START_B)
        else:
            values.append(CODE_C if to == "C" else CODE_B)
        code_set = to

    i = 0
    while i < len(text):
        run = _digit_run(text, i)
        # Set C pays off for 4+ digits, or 2+ when the digits are the whole text.
        if run >= 4 or (i == 0 and run == len(text) and run >= 2):
            if run % 2:
                switch("B")
                values.append(ord(text[i]) - 32)
                i += 1
                run -= 1
            switch("C")
            for _ in range(run // 2):
                values.append(int(text[i : i + 2]))
                i += 2
        else:
            switch("B")
            values.append(ord(text[i]) - 32)
            i += 1

    checksum = (values[0] + sum(pos * v for pos, v in enumerate(values[1:], start=1))) % 103
    return Code128(text=text, values=(*values, checksum, STOP))
