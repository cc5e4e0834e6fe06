"""MyFoodBudget: ingredients, recipes with cost per serving, and a monthly food budget."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; config overrides the settings read from the environment."""
    from app import api, auth, budget, db, ingredients, observability, ops, recipes, web
    from app.config import load_config

    overrides = dict(config or {})
    env = dict(os.environ)
    if "APP_ENV" in overrides:
        env["APP_ENV"] = overrides.pop("APP_ENV")
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(env))
    app.config.update(overrides)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        minutes=app.config["SESSION_LIFETIME_MINUTES"]
    )
    db.init_app(app)
    observability.init_app(app)
    web.init_app(app)
    for module in (ops, auth, ingredients, recipes, budget, api):
        app.register_blueprint(module.bp)
    return app
