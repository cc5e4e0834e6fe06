"""A bar chart of monthly spending, laid out on the server and drawn as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from app.money import fmt_money

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 600, 240, 20, 30, 10
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Bar:
    """One month's bar: position, size, labels and whether it is over budget."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    over: bool
    budget_y: float | None


def build_bars(totals: list[tuple[str, Fraction]], budgets: dict[str, Fraction]) -> list[Bar]:
    """Lay out one bar per month, scaled to the largest total or budget."""
    top_value = max([t for _, t in totals] + list(budgets.values()) + [Fraction(1)])
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT * 2) / max(len(totals), 1)
    bars = []
    for i, (month, total) in enumerate(totals):
        h = float(total / top_value) * plot_h
        budget = budgets.get(month)
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.15, 1),
                y=round(TOP + plot_h - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                label=f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[2:4]}",
                value=fmt_money(total),
                over=budget is not None and total > budget,
                budget_y=None
                if budget is None
                else round(TOP + plot_h * float(1 - budget / top_value), 1),
            )
        )
    return bars
