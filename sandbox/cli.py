"""Command line: `python -m sandbox up --kubeconfig PATH [--port N] [--data DIR] ...`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from sandbox import cluster
from sandbox.apiserver.faults import parse_codes
from sandbox.kubelet.docker.runtime import PAUSE_IMAGES
from sandbox.kubelet.process.catalog import CatalogError, load_catalog


def _add_fault_flags(up: argparse.ArgumentParser) -> None:
    """--fault-rate, --fault-codes, --drop-watch-after and --latency-ms."""
    up.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="fraction of API requests answered with an injected error (0..1)",
    )
    up.add_argument(
        "--fault-codes",
        default="500,503,409,429",
        help="comma-separated codes injected errors use (500,503,409,429)",
    )
    up.add_argument(
        "--drop-watch-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="end every watch stream after this many seconds",
    )
    up.add_argument("--latency-ms", type=int, default=0, help="delay added to every API request")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m sandbox`."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the sandbox cluster in the foreground")
    up.add_argument(
        "--kubeconfig",
        type=Path,
        required=True,
        help="where to write the kubeconfig once the API server answers",
    )
    up.add_argument("--port", type=int, default=0, help="API port on 127.0.0.1 (default: any free)")
    up.add_argument(
        "--data", type=Path, help="data folder (volumes, logs); default: a temporary one"
    )
    up.add_argument(
        "--runtime",
        choices=("process", "docker"),
        default="process",
        help="run containers as local processes (default) or in the container engine "
        "DOCKER_HOST names, from the real images",
    )
    up.add_argument(
        "--images", type=Path, help="image catalog YAML of the process runtime (unused by docker)"
    )
    up.add_argument(
        "--pause-image",
        default="",
        help="docker: the image holding each pod's network, any image with python3 (default: "
        f"the first the engine has of {', '.join(PAUSE_IMAGES)})",
    )
    _add_fault_flags(up)
    up.add_argument(
        "--watch-history",
        type=int,
        default=100_000,
        help="events kept for watch resumption; older versions answer 410",
    )
    up.add_argument(
        "--audit-log",
        type=Path,
        help="append one JSON line (audit.k8s.io/v1 Event) per allowed write to this file",
    )
    up.add_argument("--log-level", default="WARNING", help="Python logging level")
    return parser


def check_images(path: Path) -> None:
    """Fail with a clear message when the image catalog cannot be used."""
    try:
        path.read_bytes()
    except OSError as error:
        raise SystemExit(
            f"--images {path}: cannot read the image catalog: {error.strerror}"
        ) from None
    try:
        load_catalog(path)
    except CatalogError as error:
        raise SystemExit(f"--images {path}: {error} (see docs/sandbox.md, Image catalog)") from None


def validate(args: argparse.Namespace) -> None:
    """Check the flags before starting anything."""
    if not 0 <= args.fault_rate <= 1:
        raise SystemExit("--fault-rate must be between 0 and 1")
    try:
        args.fault_codes = parse_codes(args.fault_codes)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    if not 0 <= args.port < 65536:
        raise SystemExit("--port must be between 0 and 65535")
    if args.images is not None:
        args.images = args.images.resolve()
        check_images(args.images)


def config_of(args: argparse.Namespace, data: Path) -> cluster.Config:
    """The cluster's configuration from checked flags."""
    faults = {
        "rate": args.fault_rate,
        "codes": args.fault_codes,
        "latency_ms": args.latency_ms,
        "drop_watch_after": args.drop_watch_after,
    }
    return cluster.Config(
        kubeconfig=args.kubeconfig,
        data=data,
        port=args.port,
        images=args.images,
        runtime=args.runtime,
        pause_image=args.pause_image,
        audit_log=args.audit_log.resolve() if args.audit_log else None,
        faults=faults,
        watch_history=args.watch_history,
    )


def main(argv: list[str] | None = None) -> int:
    """Parse the flags and run the sandbox until SIGINT or SIGTERM."""
    args = build_parser().parse_args(argv)
    validate(args)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    own_data = args.data is None
    data = Path(tempfile.mkdtemp(prefix="sandbox-data-")) if own_data else args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    try:
        return asyncio.run(cluster.run(config_of(args, data)))
    except RuntimeError as error:  # the runtime asked for cannot be used: nothing was started
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(
                f"sandbox: port {args.port} is already in use on 127.0.0.1; choose another "
                "with --port, or omit --port to use any free port",
                file=sys.stderr,
            )
            return 2
        raise
    finally:
        if own_data:
            with contextlib.suppress(OSError):
                shutil.rmtree(data)
