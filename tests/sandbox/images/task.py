"""A batch task for sandbox tests: append to a file, read a file, write a termination message."""

import argparse
import pathlib
import sys


def main() -> int:
    """Do what the flags say, then exit with --exit."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--append", nargs=2, metavar=("PATH", "TEXT"))
    parser.add_argument("--read", metavar="PATH")
    parser.add_argument("--message-file", help="pass /dev/termination-log: the kubelet maps it")
    parser.add_argument("--message", default="")
    parser.add_argument("--exit", type=int, default=0)
    args = parser.parse_args()
    message = args.message
    if args.append:
        path = pathlib.Path(args.append[0])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as out:
            out.write(args.append[1] + "\n")
    if args.read:
        message += pathlib.Path(args.read).read_text()
    print(f"task done: {message!r}", flush=True)
    if message and args.message_file:
        pathlib.Path(args.message_file).write_text(message)
    return args.exit


if __name__ == "__main__":
    sys.exit(main())
