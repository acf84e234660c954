"""The few statistics an A/B test needs, on the normal approximation (math.erf, no SciPy).

- a rate's 95 % interval: Wilson's score interval (sound for small samples and rates near 0);
- a mean's interval: mean ± z·s/√n with the sample standard deviation;
- two rates compared: the pooled two-proportion z-test, two-sided;
- the sample per group that would detect the observed difference (α two-sided, power 1−β).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05
POWER = 0.80


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def norm_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def norm_ppf(p: float) -> float:
    """The z with norm_cdf(z) == p, by bisection (to 1e-12: far below what a report shows)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"a probability strictly between 0 and 1, not {p}")
    low, high = -40.0, 40.0
    while high - low > 1e-12:
        mid = (low + high) / 2
        if norm_cdf(mid) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def proportion(successes: int, n: int, alpha: float = ALPHA) -> Estimate:
    """The rate with Wilson's score interval; a sample of none is (0, 0, 1): nothing known yet."""
    if n == 0:
        return Estimate(0.0, 0.0, 1.0)
    z = norm_ppf(1 - alpha / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half))


def mean(values: Sequence[float], alpha: float = ALPHA, floor: float | None = None) -> Estimate:
    """The mean with its normal interval; ``floor`` bounds the interval below (GMV is never negative)."""
    n = len(values)
    if n == 0:
        return Estimate(0.0, 0.0, 0.0)
    m = sum(values) / n
    if n == 1:
        return Estimate(m, m, m)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = norm_ppf(1 - alpha / 2) * s / math.sqrt(n)
    return Estimate(m, m - half if floor is None else max(floor, m - half), m + half)


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled z-test that two rates differ; None when it cannot be computed."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None  # both rates 0 % or both 100 %: no difference to test
    z = (k2 / n2 - k1 / n1) / se
    return 2 * (1 - norm_cdf(abs(z)))


def sample_size_per_group(p1: float, p2: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Customers per group to tell ``p1`` from ``p2`` (two-sided α, power); None when they are equal."""
    if p1 == p2:
        return None
    z_a, z_b = norm_ppf(1 - alpha / 2), norm_ppf(power)
    p_bar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (p1 - p2) ** 2)
