"""Cases E1-E4: subscription plans and rate limits. They need the plan catalogue and the plan
simulator (`inferonomics.plans`), which do not exist yet: each case states its claim as parts, and
the rule finds them not computable, with that reason."""

from __future__ import annotations

from inferonomics.cases import CaseResult, case, conclude
from inferonomics.cases.verdict import Fmt, Part, Stated, at_least, value

NO_PLANS = "needs the subscription-plan catalogue and simulator (inferonomics.plans), not built yet"


def _parts(*figures: tuple[str, Stated, Fmt]) -> list[Part]:
    return [Part.of(name, stated, None, fmt, reason=NO_PLANS) for name, stated, fmt in figures]


@case("E1")
def e1() -> CaseResult:
    """The plan prices (not computable yet)."""
    return conclude(
        "E1",
        "Subscription plans",
        "Free $0, Pro $20 a month, Max 5x $100 a month, Max 20x $200 a month",
        _parts(
            ("Free", value("0"), "usd"),
            ("Pro a month", value("20"), "usd"),
            ("Max 5x a month", value("100"), "usd"),
            ("Max 20x a month", value("200"), "usd"),
        ),
    )


@case("E2")
def e2() -> CaseResult:
    """Max 20x limits in API-equivalent dollars (not computable yet)."""
    return conclude(
        "E2",
        "Max 20x limits, reverse-engineered",
        "A 5-hour rolling window ~ $83 of API-equivalent usage (~ 3.33M Opus 4.5 output tokens); a weekly "
        "limit "
        "~ $625 (7.5 windows); ~ $2,679 of API-equivalent value a month",
        _parts(
            ("a 5-hour window", value("83", "~"), "usd"),
            ("a 5-hour window in Opus 4.5 output tokens", value("3.33", "~"), "num"),
            ("a week", value("625", "~"), "usd"),
            ("windows a week", value("7.5", "~"), "num"),
            ("a month", value("2679", "~"), "usd"),
        ),
    )


@case("E3")
def e3() -> CaseResult:
    """Cost to serve per user type (not computable yet)."""
    return conclude(
        "E3",
        "Cost to serve per user type",
        "At D1's true-cost rates: casual Pro (50K tokens a day, 70/30) ~$1.50 a month; heavy Pro (100K a "
        "day) ~$3; "
        "moderate coding agent (2M input + 30K output a day) ~$5; heavy (10M + 100K a day) ~$17; a Max user "
        "hammering limits (25M+ output tokens a week) ~$300+; fewer than 5% of subscribers hit weekly caps",
        _parts(
            ("casual Pro a month", value("1.50", "~"), "usd"),
            ("heavy Pro a month", value("3", "~"), "usd"),
            ("moderate coding agent a month", value("5", "~"), "usd"),
            ("heavy coding agent a month", value("17", "~"), "usd"),
            ("Max user at the limits a month", at_least("300", "~"), "usd"),
        ),
    )


@case("E4")
def e4() -> CaseResult:
    """Heavy users' compute and break-even usage (not computable yet)."""
    return conclude(
        "E4",
        "Heavy users and break-even",
        "A heavy user consuming $5,000 a month of API-equivalent tokens ~ $500 of compute; typical Max 20x "
        "usage around 50% of the weekly budget ~ break-even",
        _parts(
            ("compute for $5,000 of usage", value("500", "~"), "usd"),
            ("break-even share of the weekly budget", value("50", "~"), "pct"),
        ),
    )
