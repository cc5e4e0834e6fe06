"""JSON API under /api/v1, authenticated with Bearer tokens: the blueprint and its routes."""

from app.api import accounts, budget, openapi, resources
from app.api.blueprint import bp

__all__ = ["accounts", "bp", "budget", "openapi", "resources"]
