"""Walking every route of the app: two users with records, URLs for each rule, forms on pages.

The route tests (access, isolation, CSRF, headers, SQL injection) take their routes from the
app's url_map, so a new route joins them by itself; PUBLIC says which ones need no login.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from apphelpers import MILK, RICE, Api
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

# the endpoints anyone may call; every other one needs a login (pages) or a token (API)
PUBLIC = {
    "static",
    "short_login",
    "short_register",
    "ops.healthz",
    "ops.readyz",
    "ops.version",
    "ops.metrics",
    "auth.register",
    "auth.login",
    "auth.logout",
    "api.register",
    "api.issue_token",
    "api.openapi",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MONTH = "2025-01"
# a valid body for each route that takes one, so that refusals come from who asks
JSON_BODIES: dict[str, dict[str, Any]] = {
    "api.create_ingredient": {"name": "x", "package_quantity": "1", "package_unit": "g",
                              "package_price": "1"},
    "api.patch_ingredient": {"name": "stolen"},
    "api.create_recipe": {"name": "x", "servings": 1},
    "api.patch_recipe": {"name": "stolen"},
    "api.put_budget": {"amount": "1"},
    "api.create_purchase": {"date": "2025-01-01", "amount": "1"},
}  # fmt: skip
FORM_BODIES = {
    "ingredients.create": JSON_BODIES["api.create_ingredient"],
    "ingredients.edit": {**JSON_BODIES["api.create_ingredient"], "name": "stolen"},
    "recipes.create": {"name": "x", "servings": "1"},
    "recipes.edit": {"name": "stolen", "servings": "1"},
    "budget.set_budget": {"amount": "1"},
    "budget.add_purchase": {"date": "2025-01-01", "amount": "1"},
}
# a valid value for each form field a page has, so that a request gets past validation
VALID_FIELDS = {
    "name": "Risotto",
    "brand": "Acme",
    "category": "grains",
    "package_quantity": "1",
    "package_unit": "kg",
    "package_price": "2.49",
    "servings": "2",
    "instructions": "Stir.",
    "date": "2025-01-03",
    "amount": "3.50",
    "store": "Market",
    "note": "weekly",
    "q": "ric",
    "username": "visitor",
    "email": "visitor@example.com",
    "password": "pw-12345678",
}


@dataclass
class Person:
    """One user: a logged-in browser, an API client with a token, and the records they own."""

    name: str
    browser: FlaskClient
    api: Api
    ids: dict[str, int] = field(default_factory=dict)


def make_person(app: Flask, name: str) -> Person:
    """Register name (browser and API) and give them an ingredient, a recipe and a purchase."""
    api = Api(app.test_client(), name)
    browser = app.test_client()
    token = csrf_token(browser.get("/auth/login").get_data(as_text=True))
    form = {"username": name, "password": "pw-12345678", "csrf_token": token}
    assert browser.post("/auth/login", data=form).status_code == 302
    person = Person(name, browser, api)
    rice = {**RICE, "name": f"{name}-rice", "category": f"{name}-grains"}
    person.ids["ingredients"] = created(api, "/ingredients", rice)
    created(api, "/ingredients", {**MILK, "name": f"{name}-milk"})
    line = {"ingredient_id": person.ids["ingredients"], "quantity": "1", "unit": "kg"}
    recipe = {"name": f"{name}-risotto", "servings": 2, "items": [line]}
    person.ids["recipes"] = created(api, "/recipes", recipe)
    purchase = {"date": f"{MONTH}-05", "amount": "7.77", "store": f"{name}-market"}
    person.ids["purchases"] = created(api, "/purchases", purchase)
    assert api.call("PUT", f"/budgets/{MONTH}", {"amount": "123.45"}).status_code == 200
    return person


def csrf_token(html: str) -> str:
    """The CSRF token in a page's first form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def created(api: Api, path: str, body: dict[str, Any]) -> int:
    """POST body and return the new record's id."""
    resp = api.call("POST", path, body)
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["id"])


def snapshot(person: Person) -> dict[str, Any]:
    """Everything the person's API shows them: it must not change when others act."""
    calls = ("/ingredients", "/recipes", "/purchases", f"/budgets/{MONTH}")
    return {path: person.api.call("GET", path).get_json() for path in calls}


@dataclass(frozen=True)
class Route:
    """One rule and method of the app."""

    rule: Rule
    method: str

    @property
    def endpoint(self) -> str:
        """The view's endpoint name."""
        return self.rule.endpoint

    @property
    def is_api(self) -> bool:
        """Whether the route belongs to the JSON API."""
        return self.rule.rule.startswith("/api/")

    @property
    def kind(self) -> str | None:
        """The kind of record an id in the path names (ingredients, recipes, purchases)."""
        if "item_id" not in self.rule.arguments:
            return None
        return re.findall(r"/(\w+)/<", self.rule.rule)[-1]

    def url(self, ids: dict[str, int]) -> str:
        """The route's URL, ids taken from ids (one person's records)."""
        values: dict[str, Any] = {}
        for name in self.rule.arguments:
            if name == "item_id":
                values[name] = ids[self.kind or ""]
            elif name == "month":
                values[name] = MONTH
            elif name == "filename":
                values[name] = "style.css"
            else:
                raise AssertionError(f"{self.rule.rule}: teach routewalk what {name} is")
        built = self.rule.build(values)
        assert built is not None, self.rule
        return built[1]


def routes(app: Flask) -> Iterator[Route]:
    """Every rule and method the app serves (HEAD and OPTIONS aside)."""
    for rule in app.url_map.iter_rules():
        for method in METHODS:
            if method in (rule.methods or ()):
                yield Route(rule, method)


def protected(app: Flask) -> list[Route]:
    """The routes that need a login or a token."""
    return [route for route in routes(app) if route.endpoint not in PUBLIC]


@dataclass
class Form:
    """A form found on a page: where it posts and the fields it sends."""

    page: str
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class PageParser(HTMLParser):
    """Collect a page's forms (each field with the value a browser would send) and links."""

    def __init__(self, page: str) -> None:
        """Start with nothing found."""
        super().__init__()
        self.page, self.forms, self.links = page, list[Form](), list[str]()
        self._select: str | None = None
        self._option: tuple[str | None, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note forms, their fields and links (buttons send nothing unless clicked)."""
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            method = a.get("method", "get").upper()
            self.forms.append(Form(self.page, a.get("action") or self.page, method))
        elif tag in ("input", "textarea") and self.forms and a.get("name"):
            self.forms[-1].fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select" and self.forms:
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self._option = (dict(attrs).get("value"), "selected" in a)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_data(self, data: str) -> None:
        """An option's text is its value when it has no value attribute."""
        if self._option is not None and self._select and self.forms:
            value, selected = self._option
            chosen = self.forms[-1].fields
            if self._select not in chosen or selected:
                chosen[self._select] = data.strip() if value is None else value
            self._option = None

    def handle_endtag(self, tag: str) -> None:
        """A select ends."""
        if tag == "select":
            self._select = None


def parse_page(page: str, html: str) -> PageParser:
    """The forms and links of one page."""
    parser = PageParser(page)
    parser.feed(html)
    return parser


def crawl(client: FlaskClient, app: Flask, ids: dict[str, int]) -> list[PageParser]:
    """Every HTML page the client can GET (each GET route once), parsed."""
    found = []
    for route in routes(app):
        if route.method == "GET" and not route.is_api:
            with client.get(route.url(ids)) as resp:
                if resp.mimetype == "text/html" and resp.status_code == 200:
                    found.append(parse_page(route.url(ids), resp.get_data(as_text=True)))
    return found
