"""`python -m sandbox up ...`."""

from sandbox.cli import main

raise SystemExit(main())
