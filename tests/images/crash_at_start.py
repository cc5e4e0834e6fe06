"""A purpose-built bad image: the process exits with an error as soon as it starts."""

import sys

if __name__ == "__main__":
    print("crash_at_start: refusing to start (purpose-built bad image)", file=sys.stderr)
    sys.exit(3)
