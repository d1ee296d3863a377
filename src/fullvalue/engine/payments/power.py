"""Statistical power of a reoffending result: how big an effect a cohort can show.

A provider paid only for a statistically significant reduction needs the *observed* reduction to
clear the significance threshold. With a cohort of ``n`` and a baseline rate ``p``, chance
alone moves the observed rate by about ``sqrt(p(1-p)/n)``, so small cohorts need large true
effects before payment is likely. This is why volume-dependent payment by results fails niche
cohorts (a women's centre with 150 women a year) and why the Social Market Foundation found TR
providers needed about a 4 percentage-point reduction in cohorts of 1,000 to be fairly sure of
any payment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from fullvalue.errors import FullvalueError, Problem


@dataclass(frozen=True)
class PowerResult:
    """The minimum detectable effect and the inputs it was worked out from.

    ``minimum_detectable_effect`` is in proportion points (0.039 = 3.9 percentage points);
    ``relative_effect`` is the same as a proportion of the baseline rate.
    """

    baseline_rate: float
    cohort_size: int
    comparison_size: int | None
    alpha: float
    power: float
    two_sided: bool
    standard_error: float
    minimum_detectable_effect: float
    relative_effect: float

    def as_dict(self) -> dict[str, object]:
        """Return the result as JSON-ready data."""
        return {
            "baseline_rate": self.baseline_rate,
            "cohort_size": self.cohort_size,
            "comparison_size": self.comparison_size,
            "alpha": self.alpha,
            "power": self.power,
            "two_sided": self.two_sided,
            "standard_error": self.standard_error,
            "minimum_detectable_effect": self.minimum_detectable_effect,
            "relative_effect": self.relative_effect,
        }


def _check(
    baseline_rate: float,
    cohort_size: int,
    alpha: float,
    power: float | None,
    comparison_size: int | None,
) -> None:
    problems = []
    if not 0 < baseline_rate < 1:
        problems.append(
            Problem("The baseline rate must be a proportion between 0 and 1.", "baseline_rate")
        )
    if cohort_size < 1:
        problems.append(Problem("The cohort size must be at least 1.", "cohort_size"))
    if comparison_size is not None and comparison_size < 1:
        problems.append(Problem("The comparison group size must be at least 1.", "comparison_size"))
    if not 0 < alpha < 1:
        problems.append(Problem("The significance level must be between 0 and 1.", "alpha"))
    if power is not None and not 0 < power < 1:
        problems.append(Problem("The power must be between 0 and 1.", "power"))
    if problems:
        raise FullvalueError.from_problems("The power calculation cannot be made.", problems)


def standard_error(
    baseline_rate: float, cohort_size: int, comparison_size: int | None = None
) -> float:
    r"""Standard error of the difference between a cohort's reoffending rate and its baseline.

    Parameters
    ----------
    baseline_rate : float
        Proportion (0-1) who reoffend without the service.
    cohort_size : int
        People in the cohort.
    comparison_size : int, optional
        People in a matched comparison group; ``None`` for a baseline treated as known
        (TR's 2011 baseline, built from all offenders).

    Notes
    -----
    .. math:: SE = \sqrt{p(1-p)\left(\frac{1}{n} + \frac{1}{m}\right)},
              \quad \frac{1}{m} = 0 \text{ for a known baseline}

    Examples
    --------
    >>> round(standard_error(0.475, 1000), 5)
    0.01579

    """
    inverse_m = 0.0 if comparison_size is None else 1.0 / comparison_size
    return math.sqrt(baseline_rate * (1 - baseline_rate) * (1.0 / cohort_size + inverse_m))


def minimum_detectable_effect(
    baseline_rate: float,
    cohort_size: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = False,
    comparison_size: int | None = None,
) -> PowerResult:
    r"""The smallest true reduction in a binary reoffending rate that is likely to be shown.

    Parameters
    ----------
    baseline_rate : float
        Proportion (0-1) who reoffend without the service (TR's 2011 baseline: 0.475).
    cohort_size : int
        People in the cohort.
    alpha : float
        Significance level (0-1); one-sided unless ``two_sided``.
    power : float
        Wanted probability (0-1) of a significant result when the true effect is the MDE.
    two_sided : bool
        Use a two-sided test.
    comparison_size : int, optional
        Size of a matched comparison group; ``None`` for a known baseline.

    Returns
    -------
    PowerResult
        ``minimum_detectable_effect`` in proportion points.

    Notes
    -----
    The normal approximation for a difference in proportions:

    .. math:: MDE = (z_{1-\alpha} + z_{\text{power}}) \times SE

    with :math:`z_{1-\alpha/2}` for a two-sided test and SE from :func:`standard_error`. For
    1,000 people at 47.5%: SE = sqrt(0.475 × 0.525 / 1000) = 0.01579 and
    MDE = (1.6449 + 0.8416) × 0.01579 = 0.0393, about 4 percentage points.

    References
    ----------
    Social Market Foundation (2013), simulations of the Transforming Rehabilitation payment
    mechanism: providers needed about a 4 percentage-point reduction to be fairly sure of payment.

    Examples
    --------
    >>> round(minimum_detectable_effect(0.475, 1000).minimum_detectable_effect, 4)
    0.0393
    >>> round(minimum_detectable_effect(0.475, 150).minimum_detectable_effect, 3)
    0.101

    """
    _check(baseline_rate, cohort_size, alpha, power, comparison_size)
    se = standard_error(baseline_rate, cohort_size, comparison_size)
    z_alpha = float(norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))
    z_power = float(norm.ppf(power))
    mde = (z_alpha + z_power) * se
    return PowerResult(
        baseline_rate=baseline_rate,
        cohort_size=cohort_size,
        comparison_size=comparison_size,
        alpha=alpha,
        power=power,
        two_sided=two_sided,
        standard_error=se,
        minimum_detectable_effect=mde,
        relative_effect=mde / baseline_rate,
    )


def probability_of_payment(
    baseline_rate: float,
    cohort_size: int,
    true_effect: float,
    *,
    alpha: float = 0.05,
    two_sided: bool = False,
    hurdle: float = 0.0,
    comparison_size: int | None = None,
) -> float:
    r"""Probability that a cohort's result is significant and clears a relative hurdle.

    Parameters
    ----------
    baseline_rate : float
        Proportion (0-1) reoffending without the service.
    cohort_size : int
        People in the cohort.
    true_effect : float
        True reduction in the rate, in proportion points (0.02 = 2 percentage points).
    alpha : float
        Significance level (0-1).
    two_sided : bool
        Use a two-sided test (only the improving tail pays).
    hurdle : float
        Relative reduction (0-1) the observed result must also reach (0 for none).
    comparison_size : int, optional
        Size of a matched comparison group; ``None`` for a known baseline.

    Notes
    -----
    The observed reduction is taken as normal with mean ``d`` (the true effect) and standard
    error SE. Payment needs it above ``t = max(z × SE, hurdle × p)``, so

    .. math:: P(\text{payment}) = 1 - \Phi\left(\frac{t - d}{SE}\right)

    At ``d = MDE`` and no hurdle this equals the power used to find the MDE.

    Examples
    --------
    >>> round(probability_of_payment(0.475, 1000, 0.0393), 2)
    0.8
    >>> round(probability_of_payment(0.475, 150, 0.02), 2)
    0.12

    """
    _check(baseline_rate, cohort_size, alpha, None, comparison_size)
    se = standard_error(baseline_rate, cohort_size, comparison_size)
    z_alpha = float(norm.ppf(1 - alpha / 2 if two_sided else 1 - alpha))
    threshold = max(z_alpha * se, hurdle * baseline_rate)
    return float(1 - norm.cdf((threshold - true_effect) / se))
