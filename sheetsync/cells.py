"""Reading one cell as its column's type: the text, numbers, amounts and dates people type.

Each reader takes the raw value a backend read and the spreadsheet's locale, and returns
the typed value, None for a blank cell (an empty tuple for a list), or raises CellProblem
saying in plain words what the cell holds and how to fix it. Nothing else escapes a reader.

These run for every cell of every row, so typed values take isinstance fast paths, and
text is tried with float() and ISO dates before the locale-aware parsing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from math import isfinite

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, get_date_format
from babel.localedata import LocaleDataDict
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    list_currencies,
)
from dateutil import parser as dateutil_parser

from sheetsync.schema import FieldType
from sheetsync.workbook import CellError, CellValue


class CellProblem(ValueError):
    """A cell that cannot be read as its column's type."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message  # what the cell holds and why it does not fit, no place named
        self.hint = hint  # how to fix it, with an example of a good value


DEFAULT_LOCALE = "en_US"

# Google Sheets and Excel count days from 1899-12-30; serials outside these years are not dates.
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_FIRST_YEAR, _LAST_YEAR = 1900, 2200
_FIRST_SERIAL = (dt.date(_FIRST_YEAR, 1, 1) - _SERIAL_EPOCH).days
_END_SERIAL = (dt.date(_LAST_YEAR + 1, 1, 1) - _SERIAL_EPOCH).days
_EXAMPLE_DATE = dt.date(2026, 3, 1)

# What a sheet shows for a broken formula, and the usual reason, in a marketer's words.
_FORMULA_ERROR_CAUSES = {
    "#REF!": "it points at a cell, row or tab that was deleted",
    "#DIV/0!": "it divides by zero or by an empty cell",
    "#N/A": "a lookup in it found no match",
    "#VALUE!": "it uses text where a number is needed",
    "#NAME?": "it uses a function or name the spreadsheet does not know",
    "#NUM!": "its result is too big or impossible",
    "#NULL!": "two ranges in it do not meet",
    "#ERROR!": "the spreadsheet cannot read it, often a typo",
    "#SPILL!": "its results would overwrite other cells",
}

_PERCENT_WORDS = {
    "true": 1.0,
    "done": 1.0,
    "yes": 1.0,
    "x": 1.0,
    "\u2713": 1.0,  # ✓
    "\u2714": 1.0,  # ✔
    "\u2705": 1.0,  # ✅
    "false": 0.0,
    "no": 0.0,
}

# Unicode's currency symbols (category Sc) that people type beside amounts.
_CURRENCY_SIGNS = "$¢£¤¥֏؋৲৳৻૱௹฿៛₠₡₢₣₤₥₦₧₨₩₪₫€₭₮₯₰₱₲₳₴₵₶₷₸₹₺₻₼₽₾₿⃀﷼﹩＄￠￡￥￦"

# Marks that show nothing: right-to-left locales (Arabic, Hebrew) write them around amounts and
# currency signs, and text copied from a web page may carry a zero-width space.
_INVISIBLE = dict.fromkeys(map(ord, "\u061c\u200b\u200e\u200f\u2066\u2067\u2068\u2069\ufeff"))

# Written into the float text as an exponent, so "1.1k" is exactly 1100.0, not 1100.0000000000002.
_SCALE_EXPONENTS = {"k": 3, "m": 6, "mm": 6, "mn": 6, "b": 9, "bn": 9}

_LIST_SEPARATORS = re.compile(r"[,;\n]")
_NUMERIC_DATE = re.compile(
    r"(\d{1,4})([./-])\s*(\d{1,2})\2\s*(\d{1,4})\.?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?)?",
    re.IGNORECASE | re.ASCII,
)
_LETTER = re.compile(r"[^\W\d_]")
# Every way people separate thousands that means the same thing: spaces and apostrophes.
_SEPARATOR_FORMS = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2019": "'"}
)
# dateutil fills whatever the text lacks from its default; two far-apart defaults expose it.
_EARLY_DEFAULT = dt.datetime(2000, 1, 1)
_LATE_DEFAULT = dt.datetime(2004, 12, 28)
_DATEUTIL_INFO = dateutil_parser.parserinfo()


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a numeric column wants, and which decorations its text may carry."""

    noun: str  # in a message: '"abc" is not a number'
    currency: bool  # $, €, USD... before or after
    scale: bool  # k, M, bn after
    percent: bool  # a trailing % means hundredths
    capped: bool = True  # refuses amounts of _TOO_LARGE and more (percent has its own range)


# Numbers and amounts from one quadrillion (16 digits) on are refused: a spreadsheet keeps 15
# significant digits, so past them it no longer holds whole units, and such a figure is a typo
# or a runaway formula. Taken as is, 1.7e308 makes sums and ROI inf and nan.
_TOO_LARGE = 1e15
_LARGEST_SHOWN = "999,999,999,999,999"

_NUMBER = _Kind("a number", currency=True, scale=True, percent=True)
_MONEY = _Kind("an amount of money", currency=True, scale=True, percent=False)
_PERCENT = _Kind("a percentage", currency=False, scale=False, percent=True, capped=False)


@dataclass(frozen=True, slots=True)
class _LocaleData:
    """Everything a reader needs to know about one locale, worked out once."""

    name: str  # the locale actually used, e.g. "en_US"
    decimal: str
    grouped: re.Pattern[str]  # digits in thousands, e.g. 1,200,000 or Indian 1,00,000
    lone_decimal: str | None  # "." in fr_FR: read as a decimal point when it cannot be grouping
    day_first: bool
    year_first: bool
    date_parser: dateutil_parser.parser  # knows the locale's month names and order
    number_example: str
    money_example: str | None  # None: the locale has no country, so no currency
    date_example: str


Reader = Callable[[CellValue, str], object]


def read_text(value: CellValue, locale: str) -> str | None:
    """The cell as trimmed text: numbers without a spurious `.0`, dates as ISO, TRUE/FALSE."""
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, CellError):
        raise _formula_error(value)
    return _text_of(value).strip() or None


def read_list(value: CellValue, locale: str) -> tuple[str, ...]:
    """The cell's items, split at commas, semicolons and line breaks, trimmed, empties dropped."""
    text = read_text(value, locale)
    if text is None:
        return ()
    return tuple(item for item in map(str.strip, _LIST_SEPARATORS.split(text)) if item)


def read_number(value: CellValue, locale: str) -> float | None:
    """A number: typed numbers as they are, or text such as `1,200.5`, `1.2k`, `45%` (0.45)."""
    if type(value) is float and -_TOO_LARGE < value < _TOO_LARGE:  # False for nan
        return value
    return _read_amount(value, locale, _NUMBER)


def read_money(value: CellValue, locale: str) -> float | None:
    """An amount: typed numbers, or text such as `$1,200.50`, `1 200,50 €`, `€3M`, `(50)`."""
    if type(value) is float and -_TOO_LARGE < value < _TOO_LARGE:  # False for nan
        return value
    return _read_amount(value, locale, _MONEY)


def read_percent(value: CellValue, locale: str) -> float | None:
    """A fraction: `45%`, 45 and 0.45 are all 0.45; done/yes/✓/TRUE are 1.0, no/FALSE 0.0."""
    if type(value) is float and isfinite(value):
        return _as_fraction(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        word = _PERCENT_WORDS.get(value.strip().casefold())
        if word is not None:
            return word
    return _read_amount(value, locale, _PERCENT)


def read_date(value: CellValue, locale: str) -> dt.date | None:
    """A date: date cells, serial numbers, ISO text, or text in the locale's day/month order."""
    if type(value) is dt.datetime:
        return value.date()
    if type(value) is dt.date:
        return value
    if isinstance(value, str):
        return _date_from_text(value, locale)
    if value is None:
        return None
    if isinstance(value, CellError):
        raise _formula_error(value)
    if isinstance(value, dt.datetime):  # subclasses, which the fast paths above let through
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _date_problem(f"{_shown(value)} is not a date", _locale_data(locale))
    return _date_from_serial(value, locale)


READERS: dict[FieldType, Reader] = {
    "text": read_text,
    "list": read_list,
    "number": read_number,
    "money": read_money,
    "percent": read_percent,
    "date": read_date,
}


# --- numbers ---------------------------------------------------------------------------------


def _read_amount(value: CellValue, locale: str, kind: _Kind) -> float | None:
    """The slow path shared by number, money and percent: text, None, and odd types."""
    number = _amount_of(value, locale, kind)
    if kind.capped and number is not None and not -_TOO_LARGE < number < _TOO_LARGE:
        raise CellProblem(
            f"{_shown(value)} is too large for {kind.noun}",
            f"sheetsync reads figures up to {_LARGEST_SHOWN} (15 digits, as many as a "
            "spreadsheet keeps exactly); check the cell for a typo.",
        )
    return number


def _amount_of(value: CellValue, locale: str, kind: _Kind) -> float | None:
    if isinstance(value, str):
        return _amount_of_text(value, locale, kind)
    if value is None:
        return None
    if isinstance(value, CellError):
        raise _formula_error(value)
    if isinstance(value, bool | dt.date):
        raise _amount_problem(value, kind, _locale_data(locale))
    number = _int_as_float(value, kind, locale) if isinstance(value, int) else value
    if not isfinite(number):
        raise _amount_problem(value, kind, _locale_data(locale))
    return _as_fraction(number) if kind is _PERCENT else float(number)


def _work_out_amount_of_text(value: str, locale: str, kind: _Kind) -> float | None:
    text = value.strip()
    if not text:
        return None
    return _amount_from_text(text, value, _locale_data(locale), kind)


# Columns repeat the same few amounts as text ($600.00, $0.00). Cached by assignment, as below.
_amount_of_text = lru_cache(maxsize=8192)(_work_out_amount_of_text)


def _int_as_float(value: int, kind: _Kind, locale: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise _amount_problem(value, kind, _locale_data(locale)) from None


def _as_fraction(number: float) -> float:
    """A number typed into a percent column: up to 1 it is a fraction, above it percent points.

    Points move two decimal places as text does: 10.1 is 0.101, where 10.1 / 100 in floats
    is 0.10099999999999999.
    """
    if -1.0 <= number <= 1.0:
        return number
    return float(Decimal(repr(number)).scaleb(-2))


def _amount_from_text(text: str, value: str, data: _LocaleData, kind: _Kind) -> float:
    # float() reads "1200" and "-12,5" fastest once the decimal mark is a point, but where
    # "." groups thousands (de_DE) it would read "1.200" as 1.2: such text takes the long way.
    if data.decimal == "." or "." not in text:
        try:
            number = float(text.replace(data.decimal, "."))
        except ValueError:
            pass
        else:
            if not isfinite(number):
                raise _amount_problem(value, kind, data)
            return _as_fraction(number) if kind is _PERCENT else number
    number_and_percent = _parse_decorated(text, data, kind)
    if number_and_percent is None:
        raise _amount_problem(value, kind, data)
    number, has_percent_sign = number_and_percent
    if kind is _PERCENT and not has_percent_sign:
        return _as_fraction(number)
    return number


def _parse_decorated(text: str, data: _LocaleData, kind: _Kind) -> tuple[float, bool] | None:
    """Text with separators, sign, brackets, currency, scale or % -> (number, had %), or None."""
    text = text if text.isascii() else text.translate(_INVISIBLE).strip()
    # Most amounts carry a currency sign ($, €, US$) or none; the pattern with every currency's
    # name too (kr, zł, EUR) is the same but longer, so it is worked out (9 ms) for the first
    # amount that needs it. Where the short one matches, the long one matches alike: it tries
    # the signs first, and a name cannot stand where the short one finds no currency.
    match = _AMOUNT_WITH_SIGNS.fullmatch(text) or _amount_with_names(data.name).fullmatch(text)
    if match is None:
        return None
    opening, sign, before, later_sign, digits, scale, percent, after, closing = match.groups()
    if (before or after) and (percent or not kind.currency):
        return None
    if (scale and not kind.scale) or (percent and not kind.percent):
        return None
    if (
        (sign and later_sign)
        or bool(opening) != bool(closing)
        or (opening and (sign or later_sign))
    ):
        return None
    plain = _plain_digits(digits.rstrip(), data)
    if plain is None:
        return None
    exponent = _SCALE_EXPONENTS[scale.casefold()] if scale else 0
    number = float(f"{plain}e{exponent - 2 if percent else exponent}")
    if not isfinite(number):
        return None
    negative = bool(opening) or (sign or later_sign or "+") in "-\u2212"
    return (-number if negative else number), bool(percent)


def _plain_digits(digits: str, data: _LocaleData) -> str | None:
    """'1 200,50' in fr_FR -> '1200.50', for float(); None when the separators do not fit."""
    text = digits if digits.isascii() else digits.translate(_SEPARATOR_FORMS)
    whole, mark, fraction = text.partition(data.decimal)
    lone = data.lone_decimal
    if not mark and lone and whole.count(lone) == 1:
        head, _, tail = whole.partition(lone)
        if len(tail) == 3:
            return None  # "1.200" in fr_FR could be 1.2 or 1200: better asked than guessed
        whole, fraction = head, tail
    if fraction and not fraction.isdecimal():
        return None
    if whole and not whole.isdecimal():
        grouped = data.grouped.fullmatch(whole)
        if grouped is None:
            return None
        whole = whole.replace(grouped[1] or grouped[2], "")
    if not (whole or fraction):
        return None
    return f"{whole or '0'}.{fraction or '0'}"


def _amount_problem(value: CellValue, kind: _Kind, data: _LocaleData) -> CellProblem:
    if kind is _MONEY:
        amounts = data.number_example
        if data.money_example:
            amounts = f"{data.money_example} or {amounts}"
        hint = f"Type an amount such as {amounts}; a currency sign may go before or after it."
    elif kind is _PERCENT:
        hint = "Type a percentage such as 45%, or done when the work is finished."
    else:
        hint = f"Type a number such as 1200 or {data.number_example}."
    return CellProblem(f"{_shown(value)} is not {kind.noun}", hint)


# --- dates -----------------------------------------------------------------------------------


def _parse_date_text(value: str, locale: str) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    # ISO first: unambiguous in every locale and what sheetsync itself writes.
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
            else:
                day = dt.datetime.fromisoformat(text).date()
        except ValueError:
            pass  # "2026-02-31" and friends get their message below
        else:
            if _FIRST_YEAR <= day.year <= _LAST_YEAR:
                return day
    data = _locale_data(locale)
    numeric = _NUMERIC_DATE.fullmatch(text)
    if numeric is not None:
        return _numeric_date(numeric, value, data)
    if _LETTER.search(text):
        return _worded_date(text, value, data)
    raise _date_problem(f"{_shown(value)} is not a date", data)


# Columns repeat the same few dates, and dateutil costs ~0.1 ms a call. Cached by assignment,
# not with a decorator: mutation testing (mutmut) leaves decorated functions out.
_date_from_text = lru_cache(maxsize=8192)(_parse_date_text)


def _numeric_date(match: re.Match[str], value: str, data: _LocaleData) -> dt.date:
    """'03/01/2026', '1.3.26', '2026/3/1': the parts put in the locale's order."""
    first, _, middle, last = match.groups()
    if len(first) >= 3 or (data.year_first and len(last) <= 2):
        year, month, day = first, middle, last
    elif data.day_first:
        day, month, year = first, middle, last
    else:
        month, day, year = first, middle, last
    if len(year) not in (2, 4) or len(day) > 2:
        raise _date_problem(f"{_shown(value)} is not a date", data)
    full_year = _DATEUTIL_INFO.convertyear(int(year), century_specified=len(year) == 4)
    try:
        day_found = dt.date(full_year, int(month), int(day))
    except ValueError:
        raise _date_problem(f"{_shown(value)} is not a real date", data) from None
    return _checked_year(day_found, value, data)


def _worded_date(text: str, value: str, data: _LocaleData) -> dt.date:
    """'1 Mar 2026', 'March 1, 2026', '1 mars 2026': month names read by dateutil."""
    try:
        early = data.date_parser.parse(text, default=_EARLY_DEFAULT, ignoretz=True)
        late = data.date_parser.parse(text, default=_LATE_DEFAULT, ignoretz=True)
    except (ValueError, OverflowError):
        raise _date_problem(f"{_shown(value)} is not a date", data) from None
    if early.date() != late.date():
        message = f"{_shown(value)} is not a full date: it needs a day, a month and a year"
        raise _date_problem(message, data)
    return _checked_year(early.date(), value, data)


def _date_from_serial(serial: float, locale: str) -> dt.date:
    """A spreadsheet serial number (days since 1899-12-30), as Google Sheets sends dates."""
    if _FIRST_SERIAL <= serial < _END_SERIAL:  # False for nan, so it is a problem too
        return _SERIAL_EPOCH + dt.timedelta(days=int(serial))
    raise _date_problem(f"{_shown(serial)} is not a date", _locale_data(locale))


def _checked_year(day: dt.date, value: str, data: _LocaleData) -> dt.date:
    if _FIRST_YEAR <= day.year <= _LAST_YEAR:
        return day
    message = f"{_shown(value)} has the year {day.year}, outside {_FIRST_YEAR}-{_LAST_YEAR}"
    raise _date_problem(message, data)


def _date_problem(message: str, data: _LocaleData) -> CellProblem:
    example = data.date_example
    if example != _EXAMPLE_DATE.isoformat():  # say which order the locale reads
        example += f" (in {data.name}, {example} is 1 March 2026)"
    return CellProblem(message, f"Type a date such as {example}, or pick one from the calendar.")


# --- shared ----------------------------------------------------------------------------------


def _formula_error(error: CellError) -> CellProblem:
    code = " ".join(error.code.split())
    cause = _FORMULA_ERROR_CAUSES.get(code.upper())
    because = f" ({cause})" if cause else ""
    return CellProblem(
        f"the cell shows the formula error {code}" if code else "the cell shows a formula error",
        f"Fix the formula this cell uses{because}, or type the value instead.",
    )


def _text_of(value: str | int | float | dt.date) -> str:
    """A typed value as the text a person would expect to see."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            raise CellProblem(
                "the cell holds a number too long to read", "Type a shorter number."
            ) from None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        timespec = "minutes" if value.second == value.microsecond == 0 else "seconds"
        return value.isoformat(sep=" ", timespec=timespec)
    return value.isoformat()


def _shown(value: CellValue) -> str:
    """How a message quotes what the cell holds: '"next week"', 'TRUE', 'the date 2026-03-01'."""
    if isinstance(value, str):
        text = " ".join(value.split())
        return f'"{text[:40]}…"' if len(text) > 40 else f'"{text}"'
    if isinstance(value, CellError | None):  # told before any message quotes the cell
        return str(value)
    if isinstance(value, bool):
        return _text_of(value)
    if isinstance(value, dt.date):
        return f"the date {_text_of(value)}"
    if isinstance(value, float) and not isfinite(value):
        return f"the value {value}"
    if isinstance(value, int) and value.bit_length() > 64:
        return "a very long number"
    return f"the number {_text_of(value)}"


# --- locales ---------------------------------------------------------------------------------


def _work_out_locale_data(locale: str) -> _LocaleData:
    """Separators, date order, month names and examples for a locale; en_US when unknown."""
    babel_locale = _babel_locale(locale)
    decimal = get_decimal_symbol(babel_locale)
    group = get_group_symbol(babel_locale).translate(_SEPARATOR_FORMS)
    lone = next((mark for mark in ".," if mark not in (decimal, group)), None)
    day_first, year_first = _date_order(babel_locale)
    return _LocaleData(
        name=str(babel_locale),
        decimal=decimal,
        grouped=_grouped_pattern(group),
        lone_decimal=lone,
        day_first=day_first,
        year_first=year_first,
        date_parser=_date_parser(babel_locale, day_first, year_first),
        number_example=format_decimal(1200.5, "#,##0.00", locale=babel_locale),
        money_example=_money_example(babel_locale),
        date_example=_date_example(babel_locale),
    )


_locale_data = lru_cache(maxsize=64)(_work_out_locale_data)  # not a decorator, as above


def _grouped_pattern(group: str) -> re.Pattern[str]:
    """Digits split into thousands by one kind of separator: the locale's, a space or '.

    Group 1 or 2 is the separator. After an apostrophe the leading group may be long:
    babel (2.19, de_CH) writes 10^9 as 1000000'000, and an apostrophe is never a decimal
    mark, so such text can only mean one number.
    """
    separators = re.escape("".join(sorted({group, " ", "'"})))
    return re.compile(rf"(?:\d{{1,3}}([{separators}])(?:\d{{2,3}}\1)*|\d+(')(?:\d{{3}}\2)*)\d{{3}}")


def _babel_locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LOCALE)  # the contract: unknown or empty means en_US


def _date_order(locale: Locale) -> tuple[bool, bool]:
    """(day first, year first) for numeric dates, learnt from the locale's date patterns.

    Year-first locales (sv_SE y-MM-dd) still need a day/month order for 03/01/2026; the
    first pattern that does not start with the year gives it (sv_SE: d MMM y).
    """
    patterns = [
        _pattern_letters(get_date_format(width, locale=locale).pattern)
        for width in ("short", "medium", "long")
    ]
    year_first = patterns[0].index("y") < patterns[0].index("M")
    ordered = next((p for p in patterns if p.index("y") > p.index("M")), patterns[0])
    return ordered.index("d") < ordered.index("M"), year_first


def _pattern_letters(pattern: str) -> str:
    """The y, M and d of a CLDR date pattern in order, quoted literals ('de') left out."""
    letters = re.sub(r"'[^']*'", "", pattern).replace("L", "M")
    return "".join(dict.fromkeys(char for char in letters if char in "yMd"))


def _date_parser(locale: Locale, day_first: bool, year_first: bool) -> dateutil_parser.parser:
    """dateutil taught the locale's month and weekday names and the small words of its dates.

    "1 mars 2026", "1. März 2026", "3 de março de 2026" then read like "1 March 2026".
    """
    english = dateutil_parser.parserinfo
    taken = {word.lower() for word in english.JUMP + english.PERTAIN + english.UTCZONE}
    taken |= {word.lower() for names in english.HMS + english.AMPM for word in names}
    months = _with_local_names(english.MONTHS, locale.months, taken)
    taken |= {word.lower() for names in months for word in names}
    weekdays = _with_local_names(english.WEEKDAYS, locale.days, taken)
    taken |= {word.lower() for names in weekdays for word in names}
    patterns = [get_date_format(width, locale=locale).pattern for width in ("medium", "long")]
    literals = {
        word.lower()
        for p in patterns
        for quoted in re.findall(r"'([^']+)'", p)
        for word in quoted.split()
    }
    info = type(
        f"ParserInfo_{locale}",
        (english,),
        {"MONTHS": months, "WEEKDAYS": weekdays, "JUMP": english.JUMP + sorted(literals - taken)},
    )
    return dateutil_parser.parser(info(dayfirst=day_first, yearfirst=year_first))


def _with_local_names(
    names: list[tuple[str, ...]], local: LocaleDataDict, taken: set[str]
) -> list[tuple[str, ...]]:
    """dateutil's English names per month (or weekday) plus the locale's, where unambiguous."""
    merged = [list(words) for words in names]
    offset = 1 if len(local["format"]["wide"]) == 12 else 0  # months count from 1, days from 0
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in local[context][width].items():
                word = name.rstrip(".").lower()
                if word and word not in taken and not any(char.isdigit() for char in word):
                    merged[number - offset].append(word)
    return [tuple(dict.fromkeys(words)) for words in merged]


def _amount_pattern(currency: str) -> re.Pattern[str]:
    """Sign, brackets, currency before or after, digits with separators, scale, percent."""
    return re.compile(
        rf"""
        (?P<open>\()?\s*
        (?P<sign>[-+\u2212])?\s*
        (?P<before>{currency})?\s*
        (?P<sign_after_currency>[-+\u2212])?\s*
        (?P<digits>\d[\d.,'\s\u2019]*|[.,]\d+)
        (?P<scale>bn|b|mm|mn|m|k)?\.?\s*
        (?P<percent>[%\u066a])?\s*
        (?P<after>{currency})?\s*
        (?P<close>\))?
        """,
        re.VERBOSE | re.IGNORECASE,
    )


def _work_out_amount_with_names(locale: str) -> re.Pattern[str]:
    return _amount_pattern(_currency_alternatives(_babel_locale(locale)))


_amount_with_names = lru_cache(maxsize=64)(_work_out_amount_with_names)  # not a decorator, as above


def _currency_alternatives(locale: Locale) -> str:
    """Currency signs ($, €, US$, R$), ISO codes, and the symbols of this locale (kr, zł...)."""
    symbols = set(list_currencies())
    symbols |= set(Locale.parse("en").currency_symbols.values())
    symbols |= set(locale.currency_symbols.values())
    # A lone letter would be read as k/M/B scale or swallow a typo; such symbols are rare, but
    # the locale's own currency is what its people type (R1 200 in South Africa, Q50 in Guatemala).
    own = _own_currency(locale)
    own_symbol = get_currency_symbol(own, locale) if own else None
    words = sorted(
        {
            symbol.translate(_INVISIBLE)
            for symbol in symbols
            if symbol == own_symbol or not (len(symbol) == 1 and symbol.isalpha())
        }
    )
    alternatives = "|".join([_SIGN, *(re.escape(word) for word in words)])
    # The lookahead spares the long list of names whenever a digit or sign comes next.
    return rf"(?=[^\W\d_]|[{_SIGNS}])(?:{alternatives})"


_SIGNS = "".join(map(re.escape, _CURRENCY_SIGNS))
_SIGN = rf"[^\W\d_]{{0,3}}[{_SIGNS}]"  # $, and the US$ and CA$ other locales write
_AMOUNT_WITH_SIGNS = _amount_pattern(_SIGN)


def _own_currency(locale: Locale) -> str | None:
    """The currency of the locale's country (ZAR for en_ZA); None when it names none ("fr")."""
    currencies = get_territory_currencies(locale.territory) if locale.territory else []
    return currencies[0] if currencies else None


def _money_example(locale: Locale) -> str | None:
    """1200.50 in the locale's own currency, or None."""
    own = _own_currency(locale)
    return format_currency(1200.5, own, locale=locale) if own else None


def _date_example(locale: Locale) -> str:
    """1 March 2026 in the locale's short numeric form, with a four-digit year."""
    pattern = get_date_format("short", locale=locale).pattern.replace("\u200f", "")
    pattern = re.sub("M+", "MM", re.sub("d+", "dd", re.sub("y+", "yyyy", pattern)))
    return format_date(_EXAMPLE_DATE, pattern, locale=locale)
