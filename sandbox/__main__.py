"""`python -m sandbox up ...`."""

from .cli import main

raise SystemExit(main())
