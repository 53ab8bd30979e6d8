"""Figures compared in a sentence: shown so that the difference shows."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
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


@given(first=typed, second=typed, places=st.integers(0, 2))
@example(first=2.675, second=10.0, places=2)  # the float is 2.67499..., typed a half
@example(first=-1.015, second=3.0, places=2)
def test_a_figure_reads_the_same_however_far_from_the_other(first, second, places):
    # Floats plainly apart are worded without decimal arithmetic; typed decimals always with it.
    # A user must not see 2.67 in one message and 2.68 in another for the 2.675 they typed.
    exact = apart(Decimal(repr(first)), Decimal(repr(second)), places=places)
    assert apart(first, second, places=places) == exact


def test_a_typed_half_cent_rounds_as_typed_halves_to_even():
    assert apart(2.675, 10.0) == ["2.68", "10"]  # the float 2.675 is 2.67499999...
    assert apart(2.665, 10.0) == ["2.66", "10"]
    assert apart(1000.125, 0.0) == ["1,000.12", "0"]
