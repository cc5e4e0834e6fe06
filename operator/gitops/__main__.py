"""`python -m gitops [--namespace NS] [--verbose]`: run the operator against the current cluster."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys

import kopf

from gitops.settings import Settings, SettingsError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: the namespace to watch and the log verbosity."""
    parser = argparse.ArgumentParser(
        prog="python -m gitops",
        description="Run the MyFoodBudget GitOps operator (Release and GitSync controllers).",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        help="watch only this namespace (default: WATCH_NAMESPACE, else the whole cluster)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Validate the settings, then run kopf standalone with JSON logs until stopped."""
    args = parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as error:
        for problem in error.problems:
            print(f"gitops: {problem}", file=sys.stderr)
        print("gitops: fix the environment variables above and start again", file=sys.stderr)
        return 2
    if args.namespace:
        settings = dataclasses.replace(settings, watch_namespace=args.namespace)
    kopf.configure(verbose=args.verbose, log_format=kopf.LogFormat.JSON)
    if not args.verbose:  # one line per handler call is noise; the controllers log each step
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    import gitops.handlers  # noqa: F401 - registers the handlers once settings are valid

    namespace = settings.watch_namespace
    kopf.run(
        standalone=True,
        clusterwide=namespace is None,
        namespaces=[namespace] if namespace else [],
        memo=kopf.Memo(settings=settings),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
