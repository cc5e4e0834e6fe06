"""The dashboard (month summary and chart), the monthly budget and purchases."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from app.auth import login_required
from app.chart import HEIGHT, WIDTH, build_bars
from app.db import get_db
from app.models import budget as bud
from app.pagecache import page_cache
from app.validation import FORM_EXTRA, ValidationError, month, validate

bp = Blueprint("budget", __name__)
RECENT_PURCHASES = 25
# a projection from the first few days says little (one shop on the 1st is a month's worth)
PROJECTION_MIN_DAYS = 7


def today() -> dt.date:
    """The date the dashboard is shown for."""
    return dt.date.today()


def projection(summary: dict[str, Any]) -> tuple[Fraction | None, str]:
    """The month's projected spending (None while too early to say) and what it is based on."""
    elapsed, days = summary["elapsed_days"], summary["days_in_month"]
    if elapsed == 0:
        return None, "the month has not started"
    if elapsed == days:
        return summary["projected"], f"all {days} days"
    if elapsed < PROJECTION_MIN_DAYS:
        so_far = "1 day" if elapsed == 1 else f"{elapsed} days"
        return None, f"shown from day {PROJECTION_MIN_DAYS} ({so_far} so far)"
    return summary["projected"], f"based on {elapsed} of {days} days"


def selected_month() -> str:
    """The month asked for with ?month=YYYY-MM, or the current one."""
    try:
        return month(request.args.get("month", ""))
    except ValueError:
        return today().strftime("%Y-%m")


def render_dashboard(errors: dict[str, str] | None = None) -> tuple[str, int]:
    """Render the dashboard for the selected month."""
    db, user_id, name = get_db(), g.user["id"], selected_month()
    summary = bud.month_summary(db, user_id, name, today())
    totals = bud.monthly_totals(db, user_id, name)
    budgets = bud.budgets_between(db, user_id, totals[0][0], name)
    spent = summary["spent"]
    by_category = [
        (cat, amount, float(amount / spent) * 100 if spent else 0.0)
        for cat, amount in summary["by_category"].items()
    ]
    return render_template(
        "budget/dashboard.html",
        s=summary,
        projection=projection(summary),
        by_category=by_category,
        bars=build_bars(totals, budgets),
        chart_size=(WIDTH, HEIGHT),
        purchases=bud.list_purchases(db, user_id, name, limit=RECENT_PURCHASES),
        prev_month=bud.shift_month(name, -1),
        next_month=bud.shift_month(name, 1),
        today=today().isoformat(),
        errors=errors or {},
        form=request.form,
    ), 422 if errors else 200


def cache_key(name: str) -> tuple[object, ...] | None:
    """Everything the dashboard page depends on (None before the session has a CSRF token)."""
    csrf_token = session.get("csrf_token")
    if csrf_token is None:
        return None
    return (g.user["id"], g.user["data_revision"], name, today(), csrf_token)


@bp.get("/")
@login_required
def dashboard() -> Any:
    """Spent, remaining, daily average, projection, categories and the last 6 months.

    The page is rebuilt only when the user's data revision, the month, the day or the session
    changes; a page showing a one-time message is never stored.
    """
    name, one_time = selected_month(), "_flashes" in session
    key = None if one_time else cache_key(name)
    page = page_cache().get(key) if key else None
    if page is None:
        page, _ = render_dashboard()
        key = None if one_time else cache_key(name)
        if key:
            page_cache().put(key, page)
    return page


@bp.post("/budget")
@login_required
def set_budget() -> Any:
    """Set the budget of the selected month."""
    try:
        clean = validate(request.form.to_dict(), bud.BUDGET_SPEC | FORM_EXTRA)
    except ValidationError as exc:
        return render_dashboard({f"budget_{k}": v for k, v in exc.fields.items()})
    name = selected_month()
    bud.set_budget(get_db(), g.user["id"], name, clean["amount"])
    flash(f"Budget for {name} saved.")
    return redirect(url_for("budget.dashboard", month=name))


@bp.post("/purchases")
@login_required
def add_purchase() -> Any:
    """Record a purchase."""
    try:
        clean = validate(request.form.to_dict(), bud.PURCHASE_SPEC | FORM_EXTRA)
    except ValidationError as exc:
        return render_dashboard(exc.fields)
    bud.create_purchase(get_db(), g.user["id"], clean)
    flash("Purchase recorded.")
    return redirect(url_for("budget.dashboard", month=clean["date"][:7]))


@bp.post("/purchases/<id:item_id>/delete")
@login_required
def delete_purchase(item_id: int) -> Any:
    """Delete a purchase."""
    bud.delete_purchase(get_db(), g.user["id"], item_id)
    flash("Purchase deleted.")
    return redirect(url_for("budget.dashboard", month=selected_month()))
