"""Figures compared in a sentence: shown so that the difference shows."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sheetsync.amounts import apart

# What a person types in a money or number cell: up to 4 decimals, up to a billion.
typed = st.decimals(min_value=-(10**9), max_value=10**9, places=4).map(float)


@given(first=typed, second=typed, places=st.integers(0, 2))
def test_two_typed_amounts_read_the_same_only_when_they_are_the_same(first, second, places):
    shown_first, shown_second = apart(first, second, places=places)
    assert (shown_first == shown_second) == (first == second)
    assert (shown_first.lstrip("-") == "0") == (first == 0)  # 0.004 is not "0"
    # Each is its figure, rounded to the decimals it shows.
    for figure, shown in ((first, shown_first), (second, shown_second)):
        decimals = len(shown.partition(".")[2])
        error = abs(Decimal(shown.replace(",", "")) - Decimal(repr(figure)))
        assert error <= Decimal(5).scaleb(-decimals - 1), (figure, shown)
