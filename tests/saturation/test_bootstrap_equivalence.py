"""The bootstrap's bitmask fast path gives exactly the saturation point of the full measures."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.saturation.measures import bootstrap_saturation, saturation_measures

CODES = [f"A{i:02d}" for i in range(1, 13)]
cases = st.lists(st.sets(st.sampled_from(CODES), max_size=6), min_size=7, max_size=30)


@settings(max_examples=60, deadline=None)
@given(cases, st.integers(1, 4), st.integers(1, 3), st.sampled_from([0.0, 0.05, 0.2]),
       st.integers(0, 10_000))
def test_bootstrap_points_equal_the_measures_on_each_resampled_order(
    codes, base_size, run_length, threshold, seed
):
    per_case = {f"c{i:02d}": set(c) for i, c in enumerate(codes)}
    boot = bootstrap_saturation(per_case, base_size, run_length, threshold, orders=8, seed=seed)
    rng = np.random.default_rng(seed)
    items = list(per_case.items())
    for got in boot.case_counts:
        order = rng.permutation(len(items))
        shuffled = {items[i][0]: items[i][1] for i in order}
        want = saturation_measures(shuffled, base_size, run_length, threshold).saturation_case
        assert got == want
