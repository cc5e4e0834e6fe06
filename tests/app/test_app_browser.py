"""A real headless Chromium: a person plans a recipe and tracks spending, on desktop and phone."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from apphelpers import Server
from playwright.sync_api import Browser, Page, expect, sync_playwright

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


PHONE = (390, 844)  # CSS pixels, a phone held upright
DESKTOP = (1280, 900)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by the module's tests."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing at /usr/bin/chromium: run make system-deps")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@contextmanager
def new_page(browser: Browser, size: tuple[int, int], javascript: bool = True) -> Iterator[Page]:
    """A page in a fresh context (own cookies) with a viewport of this size."""
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=javascript
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page."""
    with new_page(browser, DESKTOP) as desktop:
        yield desktop


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone."""
    with new_page(browser, PHONE) as small:
        yield small


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


def fits_across(page: Page, selector: str) -> None:
    """Every element matching selector lies within the viewport's width."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    boxes = [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]
    assert boxes, f"nothing matches {selector}"
    for box in boxes:
        assert box is not None, f"{selector} is not shown"
        assert box["x"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width, (selector, box)


def no_sideways_scroll(page: Page) -> None:
    """Neither the page nor any table wrapper scrolls sideways."""
    overflow = page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
              .filter(el => el.scrollWidth > el.clientWidth)
              .map(el => el.className || el.tagName)"""
    )
    assert overflow == []


def test_on_a_phone_purchases_and_ingredients_show_amount_and_delete(
    server: Server, phone: Page
) -> None:
    register(phone, server.url)
    phone.click("nav >> text=Ingredients")
    add_ingredient(phone, "Extra virgin olive oil, cold pressed", "750", "ml", "6.99")
    expect(phone.locator("table")).to_contain_text("9.32 / l")
    no_sideways_scroll(phone)
    fits_across(phone, "table td:has-text('9.32 / l')")
    fits_across(phone, "td.actions button:has-text('Delete')")
    phone.click("nav >> text=Dashboard")
    for amount, note in (("23.45", "weekly shop, the big one"), ("4.10", "bread and milk")):
        phone.fill("input[name=date]", dt.date.today().isoformat())
        phone.fill("input[name=amount] >> nth=0", amount)
        phone.fill("input[name=store]", "The corner shop on the high street")
        phone.fill("input[name=note]", note)
        phone.click("button:has-text('Add purchase')")
        expect(phone.locator("p.flash")).to_contain_text("Purchase recorded")
    no_sideways_scroll(phone)
    fits_across(phone, "td.amount")
    fits_across(phone, "td.actions button:has-text('Delete')")
    expect(phone.locator("td.amount").first).to_have_text("4.10")
    phone.locator("td.actions button:has-text('Delete')").first.click()
    expect(phone.locator("p.flash")).to_contain_text("Purchase deleted")
    expect(phone.locator("td.amount")).to_have_count(1)


def start_recipe(page: Page, base: str, ingredient: tuple[str, str, str, str], name: str) -> None:
    """As a new user with one ingredient, open the add-recipe form and name the recipe."""
    register(page, base)
    page.click("nav >> text=Ingredients")
    add_ingredient(page, *ingredient)
    page.click("nav >> text=Recipes")
    page.click("text=Add recipe")
    page.fill("input[name=name]", name)


def test_a_recipe_line_is_added_in_place_with_javascript(server: Server, phone: Page) -> None:
    start_recipe(phone, server.url, ("Flour", "1", "kg", "1.00"), "Flatbread")
    phone.evaluate("window.stillTheSamePage = true")
    expect(phone.locator(".line")).to_have_count(3)
    phone.click("button:has-text('Add a line')")
    expect(phone.locator(".line")).to_have_count(4)
    assert phone.evaluate("window.stillTheSamePage") is True
    assert phone.input_value("input[name=name]") == "Flatbread"
    phone.select_option("select[name=item-3-ingredient]", label="Flour (kg)")
    phone.fill("input[name=item-3-quantity]", "250")
    phone.click("button:has-text('Save recipe')")
    expect(phone.locator("p.flash")).to_contain_text("Saved Flatbread")
    expect(phone.locator(".stats")).to_contain_text("0.25")
    no_sideways_scroll(phone)


def test_more_recipe_lines_without_javascript(server: Server, browser: Browser) -> None:
    with new_page(browser, PHONE, javascript=False) as page:
        start_recipe(page, server.url, ("Lentils", "500", "g", "1.50"), "Dal")
        page.select_option("select[name=item-0-ingredient]", label="Lentils (g)")
        page.fill("input[name=item-0-quantity]", "200")
        page.click("button:has-text('More lines')")
        expect(page.locator(".line")).to_have_count(6)
        assert page.input_value("input[name=name]") == "Dal"
        assert page.input_value("input[name=item-0-quantity]") == "200"
        page.select_option("select[name=item-5-ingredient]", label="Lentils (g)")
        page.fill("input[name=item-5-quantity]", "100")
        page.click("button:has-text('Save recipe')")
        expect(page.locator("p.flash")).to_contain_text("Saved Dal")
        expect(page.locator("tbody tr")).to_have_count(2)
        expect(page.locator(".stats")).to_contain_text("0.90")
