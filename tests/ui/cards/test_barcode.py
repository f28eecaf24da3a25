"""Code 128 encoding, checked against the spec's vectors, python-barcode and a decoder.

The decoder here is independent of capdesk's encoder: it reads symbol widths
through python-barcode's own table, so a wrong row in our table would show up.
python-barcode's table is trusted, its encoder is not: 0.16.1 drops a leading "99"
(see capdesk.ui.cards.barcode), so the comparison below avoids that case and the
decoder, not python-barcode, is the judge.
"""

from __future__ import annotations

import itertools

import barcode as python_barcode
import pytest
from barcode.charsets import code128 as reference
from hypothesis import given, settings
from hypothesis import strategies as st

from capdesk.ui.cards.barcode import encode

_BY_WIDTHS = {
    "".join(str(len(list(run))) for _, run in itertools.groupby(bits)): value
    for value, bits in enumerate(reference.CODES)
}
_STOP_WIDTHS = (2, 3, 3, 1, 1, 1, 2)


def decode_widths(widths: list[int] | tuple[int, ...]) -> str:
    """Bar/space widths in modules (bar first, stop included) back to text."""
    widths = list(widths)
    assert tuple(widths[-7:]) == _STOP_WIDTHS, "missing stop pattern"
    body = widths[:-7]
    assert len(body) % 6 == 0, "symbols are 6 elements each"
    values = [_BY_WIDTHS["".join(map(str, body[i : i + 6]))] for i in range(0, len(body), 6)]
    start, *data, checksum = values
    assert checksum == (start + sum(i * v for i, v in enumerate(data, start=1))) % 103
    code_set = {103: "A", 104: "B", 105: "C"}[start]
    text = ""
    for value in data:
        if code_set == "C":
            if value == 100:  # in set C, 100 switches to B; 99 is the digits "99"
                code_set = "B"
            else:
                assert value < 100
                text += f"{value:02d}"
        else:
            assert code_set == "B"
            if value == 99:
                code_set = "C"
            else:
                text += chr(value + 32)
    return text


def test_known_vector_from_the_spec_example():
    # "PJJ123C": Start B, P J J 1 2 3 C, check (104 + 48 + 2*42 + 3*42 + 4*17 + ...) % 103 = 55
    symbol = encode("PJJ123C")
    assert symbol.values == (104, 48, 42, 42, 17, 18, 19, 35, 55, 106)
    assert symbol.modules == 11 * 9 + 13


def test_digits_use_code_set_c_two_per_symbol():
    symbol = encode("1234567890123456")
    assert symbol.values == (105, 12, 34, 56, 78, 90, 12, 34, 56, 19, 106)
    assert symbol.widths[:6] == (2, 1, 1, 2, 3, 2)  # Start C
    assert symbol.widths[-7:] == _STOP_WIDTHS


def test_odd_digit_count_keeps_every_digit():
    assert encode("12345").values[:5] == (104, 17, 99, 23, 45)
    assert decode_widths(encode("12345").widths) == "12345"


def test_mixed_text_switches_sets_only_for_long_digit_runs():
    assert encode("A1234B").values == (104, 33, 99, 12, 34, 100, 34, 78, 106)
    assert 99 not in encode("AB12C").values


@pytest.mark.parametrize(
    "text",
    ["1234567890123456", "CARD1001", "EXT-2002", "PJJ123C", "A1234B", "12", "1", "ab 12345678 z"],
)
def test_matches_python_barcode_module_for_module(text):
    # None of these start with "99", where python-barcode 0.16.1 is wrong.
    assert encode(text).pattern() == python_barcode.get("code128", text).build()[0]


@pytest.mark.parametrize("text", ["99", "9999", "99A", "9912345678901234", "99-1", "A99"])
def test_a_leading_99_is_kept(text):
    # Value 99 is the digits "99" in set C and "switch to C" in set B: a start-code
    # optimisation that mixes them up (python-barcode 0.16.1 does) loses the digits
    # and still makes a valid barcode, of the wrong number.
    assert decode_widths(encode(text).widths) == text


_PRINTABLE = st.characters(min_codepoint=32, max_codepoint=126)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_PRINTABLE, min_size=1, max_size=40))
def test_any_printable_text_decodes_back(text):
    symbol = encode(text)
    assert decode_widths(symbol.widths) == text
    assert symbol.pattern().startswith("1") and symbol.pattern().endswith("11")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_any_card_number_decodes_back(number):
    # Card numbers are digits: this covers digit pairs (leading "99", odd lengths) far
    # more often than the printable-text property above.
    assert decode_widths(encode(number).widths) == number


@pytest.mark.parametrize("bad", ["", "card\n1", "Müller", "x" * 81])
def test_rejects_what_cannot_be_encoded(bad):
    with pytest.raises(ValueError):
        encode(bad)
