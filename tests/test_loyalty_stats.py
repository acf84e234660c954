"""The A/B statistics against figures worked out by hand (normal tables, the textbook formulas)."""

from __future__ import annotations

import pytest

from livedesk.services.loyalty import stats


def test_normal_quantiles_are_the_table_values():
    assert stats.norm_ppf(0.975) == pytest.approx(1.959964, abs=1e-6)
    assert stats.norm_ppf(0.80) == pytest.approx(0.841621, abs=1e-6)
    assert stats.norm_cdf(2.5) == pytest.approx(0.993790, abs=1e-6)


def test_two_rates_of_15_and_25_percent_over_200_each_differ_at_p_0_0124():
    # pooled p = 0.2, se = sqrt(0.2 * 0.8 * (1/200 + 1/200)) = 0.04, z = 0.10 / 0.04 = 2.5
    assert stats.two_proportion_p(30, 200, 50, 200) == pytest.approx(2 * (1 - 0.9937903), abs=1e-6)


def test_equal_rates_give_p_1_and_all_or_nothing_cannot_be_tested():
    assert stats.two_proportion_p(20, 100, 40, 200) == pytest.approx(1.0)
    assert stats.two_proportion_p(0, 50, 0, 60) is None
    assert stats.two_proportion_p(3, 0, 1, 10) is None


def test_wilson_interval_of_30_in_200():
    # centre (0.15 + z²/400) / (1 + z²/200) = 0.156596; half-width 0.049460
    est = stats.proportion(30, 200)
    assert (est.value, est.low, est.high) == pytest.approx((0.15, 0.107136, 0.206056), abs=1e-5)


def test_a_rate_of_nothing_is_unknown_and_zero_of_ten_is_not_below_zero():
    assert stats.proportion(0, 0) == stats.Estimate(0.0, 0.0, 1.0)
    zero = stats.proportion(0, 10)
    assert zero.low == 0.0 and zero.high == pytest.approx(0.277533, abs=1e-5)  # z²/(n+z²)


def test_a_mean_with_its_normal_interval():
    # mean 100, s = sqrt(60000 / 3) = 141.421, half-width 1.959964 * 141.421 / 2 = 138.590
    est = stats.mean([0, 0, 100, 300])
    assert (est.value, est.low, est.high) == pytest.approx((100, -38.590, 238.590), abs=1e-3)
    assert stats.mean([]) == stats.Estimate(0.0, 0.0, 0.0)
    assert stats.mean([0, 0, 100, 300], floor=0.0).low == 0.0  # money spent is never below zero


def test_customers_needed_to_tell_15_from_25_percent_is_250_per_group():
    # (1.959964·√(2·0.2·0.8) + 0.841621·√(0.15·0.85 + 0.25·0.75))² / 0.10² = 249.98
    assert stats.sample_size_per_group(0.15, 0.25) == 250
    assert stats.sample_size_per_group(0.2, 0.2) is None
