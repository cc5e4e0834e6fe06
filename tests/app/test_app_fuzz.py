"""Property-based fuzzing of every JSON API operation against the app's OpenAPI description.

schemathesis reads /api/v1/openapi.json and generates requests for each operation, valid
ones and ones that break the description (wrong types, missing or unknown fields, odd
paths), some aimed at records that exist. They go to the app in process (WSGI), logged in
as a real user. No answer may be a server error, and every answer must be one the
description lists, in the documented shape.

How much: FUZZ_EXAMPLES examples per operation (default 30). The run's figures (requests
sent, server errors seen, per operation) are printed at the end of the pytest run and, when
FUZZ_REPORT names a file, written there as JSON; the totals go to docs/reliability.md too.
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from apphelpers import FUZZ_FIGURES, RICE
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import max_response_time
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support.reliability import record

from app import create_app
from app.api.openapi import OPERATIONS, PREFIX
from app.db import get_db
from app.models import budget, ingredients, recipes, users

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
LABELS = [f"{method.upper()} {PREFIX}{path}" for path, method in OPERATIONS]
PASSWORD = "pw-12345678"
# checks left out: how long an answer takes (timings never decide a test here), and "valid data
# is accepted": a well-shaped body can still be refused for what it means (a recipe line naming
# no ingredient of yours, a unit change a recipe cannot follow), with a documented 422
EXCLUDED_CHECKS = [max_response_time, positive_data_acceptance]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Tally:
    """The answers the app gave while fuzzing, by operation and status."""

    operation: str = ""
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def count(self, status: int) -> None:
        """Count one answer for the operation being fuzzed (none before the first)."""
        if self.operation:
            self.statuses[self.operation][status] += 1

    def server_errors(self, label: str) -> int:
        """How many answers to the operation were server errors."""
        return sum(n for status, n in self.statuses[label].items() if status >= 500)

    def summary(self) -> dict[str, Any]:
        """The figures, as written to FUZZ_REPORT."""
        by_operation = {
            label: {
                "requests": sum(seen.values()),
                "server_errors": self.server_errors(label),
                "statuses": {str(code): n for code, n in sorted(seen.items())},
            }
            for label, seen in sorted(self.statuses.items())
        }
        return {
            "operations": len(by_operation),
            "examples_per_operation": EXAMPLES,
            "requests": sum(op["requests"] for op in by_operation.values()),
            "server_errors": sum(op["server_errors"] for op in by_operation.values()),
            "by_operation": by_operation,
        }


def counting(wsgi: Any, tally: Tally) -> WsgiApp:
    """Wrap a WSGI app so that every answer it gives is counted."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Pass the request on, counting the status it is answered with."""

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            """Count, then start the response."""
            tally.count(int(status[:3]))
            return start_response(status, headers, exc_info)

        return wsgi(environ, start)

    return app


class World:
    """The fuzzing user's records, kept in existence so that cases can aim at real ones."""

    def __init__(self, app: Flask) -> None:
        """Register the user and get a token (through the models, so nothing is counted)."""
        self.app = app
        with app.app_context():
            clean = {"username": "fuzzer", "email": "fuzzer@example.com", "password": PASSWORD}
            self.user_id = users.create_user(get_db(), clean, app.config["PASSWORD_HASH_METHOD"])
        self.ids: dict[str, int] = {}

    def token(self) -> str:
        """A fresh API token of the fuzzing user."""
        with self.app.app_context():
            return users.create_token(get_db(), self.user_id)

    def ensure_records(self) -> None:
        """Make sure an ingredient, a recipe using it and a purchase exist (cases delete them)."""
        with self.app.app_context():
            db, uid = get_db(), self.user_id
            owned = {
                table: {
                    r[0] for r in db.execute(f"SELECT id FROM {table} WHERE user_id = ?", (uid,))
                }
                for table in ("ingredients", "recipes", "purchases")
            }
            if self.ids.get("ingredients") not in owned["ingredients"]:
                clean = {**RICE, "package_quantity": 1, "package_price": 249}
                self.ids["ingredients"] = ingredients.create_ingredient(db, uid, clean)
            if self.ids.get("recipes") not in owned["recipes"]:
                line = {"ingredient_id": self.ids["ingredients"], "quantity": 1, "unit": "kg"}
                clean = {"name": "Rice", "servings": 2, "items": [line]}
                self.ids["recipes"] = recipes.create_recipe(db, uid, clean)
            if self.ids.get("purchases") not in owned["purchases"]:
                clean = {"date": "2025-01-05", "amount": 500, "category": "grains"}
                self.ids["purchases"] = budget.create_purchase(db, uid, clean)

    def path_parameters(self, path: str) -> dict[str, Any]:
        """Path parameters naming one of the user's records, for paths that take an id."""
        kind = path.split("/")[3]
        return {"item_id": self.ids[kind]} if "{item_id}" in path and kind in self.ids else {}


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """The module's figures: printed at the end of the run, written to FUZZ_REPORT if set."""
    found = Tally()
    yield found
    figures = found.summary()
    request.config.stash[FUZZ_FIGURES] = figures
    record("fuzz", **{k: figures[k] for k in ("requests", "operations", "server_errors")})
    report = os.environ.get("FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(found.summary(), indent=2) + "\n")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, tally: Tally) -> tuple[Any, World]:
    """The app on a migrated SQLite file, counting its answers, and the schema it serves."""
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"APP_ENV": "testing", "DATABASE": str(folder / "fuzz.db")})
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", counting(app, tally))
    return schema, World(app)


def credentials(label: str, world: World) -> dict[str, str]:
    """The Authorization header the operation needs (a fresh token for the one that revokes)."""
    if label == f"POST {PREFIX}/tokens":
        return {
            "Authorization": "Basic " + base64.b64encode(f"fuzzer:{PASSWORD}".encode()).decode()
        }
    if label in (f"GET {PREFIX}/openapi.json", f"POST {PREFIX}/users"):
        return {}
    return {"Authorization": f"Bearer {world.token()}"}


@pytest.mark.parametrize("label", LABELS)
def test_no_generated_request_gets_a_server_error_or_an_undocumented_answer(
    label: str, fuzzed: tuple[Any, World], tally: Tally
) -> None:
    schema, world = fuzzed
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    tally.operation = label

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        """Draw one case (valid or not, maybe aimed at a real record), send it, check it."""
        world.ensure_records()
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
        aimed = data.draw(st.booleans())
        fixed = world.path_parameters(operation.path) if aimed else {}
        # the credentials are given to the generator, so that it does not mutate them as data
        auth = credentials(label, world) or None
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed, headers=auth)
        case = data.draw(strategy)
        case.validate_response(case.call(), excluded_checks=EXCLUDED_CHECKS)

    fuzz()
    assert tally.server_errors(label) == 0
