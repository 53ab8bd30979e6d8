"""Reading single cells: what a marketer types becomes the right value, or a plain problem."""

from __future__ import annotations

import datetime as dt
import math
import re
import typing
import warnings
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetsync import cells
from sheetsync.cells import (
    READERS,
    CellProblem,
    read_date,
    read_list,
    read_money,
    read_number,
    read_percent,
    read_text,
)
from sheetsync.schema import FieldType
from sheetsync.workbook import CellError

LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "de_CH", "sv_SE", "en_IN", "ja_JP", "hu_HU")


def problem(reader: typing.Callable[..., object], value: object, locale: str) -> CellProblem:
    with pytest.raises(CellProblem) as caught:
        reader(value, locale)
    return caught.value


# --- blanks and formula errors -----------------------------------------------------------------


@pytest.mark.parametrize("reader", list(READERS.values()), ids=list(READERS))
@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n", "\u00a0"])
def test_blank_cells_read_as_nothing(reader, blank):
    assert reader(blank, "en_US") == (() if reader is read_list else None)


@pytest.mark.parametrize("reader", list(READERS.values()), ids=list(READERS))
@pytest.mark.parametrize(
    ("code", "cause"),
    [
        ("#REF!", "deleted"),
        ("#DIV/0!", "divides by zero"),
        ("#N/A", "lookup"),
        ("#VALUE!", "text where a number is needed"),
        ("#NAME?", "does not know"),
    ],
)
def test_formula_errors_are_problems_naming_the_error(reader, code, cause):
    found = problem(reader, CellError(code), "en_US")
    assert found.message == f"the cell shows the formula error {code}"
    assert cause in found.hint
    assert "formula" in found.hint
    assert str(found) == found.message


def test_an_unknown_formula_error_still_says_to_fix_the_formula():
    found = problem(read_number, CellError("#WHATEVER!"), "en_US")
    assert found.message == "the cell shows the formula error #WHATEVER!"
    assert found.hint == "Fix the formula this cell uses, or type the value instead."


@pytest.mark.parametrize("reader", list(READERS.values()), ids=list(READERS))
def test_a_formula_error_without_its_code_is_still_told_as_one(reader):
    # A damaged or hand-made file can hold an error cell with nothing in it.
    found = problem(reader, CellError(""), "en_US")
    assert found.message == "the cell shows a formula error"
    assert found.hint == "Fix the formula this cell uses, or type the value instead."


def test_readers_cover_every_field_type():
    assert set(READERS) == set(typing.get_args(FieldType))
    assert READERS["date"] is read_date
    assert READERS["percent"] is read_percent


# --- text and lists ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  G1  ", "G1"),
        ("Trade show", "Trade show"),
        (12, "12"),
        (12.0, "12"),
        (-3.0, "-3"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.date(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1), "2026-03-01"),
        (dt.datetime(2026, 3, 1, 9, 30), "2026-03-01 09:30"),
        (dt.datetime(2026, 3, 1, 9, 30, 15), "2026-03-01 09:30:15"),
    ],
)
def test_text(value, expected):
    assert read_text(value, "en_US") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Email, Trade show", ("Email", "Trade show")),
        ("Email;Podcast; SEO", ("Email", "Podcast", "SEO")),
        (" Email ,, ; SEO, ", ("Email", "SEO")),
        ("G1\nG2", ("G1", "G2")),
        ("Email", ("Email",)),
        (",;", ()),
        (7, ("7",)),
        (7.0, ("7",)),
    ],
)
def test_list(value, expected):
    assert read_list(value, "en_US") == expected


# --- numbers and money -------------------------------------------------------------------------

AMOUNTS = [
    # value, locale, expected
    (1200, "en_US", 1200.0),
    (1200.5, "en_US", 1200.5),
    (-50, "en_US", -50.0),
    ("1200", "en_US", 1200.0),
    (" 1200.50 ", "en_US", 1200.5),
    ("$1,200.50", "en_US", 1200.5),
    ("$ 1,200", "en_US", 1200.0),
    ("1,234,567.89", "en_US", 1234567.89),
    ("1.2k", "en_US", 1200.0),
    ("1.1K", "en_US", 1100.0),
    ("€3M", "en_US", 3_000_000.0),
    ("2.5bn", "en_US", 2_500_000_000.0),
    ("$1.5 M", "en_US", 1_500_000.0),
    ("-$50", "en_US", -50.0),
    ("$-50", "en_US", -50.0),
    ("\u221250", "en_US", -50.0),  # the typographic minus sign
    ("(50)", "en_US", -50.0),
    ("($1,200.50)", "en_US", -1200.5),
    ("+5", "en_US", 5.0),
    ("USD 1,200", "en_US", 1200.0),
    ("1200 EUR", "en_US", 1200.0),
    ("1200eur", "en_US", 1200.0),
    ("£99.99", "en_GB", 99.99),
    ("GBP 99.99", "en_GB", 99.99),
    ("US$1,200", "en_US", 1200.0),
    ("5 MXN", "en_US", 5.0),
    (".5", "en_US", 0.5),
    ("$.50", "en_US", 0.5),
    ("1 200", "en_US", 1200.0),
    ("1'200", "en_US", 1200.0),
    ("1,00,000", "en_IN", 100000.0),
    ("₹1,00,000", "en_IN", 100000.0),
    # SPEC 2.5: fr_FR groups with narrow no-break spaces; plain and no-break spaces work too.
    ("1\u202f200,50\u00a0€", "fr_FR", 1200.5),
    ("1 200,50 €", "fr_FR", 1200.5),
    ("1\u00a0200,50 €", "fr_FR", 1200.5),
    ("1200,50", "fr_FR", 1200.5),
    ("12,5", "fr_FR", 12.5),
    ("1.5", "fr_FR", 1.5),  # a point can only be a decimal point here
    ("€ 3M", "fr_FR", 3_000_000.0),
    ("1.200,50", "de_DE", 1200.5),
    ("1.200,50 €", "de_DE", 1200.5),
    ("1.200", "de_DE", 1200.0),
    ("1,200", "de_DE", 1.2),
    ("1200,5", "de_DE", 1200.5),
    ("-1.200.000", "de_DE", -1200000.0),
    ("CHF 1’200.50", "de_CH", 1200.5),
    ("1'200.50", "de_CH", 1200.5),
    ("1000000'000.00", "de_CH", 1_000_000_000.0),  # how babel 2.19 writes a billion in de_CH
    ("1234'567'890", "de_CH", 1_234_567_890.0),
    ("1 200 kr", "sv_SE", 1200.0),
    ("5kr", "sv_SE", 5.0),
    # a one-letter currency is read where it is the locale's own
    ("R1 200,50", "en_ZA", 1200.5),
    ("R 1 200", "en_ZA", 1200.0),
    ("Q1,200.50", "es_GT", 1200.5),
    ("K50", "en_ZM", 50.0),
    # right-to-left locales write invisible direction marks around the amount and the sign
    ("\u200f1,200.50\u00a0ج.م.\u200f", "ar_EG", 1200.5),
    ("\u200f1,200.50\u00a0\u200f₪", "he_IL", 1200.5),
]


@pytest.mark.parametrize(("value", "locale", "expected"), AMOUNTS)
def test_money(value, locale, expected):
    assert read_money(value, locale) == expected


@pytest.mark.parametrize(("value", "locale", "expected"), AMOUNTS)
def test_numbers_read_like_money(value, locale, expected):
    assert read_number(value, locale) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("45%", 0.45), ("12.5 %", 0.125), ("-5%", -0.05), ("1e3", 1000.0)],
)
def test_numbers_also_read_percent_text(value, expected):
    assert read_number(value, "en_US") == expected


@pytest.mark.parametrize(
    ("value", "locale", "message"),
    [
        ("abc", "en_US", '"abc" is not an amount of money'),
        ("twelve", "en_US", '"twelve" is not an amount of money'),
        ("1.200,50", "en_US", '"1.200,50" is not an amount of money'),  # a de_DE habit in en_US
        ("1,2", "en_US", '"1,2" is not an amount of money'),  # a comma that cannot group
        ("1200,5", "en_US", '"1200,5" is not an amount of money'),
        ("1,200 300", "en_US", '"1,200 300" is not an amount of money'),  # two separators
        ("1.2.3", "en_US", '"1.2.3" is not an amount of money'),
        ("1.5", "de_DE", '"1.5" is not an amount of money'),  # a point that cannot group
        ("1.200", "fr_FR", '"1.200" is not an amount of money'),  # 1.2 or 1200? ask
        ("45%", "en_US", '"45%" is not an amount of money'),
        ("-(50)", "en_US", '"-(50)" is not an amount of money'),
        ("(-50)", "en_US", '"(-50)" is not an amount of money'),  # minus twice: which was meant?
        ("3x", "en_US", '"3x" is not an amount of money'),  # a return typed where money goes
        # a lone letter is the country's own currency sign (R in en_ZA), or a typo
        ("1 200 F", "fr_FR", '"1 200 F" is not an amount of money'),
        ("(50", "en_US", '"(50" is not an amount of money'),
        ("+-5", "en_US", '"+-5" is not an amount of money'),
        ("$", "en_US", '"$" is not an amount of money'),
        ("nan", "en_US", '"nan" is not an amount of money'),
        ("inf", "en_US", '"inf" is not an amount of money'),
        ("1e999", "en_US", '"1e999" is not an amount of money'),
        ("9" * 400, "en_US", f'"{"9" * 40}…" is not an amount of money'),
        (True, "en_US", "TRUE is not an amount of money"),
        (False, "en_US", "FALSE is not an amount of money"),
        (math.nan, "en_US", "the value nan is not an amount of money"),
        (math.inf, "en_US", "the value inf is not an amount of money"),
        (10**400, "en_US", "a very long number is not an amount of money"),
        (dt.date(2026, 3, 1), "en_US", "the date 2026-03-01 is not an amount of money"),
    ],
)
def test_money_problems_quote_the_cell(value, locale, message):
    assert problem(read_money, value, locale).message == message


@pytest.mark.parametrize(
    ("locale", "examples"),
    [
        ("en_US", "$1,200.50 or 1,200.50"),
        ("en_GB", "£1,200.50 or 1,200.50"),
        ("de_DE", "1.200,50\u00a0€ or 1.200,50"),
        ("fr_FR", "1\u202f200,50\u00a0€ or 1\u202f200,50"),
        ("", "$1,200.50 or 1,200.50"),
        ("xx_YY", "$1,200.50 or 1,200.50"),
        # a language without a country has no currency: the number once, not twice
        ("fr", "1\u202f200,50"),
        ("es_419", "1,200.50"),
    ],
)
def test_money_hint_shows_an_amount_in_the_locale(locale, examples):
    hint = problem(read_money, "lots", locale).hint
    assert hint == f"Type an amount such as {examples}; a currency sign may go before or after it."


@pytest.mark.parametrize(
    "locale", LOCALES + ("en_ZA", "es_GT", "en_ZM", "ar_EG", "he_IL", "pt_CV", "fr", "es_419")
)
def test_the_amounts_a_hint_suggests_read_back(locale):
    hint = problem(read_money, "lots", locale).hint
    told = re.fullmatch(
        r"Type an amount such as (.+?)(?: or (.+))?; a currency sign may go before or after it\.",
        hint,
    )
    assert told is not None, hint
    for amount in filter(None, told.groups()):
        # 1200.50, or 1,200 in a currency without cents (the yen)
        assert read_money(amount, locale) in (1200.5, 1200.0), amount


def test_number_problem_says_number_and_gives_the_locale_example():
    found = problem(read_number, "a dozen", "de_DE")
    assert found.message == '"a dozen" is not a number'
    assert found.hint == "Type a number such as 1200 or 1.200,50."


def test_a_number_too_long_to_print_is_a_problem_not_a_crash():
    found = problem(read_text, 10**5000, "en_US")
    assert found.message == "the cell holds a number too long to read"
    assert found.hint == "Type a shorter number."
    assert problem(read_number, 10**5000, "en_US").message == "a very long number is not a number"


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [("x" * 40, "x" * 40), ("x" * 41, "x" * 40 + "…")],
    ids=["40 characters whole", "41 shortened"],
)
def test_problem_quotes_up_to_40_characters(typed, quoted):
    assert problem(read_number, typed, "en_US").message == f'"{quoted}" is not a number'


def test_problem_quotes_long_text_shortened_on_one_line():
    found = problem(read_number, "call\nthe   printer " + "x" * 100, "en_US")
    assert found.message.startswith('"call the printer xxxx')
    assert "…" in found.message and "\n" not in found.message


# --- percent -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        ("45%", "en_US", 0.45),
        ("45 %", "en_US", 0.45),
        ("12,5\u00a0%", "fr_FR", 0.125),
        ("0.5%", "en_US", 0.005),
        ("100%", "en_US", 1.0),
        (45, "en_US", 0.45),
        (45.0, "en_US", 0.45),
        (0.45, "en_US", 0.45),
        (1, "en_US", 1.0),
        (0, "en_US", 0.0),
        (100, "en_US", 1.0),
        (1.5, "en_US", 0.015),  # above 1: percent points, 1.5 %
        ("12.5", "fr_FR", 0.125),  # a decimal point where a comma is usual
        ("45", "en_US", 0.45),
        ("0.45", "en_US", 0.45),
        ("0,45", "de_DE", 0.45),
        ("1", "en_US", 1.0),
        # out of range is returned as it is; the caller reports it
        ("150%", "en_US", 1.5),
        (150, "en_US", 1.5),
        ("-5%", "en_US", -0.05),
        (-5, "en_US", -0.05),
        # words and ticks people use for "finished"
        (True, "en_US", 1.0),
        (False, "en_US", 0.0),
        ("TRUE", "en_US", 1.0),
        ("false", "en_US", 0.0),
        ("done", "en_US", 1.0),
        ("Done", "en_US", 1.0),
        (" DONE ", "en_US", 1.0),
        ("yes", "en_US", 1.0),
        ("Yes", "en_US", 1.0),
        ("no", "en_US", 0.0),
        ("NO", "en_US", 0.0),
        ("✓", "en_US", 1.0),
        ("✔", "en_US", 1.0),
        ("x", "en_US", 1.0),
        ("X", "en_US", 1.0),
    ],
)
def test_percent(value, locale, expected):
    assert read_percent(value, locale) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("half", '"half" is not a percentage'),
        ("$45", '"$45" is not a percentage'),
        ("45%%", '"45%%" is not a percentage'),
        ("1.2k", '"1.2k" is not a percentage'),
        (math.nan, "the value nan is not a percentage"),
        (dt.date(2026, 3, 1), "the date 2026-03-01 is not a percentage"),
    ],
)
def test_percent_problems(value, message):
    found = problem(read_percent, value, "en_US")
    assert found.message == message
    assert found.hint == "Type a percentage such as 45%, or done when the work is finished."


# --- dates -------------------------------------------------------------------------------------

MARCH_1 = dt.date(2026, 3, 1)
JANUARY_3 = dt.date(2026, 1, 3)


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        # typed dates and serial numbers
        (MARCH_1, "en_US", MARCH_1),
        (dt.datetime(2026, 3, 1, 17, 45), "en_US", MARCH_1),
        (46082, "en_US", MARCH_1),
        (46082.75, "en_US", MARCH_1),  # a serial with a time of day
        (2, "en_US", dt.date(1900, 1, 1)),
        (36526, "en_US", dt.date(2000, 1, 1)),
        # ISO text, the same everywhere
        ("2026-03-01", "en_US", MARCH_1),
        ("2026-03-01", "en_GB", MARCH_1),
        ("2026-03-01", "fr_FR", MARCH_1),
        (" 2026-03-01 ", "de_DE", MARCH_1),
        ("2026-03-01T10:00", "en_US", MARCH_1),
        ("2026-03-01 10:00:00", "en_GB", MARCH_1),
        ("2026-3-1", "en_GB", MARCH_1),
        ("2026/03/01", "en_GB", MARCH_1),  # a leading four-digit year is always year-month-day
        ("2026/03/01", "en_US", MARCH_1),
        # SPEC 2.5: the locale decides the order of day and month
        ("03/01/2026", "en_US", MARCH_1),
        ("03/01/2026", "en_GB", JANUARY_3),
        ("03/01/2026", "fr_FR", JANUARY_3),
        ("03/01/2026", "de_DE", JANUARY_3),
        ("01.03.2026", "de_DE", MARCH_1),
        ("1.3.2026", "de_DE", MARCH_1),
        ("01-03-2026", "nl_NL", MARCH_1),
        ("3/1/26", "en_US", MARCH_1),
        ("1/3/26", "en_GB", MARCH_1),
        ("01.03.26", "de_DE", MARCH_1),
        ("03/01/2026 14:30", "en_US", MARCH_1),
        ("3/1/2026 2:30 PM", "en_US", MARCH_1),
        ("03/01/2026", "", MARCH_1),  # unknown or empty locale means en_US
        ("03/01/2026", "xx_YY", MARCH_1),
        ("03/01/2026", "en-GB", JANUARY_3),
        ("03/01/2026", "sv_SE", JANUARY_3),  # ISO by habit, day first when written with /
        ("2026. 03. 01.", "hu_HU", MARCH_1),
        ("26. 3. 1.", "ko_KR", MARCH_1),
        ("26-03-01", "sv_SE", MARCH_1),  # year-first locales read a two-digit year first too
        ("26-03-01", "en_CA", MARCH_1),
        # with a time written without a colon
        ("01/03/2026 9am", "en_GB", MARCH_1),
        ("03/01/2026 9am", "en_US", MARCH_1),
        ("26-03-01 9am", "en_CA", MARCH_1),
        # the first and last days sheetsync reads
        ("1 January 1900", "en_GB", dt.date(1900, 1, 1)),
        ("31 December 2200", "en_GB", dt.date(2200, 12, 31)),
        (109939, "en_US", dt.date(2200, 12, 31)),
        # month names
        ("1 Mar 2026", "en_US", MARCH_1),
        ("1 March 2026", "en_GB", MARCH_1),
        ("March 1, 2026", "en_US", MARCH_1),
        ("Mar 1 2026", "en_GB", MARCH_1),
        ("Sunday, March 1, 2026", "en_US", MARCH_1),
        ("1st March 2026", "en_GB", MARCH_1),
        ("1-Mar-26", "en_US", MARCH_1),
        ("1 mars 2026", "fr_FR", MARCH_1),
        ("1 MARS 2026", "fr_FR", MARCH_1),
        ("1 janv. 2026", "fr_FR", dt.date(2026, 1, 1)),
        ("15 août 2026", "fr_FR", dt.date(2026, 8, 15)),
        ("1. März 2026", "de_DE", MARCH_1),
        ("1 Mar 2026", "fr_FR", MARCH_1),  # English month names work everywhere
        ("3 de março de 2026", "pt_BR", dt.date(2026, 3, 3)),
        ("1 de marzo de 2026", "es_ES", MARCH_1),
        ("dimanche 1 mars 2026", "fr_FR", MARCH_1),
        ("Sonntag, 1. März 2026", "de_DE", MARCH_1),
    ],
)
def test_date(value, locale, expected):
    assert read_date(value, locale) == expected


@pytest.mark.parametrize(
    ("value", "locale", "message"),
    [
        ("next week", "en_US", '"next week" is not a date'),
        ("TBD", "en_GB", '"TBD" is not a date'),
        ("5", "en_US", '"5" is not a date'),
        ("46082", "en_US", '"46082" is not a date'),
        ("3/1", "en_US", '"3/1" is not a date'),
        ("03/01/226", "en_US", '"03/01/226" is not a date'),
        ("012/03/2026", "en_US", '"012/03/2026" is not a date'),  # not 3 December
        ("2026-03-011", "en_US", '"2026-03-011" is not a date'),  # not 11 March
        (109940, "en_US", "the number 109940 is not a date"),  # 1 January 2201
        ("March", "en_US", '"March" is not a full date: it needs a day, a month and a year'),
        (
            "March 2026",
            "en_US",
            '"March 2026" is not a full date: it needs a day, a month and a year',
        ),
        ("1 March", "en_GB", '"1 March" is not a full date: it needs a day, a month and a year'),
        ("1 mars", "fr_FR", '"1 mars" is not a full date: it needs a day, a month and a year'),
        ("31/02/2026", "en_GB", '"31/02/2026" is not a real date'),
        ("2026-02-31", "en_GB", '"2026-02-31" is not a real date'),
        ("29/02/2026", "en_GB", '"29/02/2026" is not a real date'),
        ("13/01/2026", "en_US", '"13/01/2026" is not a real date'),  # month 13 in en_US
        ("31 Feb 2026", "en_GB", '"31 Feb 2026" is not a date'),
        ("01/03/0226", "en_GB", '"01/03/0226" has the year 226, outside 1900-2200'),
        ("0001-03-01", "en_GB", '"0001-03-01" has the year 1, outside 1900-2200'),
        ("1 Mar 2500", "en_GB", '"1 Mar 2500" has the year 2500, outside 1900-2200'),
        (0, "en_US", "the number 0 is not a date"),
        (-1, "en_US", "the number -1 is not a date"),
        (1e9, "en_US", "the number 1000000000 is not a date"),
        (math.nan, "en_US", "the value nan is not a date"),
        (True, "en_US", "TRUE is not a date"),
    ],
)
def test_date_problems(value, locale, message):
    assert problem(read_date, value, locale).message == message


def test_a_date_with_a_time_zone_reads_without_a_warning():
    # Copied from an invitation: the zone does not change the day, and nothing is printed.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_date("March 1, 2026 10:00 AM EST", "en_US") == MARCH_1


@pytest.mark.parametrize("locale", LOCALES + ("en_CA", "ko_KR", "ar_EG", "fr", "es_419"))
def test_the_date_a_hint_suggests_reads_as_1_march(locale):
    hint = problem(read_date, "soon", locale).hint
    # The example, then (unless it is ISO) which day it is in this locale.
    told = re.fullmatch(
        rf"Type a date such as (.+?)(?: \(in {locale}, \1 is 1 March 2026\))?, "
        r"or pick one from the calendar\.",
        hint,
    )
    assert told is not None, hint
    assert read_date(told[1], locale) == MARCH_1


@pytest.mark.parametrize(
    ("locale", "hint"),
    [
        (
            "en_US",
            "Type a date such as 03/01/2026 (in en_US, 03/01/2026 is 1 March 2026), "
            "or pick one from the calendar.",
        ),
        (
            "en_GB",
            "Type a date such as 01/03/2026 (in en_GB, 01/03/2026 is 1 March 2026), "
            "or pick one from the calendar.",
        ),
        (
            "de_DE",
            "Type a date such as 01.03.2026 (in de_DE, 01.03.2026 is 1 March 2026), "
            "or pick one from the calendar.",
        ),
        ("sv_SE", "Type a date such as 2026-03-01, or pick one from the calendar."),
    ],
)
def test_date_hint_explains_the_locale_order(locale, hint):
    assert problem(read_date, "soon", locale).hint == hint


# --- properties --------------------------------------------------------------------------------

ANY_CELL = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789.,'-+()$€%kKmM /:\u00a0\u202fe"),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.builds(CellError, st.text(max_size=10)),
)


@settings(max_examples=400, deadline=None)
@given(value=ANY_CELL, locale=st.sampled_from(LOCALES + ("", "xx", "fr", "es_419")))
def test_readers_raise_nothing_but_cell_problems(value, locale):
    for reader in READERS.values():
        try:
            reader(value, locale)
        except CellProblem as found:
            assert found.message and found.hint
            assert "\n" not in found.message


@settings(max_examples=50, deadline=None)
@given(locale=st.text(max_size=12))
def test_any_locale_text_falls_back_instead_of_failing(locale):
    assert read_money("1200", locale) == 1200.0
    assert read_date("2026-03-01", locale) == MARCH_1


@settings(max_examples=100, deadline=None)
@given(
    cents=st.integers(min_value=-(10**14), max_value=10**14),
    locale=st.sampled_from(LOCALES),
)
def test_amounts_written_in_the_locale_read_back(cents, locale):
    exact = Decimal(cents) / 100
    written = format_decimal(exact, "#,##0.00", locale=locale)
    assert read_money(written, locale) == float(exact)


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2200, 12, 31)),
    locale=st.sampled_from(("en_US", "en_GB", "fr_FR", "de_DE", "ja_JP", "hu_HU")),
)
def test_dates_written_in_the_locale_read_back(day, locale):
    assert read_date(format_date(day, "medium", locale=locale), locale) == day
    assert read_date(day.isoformat(), locale) == day
    serial = (day - dt.date(1899, 12, 30)).days
    assert read_date(serial, locale) == day


@settings(max_examples=200, deadline=None)
@given(number=st.floats(-1e15, 1e15, exclude_min=True, exclude_max=True))
def test_plain_number_text_reads_back_exactly(number):
    assert read_number(repr(number), "en_US") == number
    assert read_number(number, "de_DE") == number


# --- amounts too large to be real -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1.7e308, "the number 1.7e+308"),
        ("1.7e308", '"1.7e308"'),
        (10**15, "the number 1000000000000000"),
        (10**18, "the number 1000000000000000000"),
        (10**20, "a very long number"),
        (-1e16, "the number -1e+16"),
        ("$2,000,000,000,000,000", '"$2,000,000,000,000,000"'),
        ("5000000bn", '"5000000bn"'),
        # exactly one quadrillion, typed or calculated, either sign
        (1e15, "the number 1000000000000000"),
        (-1e15, "the number -1000000000000000"),
        (-(10**15), "the number -1000000000000000"),
        ("-1,000,000,000,000,000", '"-1,000,000,000,000,000"'),
        # whole numbers are quoted up to the largest a 64-bit cell holds
        (2**64 - 1, "the number 18446744073709551615"),
        (2**64, "a very long number"),
    ],
)
@pytest.mark.parametrize(
    ("reader", "noun"), [(read_money, "an amount of money"), (read_number, "a number")]
)
def test_amounts_past_a_quadrillion_are_refused(value, shown, reader, noun):
    # Past 15 digits a spreadsheet no longer keeps whole units exactly; such a figure is a
    # typo or a broken formula, and taken as is it turns sums and ROI into inf and nan.
    found = problem(reader, value, "en_US")
    assert found.message == f"{shown} is too large for {noun}"
    assert found.hint == (
        "sheetsync reads figures up to 999,999,999,999,999 (15 digits, as many as a "
        "spreadsheet keeps exactly); check the cell for a typo."
    )


@pytest.mark.parametrize("reader", [read_money, read_number])
def test_the_largest_amount_read_has_15_digits(reader):
    assert reader(999_999_999_999_999, "en_US") == 999_999_999_999_999
    assert reader("-999,999,999,999,999.4", "en_US") == -999_999_999_999_999.4


_AMOUNT_PIECES = ["kr", "zł", "EUR", "US$", "R$", "€", "$", "₹", "m", "mm", "k", "bn", "b"]
_AMOUNT_PIECES += ["(", ")", "-", "+", "−", ",", ".", "'", " ", "%", "1", "20", "300", "4,5"]


@pytest.mark.parametrize("locale", ["en_US", "sv_SE", "pl_PL", "de_CH", "en_ZA"])
@given(pieces=st.lists(st.sampled_from(_AMOUNT_PIECES), min_size=1, max_size=8))
def test_an_amount_with_a_sign_or_no_currency_reads_as_with_every_currency_name(locale, pieces):
    # The short pattern (signs only) is tried first; where it matches, the one with the
    # locale's currency names must find the same parts.
    text = "".join(pieces)
    short = cells._AMOUNT_WITH_SIGNS.fullmatch(text)
    if short is not None:
        full = cells._amount_with_names(cells._locale_data(locale).name).fullmatch(text)
        assert full is not None and full.groups() == short.groups()
