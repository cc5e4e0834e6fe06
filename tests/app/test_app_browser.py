"""A real headless Chromium registers, adds ingredients and a recipe, records a purchase."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from apphelpers import Server
from playwright.sync_api import Page, expect, sync_playwright

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page() -> Iterator[Page]:
    """A fresh page in Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run make system-deps")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def add_ingredient(page: Page, name: str, qty: str, unit: str, price: str) -> None:
    """Fill in and submit the add-ingredient form."""
    page.click("text=Add ingredient")
    page.fill("input[name=name]", name)
    page.fill("input[name=category]", "pantry")
    page.fill("input[name=package_quantity]", qty)
    page.select_option("select[name=package_unit]", unit)
    page.fill("input[name=package_price]", price)
    page.click("button:has-text('Save')")


def register(page: Page, base: str) -> None:
    """Create a fresh account through the form."""
    name = f"cook{uuid.uuid4().hex[:6]}"
    page.goto(f"{base}/auth/register")
    page.fill("input[name=username]", name)
    page.fill("input[name=email]", f"{name}@example.com")
    page.fill("input[name=password]", "a long password")
    page.click("button:has-text('Register')")


def add_recipe(page: Page) -> None:
    """Add a two-line recipe, converting ml to the ingredient's l."""
    page.click("nav >> text=Recipes")
    page.click("text=Add recipe")
    page.fill("input[name=name]", "Spaghetti al pomodoro")
    page.fill("input[name=servings]", "4")
    page.select_option("select[name=item-0-ingredient]", label="Spaghetti (g)")
    page.fill("input[name=item-0-quantity]", "400")
    page.select_option("select[name=item-0-unit]", "g")
    page.select_option("select[name=item-1-ingredient]", label="Passata (l)")
    page.fill("input[name=item-1-quantity]", "350")
    page.select_option("select[name=item-1-unit]", "ml")
    page.click("button:has-text('Save recipe')")


def record_purchase(page: Page) -> None:
    """Set this month's budget and record a purchase from the dashboard."""
    page.click("nav >> text=Dashboard")
    page.fill("input[name=amount] >> nth=1", "250")
    page.click("button:has-text('Save budget')")
    page.fill("input[name=date]", dt.date.today().isoformat())
    page.fill("input[name=amount] >> nth=0", "23.45")
    page.fill("input[name=store]", "Corner shop")
    page.fill("input[name=category]", "groceries")
    page.click("button:has-text('Add purchase')")


def test_a_person_plans_a_recipe_and_tracks_spending(
    server: Server, page: Page, tmp_path: Path
) -> None:
    register(page, server.url)
    expect(page.locator("h1")).to_contain_text("Budget for")
    page.click("nav >> text=Ingredients")
    add_ingredient(page, "Spaghetti", "500", "g", "1.29")
    add_ingredient(page, "Passata", "0.7", "l", "1.49")
    expect(page.locator("table")).to_contain_text("2.58 / kg")
    expect(page.locator("table")).to_contain_text("2.13 / l")
    add_recipe(page)
    # 400/500*1.29 + 350/700*1.49 = 1.032 + 0.745 = 1.777
    expect(page.locator(".stats")).to_contain_text("1.78")
    expect(page.locator(".stats")).to_contain_text("0.44")
    record_purchase(page)
    expect(page.locator("p.flash")).to_contain_text("Purchase recorded")
    expect(page.locator(".stats")).to_contain_text("226.55")
    expect(page.locator(".categories")).to_contain_text("groceries")
    assert page.locator("svg.chart rect").count() == 6

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.click("td.actions button:has-text('Delete')")
    expect(page.locator("p.flash")).to_contain_text("Purchase deleted")
    expect(page.locator(".stats")).to_contain_text("250.00")
    expect(page.locator("text=No purchases recorded")).to_be_visible()
