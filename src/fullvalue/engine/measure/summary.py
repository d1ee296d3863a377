"""Plain-language sentences in the style of Justice Data Lab reports."""

from __future__ import annotations

from collections.abc import Sequence

from fullvalue.engine.measure.inference import Estimate


def _amount(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _range_sentence(estimate: Estimate, what: str, unit: str, scale: float, decimals: int) -> str:
    if estimate.ci_low is None or estimate.ci_high is None or estimate.difference is None:
        return f"There is not enough information to estimate the effect on {what}."
    low, high = estimate.ci_low * scale, estimate.ci_high * scale
    if high < 0:
        return (
            f"The best estimate is that the programme reduced {what} by between "
            f"{_amount(-high, decimals)} and {_amount(-low, decimals)} {unit}."
        )
    if low > 0:
        return (
            f"The best estimate is that the programme increased {what} by between "
            f"{_amount(low, decimals)} and {_amount(high, decimals)} {unit}."
        )
    return (
        f"The analysis cannot show whether the programme changed {what}: the effect could lie "
        f"anywhere between a reduction of {_amount(-low, decimals)} and an increase of "
        f"{_amount(high, decimals)} {unit}. This does not mean it had no effect; a larger "
        "group of participants might show one."
    )


def matched_summary(
    *,
    period_words: str,
    binary: Estimate,
    frequency: Estimate,
    days_to_first: Estimate,
    matched_treated: int,
    comparison: int,
    off_support: int,
    imbalanced: Sequence[str],
) -> str:
    """Write the Justice Data Lab style summary of a matched comparison.

    Notes
    -----
    A direction is claimed only when the 95% confidence interval excludes zero; rates are
    given in percentage points (whole points, as the Justice Data Lab reports them).

    References
    ----------
    Ministry of Justice, *Justice Data Lab* reports, "key findings" and "what you can say".

    Examples
    --------
    >>> b = Estimate(0.31, 0.43, -0.12, -0.23, -0.01, 0.03, 72, 300)
    >>> f = Estimate(0.9, 1.0, -0.1, -0.4, 0.2, 0.5, 72, 300)
    >>> d = Estimate(150.0, 140.0, 10.0, -20.0, 40.0, 0.5, 22, 120)
    >>> text = matched_summary(period_words="one-year", binary=b, frequency=f, days_to_first=d,
    ...                        matched_treated=72, comparison=300, off_support=0, imbalanced=[])
    >>> print(text.splitlines()[1])
    The best estimate is that the programme reduced the one-year proven reoffending rate by between 1 and 23 percentage points.

    """  # noqa: E501
    lines = []
    if binary.treated_value is not None and binary.comparison_value is not None:
        lines.append(
            f"For the {matched_treated} participants who could be matched, the {period_words} "
            f"proven reoffending rate was {binary.treated_value * 100:.0f}%, compared with "
            f"{binary.comparison_value * 100:.0f}% for a matched comparison group of "
            f"{comparison} similar people."
        )
    lines.append(
        _range_sentence(
            binary, f"the {period_words} proven reoffending rate", "percentage points", 100, 0
        )
    )
    lines.append(
        _range_sentence(
            frequency,
            f"the number of proven reoffences in the {period_words} period",
            "offences per person",
            1,
            2,
        )
    )
    lines.append(
        _range_sentence(
            days_to_first,
            "the time to first proven reoffence among those who reoffended",
            "days",
            1,
            0,
        )
    )
    if off_support:
        lines.append(
            f"{off_support} participants had no comparable person in the pool (outside the "
            "caliper) and are left out of these results."
        )
    if imbalanced:
        lines.append(
            "Warning: the matched groups are not balanced on "
            + ", ".join(imbalanced)
            + " (standardised mean difference above 0.1), so the comparison group may differ "
            "from the participants in ways that affect reoffending; treat these results with "
            "caution."
        )
    return "\n".join(lines)


def baseline_summary(
    *, period_words: str, binary: Estimate, frequency: Estimate, current: int
) -> str:
    """Write a plain-language summary of actual against case-mix adjusted expected reoffending.

    Notes
    -----
    As in Transforming Rehabilitation, a change is claimed only when the 95% confidence interval
    of actual minus expected excludes zero.

    References
    ----------
    Ministry of Justice (2014), *Transforming Rehabilitation: payment mechanism*, binary and
    frequency measures against a case-mix adjusted baseline.

    Examples
    --------
    >>> b = Estimate(0.454, 0.475, -0.021, -0.025, -0.017, 0.0, 1000, 1000)
    >>> f = Estimate(1.2, 1.1, 0.1, 0.05, 0.15, 0.0, 1000, 1000)
    >>> print(baseline_summary(period_words="one-year", binary=b, frequency=f, current=1000))
    For the 1000 people in the current cohort, the one-year proven reoffending rate was 45%, against 48% expected from the baseline for people with the same risk factors.
    The best estimate is that the cohort's rate was below expected by between 1.7 and 2.5 percentage points.
    The best estimate is that the cohort's reoffences per person was above expected by between 0.05 and 0.15 offences per person.

    """  # noqa: E501
    lines = []
    if binary.treated_value is not None and binary.comparison_value is not None:
        lines.append(
            f"For the {current} people in the current cohort, the {period_words} proven "
            f"reoffending rate was {binary.treated_value * 100:.0f}%, against "
            f"{binary.comparison_value * 100:.0f}% expected from the baseline for people with "
            "the same risk factors."
        )
    for estimate, what, unit, scale, decimals in (
        (binary, "rate", "percentage points", 100, 1),
        (frequency, "reoffences per person", "offences per person", 1, 2),
    ):
        if estimate.ci_low is None or estimate.ci_high is None:
            lines.append(f"There is not enough information to compare the {what}.")
            continue
        low, high = estimate.ci_low * scale, estimate.ci_high * scale
        if high < 0:
            lines.append(
                f"The best estimate is that the cohort's {what} was below expected by between "
                f"{_amount(-high, decimals)} and {_amount(-low, decimals)} {unit}."
            )
        elif low > 0:
            lines.append(
                f"The best estimate is that the cohort's {what} was above expected by between "
                f"{_amount(low, decimals)} and {_amount(high, decimals)} {unit}."
            )
        else:
            lines.append(
                f"The cohort's {what} cannot be distinguished from expected: the difference "
                f"could lie between {_amount(low, decimals)} and {_amount(high, decimals)} "
                f"{unit}."
            )
    return "\n".join(lines)
