"""The WSGI entry point: `gunicorn app.wsgi:app` (refuses to start with a one-line reason)."""

import sys

import click

from app import create_app

try:
    app = create_app()
except click.ClickException as exc:
    print(f"myfoodbudget: {exc.format_message()}", file=sys.stderr, flush=True)
    raise SystemExit(1) from None
