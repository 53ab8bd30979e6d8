"""Figures shown side by side in a sentence, so that the difference the sentence is about shows.

Rounded to the cent, a Spend of 100.004 over a Budget of 100 reads "spent 100, more than its
budget of 100", and a tactic 99.6 % done reads "100% done" beside "overdue": absurd to the
person reading it. So figures are shown to a few decimals, and with as many more as it takes
(up to the 15 digits a spreadsheet keeps) for figures that differ to read differently, and for
one that is not 0 not to read as 0.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal
from itertools import combinations
from math import isfinite
from typing import TypeGuard

# Quantizing to 15 decimals stays exact for any finite float, however large; halves round to
# even, as babel does in the summary (52.5 % is 52 %).
_EXACT = Context(prec=400, rounding=ROUND_HALF_EVEN)
_MOST_PLACES = 15
_UNITS = [10.0**-places for places in range(_MOST_PLACES + 1)]

Figure = float | Decimal


def apart(*figures: Figure, places: int = 2) -> list[str]:
    """Each figure as text (`1,200.5`), to `places` decimals or as many more as keep them apart."""
    if _plainly_apart(figures, _UNITS[places]):  # most messages: tens of thousands of them
        return [_float_text(figure, places) for figure in figures]
    return [_text(figure) for figure in rounded_apart(*figures, places=places)]


def rounded_apart(*figures: Figure, places: int = 2) -> list[Decimal]:
    """Each figure rounded to `places` decimals, or to as many more as keep them apart."""
    exact = [_exact(figure) for figure in figures]
    if not all(figure.is_finite() for figure in exact):
        return exact
    for shown in range(places, _MOST_PLACES + 1):
        rounded = [figure.quantize(Decimal(1).scaleb(-shown), context=_EXACT) for figure in exact]
        if _reads_apart(exact, rounded):
            break
    return rounded


def difference(minuend: float, subtrahend: float) -> Decimal:
    """`minuend - subtrahend` of the decimals as typed, exactly (1,000.1 - 1,000 is 0.1, not the
    0.0999999999999 of floats)."""
    return _EXACT.subtract(_exact(minuend), _exact(subtrahend))


def points(fraction: float) -> Decimal:
    """A fraction as percent points, exactly as typed: 0.996 is 99.6, not 99.60000000000001."""
    return _exact(fraction).scaleb(2)


def _plainly_apart(figures: tuple[Figure, ...], unit: float) -> TypeGuard[tuple[float, ...]]:
    """Whether these are floats that differ from each other, and from 0 unless they are 0, by
    more than one unit of the last decimal shown: those read apart when rounded to it, which is
    told without decimal arithmetic (a tenth of the time)."""
    if len(figures) == 2:  # the usual pair, told in a few comparisons: no loop
        first, second = figures
        return (
            isinstance(first, float)
            and isinstance(second, float)
            and isfinite(first - second)  # both finite (inf - inf is nan, inf - 1 is inf)
            and abs(first - second) > unit
            and (abs(first) > unit or not first)
            and (abs(second) > unit or not second)
        )
    floats = [figure for figure in figures if isinstance(figure, float) and isfinite(figure)]
    if len(floats) < len(figures):
        return False
    for index, figure in enumerate(floats):
        if figure and abs(figure) <= unit:
            return False
        if any(abs(figure - other) <= unit for other in floats[index + 1 :]):
            return False
    return True


def _float_text(figure: float, places: int) -> str:
    if _typed_half(figure, places):  # 2.675 is typed a half, but its float is 2.67499...
        return _text(_exact(figure).quantize(Decimal(1).scaleb(-places), context=_EXACT))
    text = f"{figure:,.{places}f}"
    return text.rstrip("0").rstrip(".") if places else text


def _typed_half(figure: float, places: int) -> bool:
    """Whether the figure as typed ends in a 5 just past the decimals shown, where rounding the
    float would round a number a hair off the typed one; an exponent form (1e-05) is taken as
    one too, to be safe."""
    typed = repr(figure)
    decimals = typed.partition(".")[2]
    return "e" in typed or (len(decimals) == places + 1 and decimals.endswith("5"))


def _reads_apart(figures: list[Decimal], rounded: list[Decimal]) -> bool:
    zero_kept = all(shown or not figure for figure, shown in zip(figures, rounded, strict=True))
    return zero_kept and all(
        (rounded[i] == rounded[j]) == (figures[i] == figures[j])
        for i, j in combinations(range(len(figures)), 2)
    )


def _exact(figure: Figure) -> Decimal:
    # A cell's number is the float nearest to what was typed; repr() is that decimal (0.3).
    return figure if isinstance(figure, Decimal) else Decimal(repr(float(figure)))


def _text(figure: Decimal) -> str:
    text = f"{figure:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
