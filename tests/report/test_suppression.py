"""Small-cell suppression: primary masks, complementary masks, flows and rates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crlm_outcomes.report.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    SuppressionPolicy,
    complementary_mask,
    format_count,
    primary_mask,
    suppress_flow,
    suppress_matrix,
    suppress_vector,
)

POLICY = SuppressionPolicy(threshold=11)


def test_primary_mask_keeps_zero_by_default():
    assert primary_mask([0, 1, 10, 11, 50], 11).tolist() == [False, True, True, False, False]
    assert primary_mask([0, 5], 11, suppress_zero=True).tolist() == [True, True]


def test_single_small_cell_in_a_row_with_total_gets_a_complement():
    kind = suppress_vector([40, 5, 30, 12], POLICY)
    assert kind.tolist() == [0, PRIMARY, 0, COMPLEMENTARY]  # next-smallest cell (12) goes too


def test_no_complement_without_published_total():
    kind = suppress_vector([40, 5, 30, 12], POLICY, total_published=False)
    assert kind.tolist() == [0, PRIMARY, 0, 0]


def test_complement_prefers_positive_cells():
    kind = suppress_vector([0, 5, 30], POLICY)
    assert kind.tolist() == [0, PRIMARY, COMPLEMENTARY]


def test_two_small_cells_need_no_complement():
    kind = suppress_vector([3, 5, 30], POLICY)
    assert kind.tolist() == [PRIMARY, PRIMARY, 0]


def test_disabled_policy_masks_nothing():
    off = SuppressionPolicy(enabled=False)
    assert not suppress_matrix(np.array([[1, 2], [3, 4]]), off).any()
    assert format_count(3, 0, off) == "3"


def test_cascade_across_rows_and_columns():
    counts = np.array([[5, 40, 45], [30, 50, 80], [20, 60, 80]])
    kind = suppress_matrix(counts, POLICY)
    masked = kind > 0
    # no row and no column holds exactly one masked cell
    assert all(masked[i].sum() != 1 for i in range(3))
    assert all(masked[:, j].sum() != 1 for j in range(3))
    assert kind[0, 0] == PRIMARY


def _recoverable(values: np.ndarray, masked: np.ndarray, shape: tuple[int, int]) -> bool:
    """Can a masked cell be recovered from a row or column with published total?"""
    m = masked.reshape(shape)
    rows = shape[1] > 1 and any(m[i].sum() == 1 for i in range(shape[0]))
    cols = shape[0] > 1 and any(m[:, j].sum() == 1 for j in range(shape[1]))
    return rows or cols


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(2, 5), st.data())
def test_property_no_single_masked_cell_in_any_published_total(r, c, data):
    vals = np.array(data.draw(st.lists(st.integers(0, 60), min_size=r * c, max_size=r * c)))
    counts = vals.reshape(r, c)
    kind = suppress_matrix(counts, POLICY)
    assert not _recoverable(counts, kind > 0, (r, c)) or (kind > 0).sum() == 0
    # every small positive cell is masked, and large published cells are shown
    small = (counts > 0) & (counts < 11)
    assert (kind[small] == PRIMARY).all()


def test_complementary_mask_general_constraints():
    vals = np.array([4, 20, 30, 25])
    mask = np.array([True, False, False, False])
    out = complementary_mask(vals, mask, [[0, 1], [1, 2, 3]])
    # {0,1}: 1 added; then {1,2,3} has one masked cell -> the smallest other (3: 25) added
    assert out.tolist() == [True, True, False, True]


def test_flow_masks_small_exclusions_and_partial_sums():
    remaining = [500, 497, 300, 295, 200]
    excluded = [3, 197, 5, 95]
    rem_kind, exc_kind = suppress_flow(remaining, excluded, POLICY)
    assert exc_kind.tolist() == [PRIMARY, 0, PRIMARY, 0]
    # the analysis cohort (last) is printed everywhere: every count before the last masked
    # exclusion is masked, so no masked count is a difference of printed ones
    assert rem_kind.tolist() == [COMPLEMENTARY, COMPLEMENTARY, COMPLEMENTARY, 0, 0]
    shown_rem = [r for r, k in zip(remaining, rem_kind, strict=True) if not k]
    shown_exc = [e for e, k in zip(excluded, exc_kind, strict=True) if not k]
    assert shown_rem == [295, 200] and shown_exc == [197, 95]


def test_flow_single_small_exclusion_gets_complement():
    rem_kind, exc_kind = suppress_flow([500, 496, 300], [4, 196], POLICY)
    assert exc_kind.tolist() == [PRIMARY, 0]
    assert rem_kind.tolist() == [COMPLEMENTARY, 0, 0]  # 496 = 300 + 196 is printed anyway


def test_flow_one_step():
    rem_kind, exc_kind = suppress_flow([500, 496], [4], POLICY)
    assert exc_kind.tolist() == [PRIMARY]
    assert rem_kind.tolist() == [COMPLEMENTARY, 0]  # the cohort size is printed elsewhere


def test_format_and_footnote():
    assert format_count(5, PRIMARY, POLICY) == "<11"
    assert format_count(50, COMPLEMENTARY, POLICY) == "‡"
    assert format_count(50.0, 0, POLICY) == "50"
    note = SuppressionPolicy(threshold=16, rate_threshold=20).footnote()
    assert "below 16" in note and "fewer than 20" in note


@pytest.mark.parametrize("threshold", [5, 11, 16])
def test_threshold_is_configurable(threshold):
    policy = SuppressionPolicy(threshold=threshold)
    values = list(range(0, 25))
    kind = suppress_vector(values, policy, total_published=False)
    for v, k in zip(values, kind, strict=True):
        assert (k == PRIMARY) == (0 < v < threshold)


def test_exhaustive_small_vectors_never_leak():
    for vals in itertools.product([0, 3, 12, 40], repeat=3):
        kind = suppress_vector(list(vals), POLICY)
        assert (kind > 0).sum() != 1


def test_counts_published_together_and_alone():
    from crlm_outcomes.report.suppression import format_count_alone, format_counts, kind_alone

    assert format_counts([40, 5, 30, 12], POLICY, total_published=True) == ["40", "<11", "30", "‡"]
    assert format_counts([40, 5, 30, 12], POLICY, total_published=False) == [
        "40",
        "<11",
        "30",
        "12",
    ]
    assert kind_alone(5, POLICY) == PRIMARY and kind_alone(0, POLICY) == 0
    assert format_count_alone(5, POLICY) == "<11"
    assert format_count_alone(5, SuppressionPolicy(enabled=False)) == "5"
    assert format_count_alone(0, SuppressionPolicy(suppress_zero=True)) == "<11"
