"""The suppression rule and identifier detection (pure library, no app)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from targeting.privacy import (
    fill_value,
    find_identifier_columns,
    protect_counts,
    published_count,
    suppress_table,
    total_range,
)

counts_2d = st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
    lambda shape: arrays(np.int64, shape, elements=st.integers(0, 60))
)


def _lines(hidden: np.ndarray) -> list[np.ndarray]:
    return [hidden[i, :] for i in range(hidden.shape[0])] + [hidden[:, j] for j in range(hidden.shape[1])]


@settings(max_examples=300, deadline=None)
@given(counts_2d, st.integers(2, 20))
def test_no_small_count_is_shown_and_none_can_be_recovered(counts: np.ndarray, k: int) -> None:
    table = suppress_table(counts, k)
    shown = table.values[~table.hidden]
    assert not np.any((shown >= 1) & (shown < k))
    # Every row and column (with its margin) hides none or at least two entries: no subtraction
    # of shown entries from a shown total gives a hidden one.
    for line in _lines(table.hidden):
        assert line.sum() != 1
    assert np.array_equal(table.values[:-1, :-1], counts)  # values are never altered, only hidden


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 40)), st.integers(2, 15))
def test_vector_with_total(counts: np.ndarray, k: int) -> None:
    table = suppress_table(counts, k)
    hidden = table.hidden[0]
    assert hidden.sum() != 1
    assert not np.any((table.values[0][~hidden] >= 1) & (table.values[0][~hidden] < k))


def test_known_example() -> None:
    table = suppress_table([5, 20, 30, 0], k=11)
    assert table.hidden[0].tolist() == [True, True, False, False, False]
    assert table.primary[0].tolist() == [True, False, False, False, False]


def test_small_total_is_hidden_with_its_cells() -> None:
    table = suppress_table([3, 4], k=11)
    assert table.hidden[0].all()


@settings(max_examples=200, deadline=None)
@given(counts_2d, st.integers(2, 20))
def test_published_cells_do_not_depend_on_hidden_values(counts: np.ndarray, k: int) -> None:
    """The property every derived number relies on: change any hidden cell to any other value
    from 1 to k-1 and nothing published changes (cells, fills, total ranges)."""
    first = protect_counts(counts, k)
    small = (counts >= 1) & (counts < k)
    assert np.array_equal(first.hidden, small)
    other = np.where(small, k - 1 - (counts - 1), counts)  # 1 <-> k-1, 2 <-> k-2, ...
    second = protect_counts(other, k)
    assert np.array_equal(first.published, second.published)
    assert np.array_equal(first.published[small], np.full(small.sum(), fill_value(k)))
    for axis in (None, 0, 1):
        pairs = zip(total_range(first, axis), total_range(second, axis), strict=True)
        assert all(np.array_equal(a, b) for a, b in pairs)
    low, high = total_range(first)
    assert low <= counts.sum() <= high


@settings(max_examples=200, deadline=None)
@given(arrays(np.int64, st.integers(1, 12), elements=st.integers(0, 40)), st.integers(2, 15))
def test_with_a_known_total_the_fill_comes_from_published_numbers(counts: np.ndarray, k: int) -> None:
    total = int(counts.sum())
    if 1 <= total < k:  # a small total is never published, so never known
        with pytest.raises(ValueError, match="itself a small count"):
            protect_counts(counts, k, known_total=total)
        return
    protected = protect_counts(counts, k, known_total=total)
    assert protected.hidden.sum() != 1  # no lone hidden cell to subtract from the known total
    assert protected.published.sum() == pytest.approx(total)
    shown = counts[~protected.hidden]
    assert not np.any((shown >= 1) & (shown < k))
    if protected.hidden.any():  # every hidden cell gets the same share of what is left
        assert np.ptp(protected.published[protected.hidden]) == 0


def test_known_total_must_match() -> None:
    with pytest.raises(ValueError, match="not to the known total"):
        protect_counts([1, 2], known_total=4)


def test_protected_cells_print_as_none_and_single_counts_as_words() -> None:
    protected = protect_counts([3, 0, 50], 11)
    assert protected.shown_values() == [None, 0, 50]
    assert np.isnan(protected.shown()[0])
    assert fill_value(11) == 5.5
    assert published_count(3) == "fewer than 11" and published_count(0) == 0 and published_count(11) == 11


def test_bad_input_is_explained() -> None:
    with pytest.raises(ValueError, match="non-negative whole"):
        suppress_table([1, -2])
    with pytest.raises(ValueError, match="k must be 2"):
        suppress_table([1, 2], k=1)


@pytest.mark.parametrize(
    "column, values, looks_like",
    [
        ("Full Name", ["Ana", "Ion"], "a person's name"),
        ("surname", ["X", "Y"], "a person's name"),
        ("Phone", ["1", "2"], "a phone number"),
        ("contact", ["+370 612 34567", "+44 7700 900123"], "a phone number"),
        ("E-mail", ["x", "y"], "an e-mail address"),
        ("reported_by", ["a@b.org", "c@d.lt"], "an e-mail address"),
        ("street_address", ["1 Main St", "2 Side Rd"], "a street address"),
        ("date_of_birth", ["1990-01-01", "1980-02-02"], "a date of birth"),
        ("DOB", ["1990-01-01", "1980-02-02"], "a date of birth"),
        ("passport_no", ["X1", "Y2"], "an identity document number"),
        ("notes", ["a", "b"], "free-text notes"),
        (
            "what_happened",
            ["She said that the man who recruited her in the village took her papers away"] * 2,
            "free-text notes",
        ),
    ],
)
def test_identifier_columns_are_found(column: str, values: list[str], looks_like: str) -> None:
    frame = pd.DataFrame({"period": [2020, 2021], column: values})
    found = find_identifier_columns(frame)
    assert [f.column for f in found] == [column]
    assert found[0].looks_like == looks_like
    assert column in str(found[0])


def test_non_identifying_attributes_pass() -> None:
    frame = pd.DataFrame(
        {
            "area_id": ["13001", "13003"],
            "period": [2020, 2021],
            "exploitation_type": ["labour", "sexual"],
            "age_band": ["18-24", "25-34"],
            "sex": ["female", "male"],
            "nationality": ["RO", "VN"],
            "count": [3, 4],
            "latitude": [33.1, 33.2],
            "longitude": [-84.1, -84.2],
        }
    )
    assert find_identifier_columns(frame) == []
    assert find_identifier_columns(pd.DataFrame({"name": ["Fulton"]}), allowed=frozenset({"name"})) == []
