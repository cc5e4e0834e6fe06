"""python -m gitops.backup: the Jobs of spec.backup, each reporting a JSON result.

  scheduled  a scheduled snapshot (the online backup API, integrity-checked, as the pre-deploy
             one), the claim's scheduled snapshots kept by the grandfather-father-son rule,
             then, with a repository, the snapshot sent off-site and the copy verified
  send       an existing snapshot (a pre-deploy one) sent off-site, then the copy verified
  verify     the newest off-site copy restored and checked (without a repository: the newest
             snapshot on the claim checked against its sidecar)
  fetch      a restore REF resolved to a verified snapshot on the claim (`offsite:` ones are
             restored from the repository first); one from a newer schema than the database in
             use is refused, naming the image to deploy first

The repository's settings come from the Secret mounted at --secret-dir (gitops.restic).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitops import dbfiles, offsite, restore, retention, snapshot
from gitops.dbfiles import SnapshotError
from gitops.diskspace import ensure_room, usage
from gitops.restic import Restic

FILE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def _restic(args: argparse.Namespace) -> Restic:
    """The repository of --repository, with the Secret at --secret-dir."""
    folder = Path(args.secret_dir)
    return Restic.from_secret(args.repository, folder, args.secret_name, args.time_zone)


def _flags(args: argparse.Namespace) -> list[str]:
    """restic forget's flags for --keep-rule."""
    return retention.Keep.parse(args.keep_rule).restic_flags()


def _attempt(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A part of a Job that may fail without failing the Job: ok and fields, or the error."""
    try:
        return {"ok": True, **work()}
    except (SnapshotError, OSError) as error:
        return {"ok": False, "error": dbfiles.describe(error)}


def send_and_verify(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """Send a snapshot off-site and verify the newest copy; raise when sending fails."""
    with _restic(args) as restic:
        sent = offsite.send(restic, path, args.release, _flags(args))
        checked = _attempt(lambda: offsite.verify(restic, args.release, Path(args.scratch)))
    return {"offsite": sent, "verify": checked}


def scheduled(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """Take a scheduled snapshot; send it off-site and verify when there is a repository."""
    options = {"kind": snapshot.SCHEDULED, "keep": 1, "protect": [], "method": "backup"}
    taken = snapshot.take(argparse.Namespace(**{**vars(args), **options}), now)
    if not args.repository:
        return taken
    path = Path(args.directory) / taken["file"]
    parts = _attempt(lambda: send_and_verify(args, path))
    if not parts.pop("ok"):
        return {**taken, "offsite": {"ok": False, "error": parts["error"]}}
    return {**taken, "offsite": {"ok": True, **parts["offsite"]}, "verify": parts["verify"]}


def send(args: argparse.Namespace, _now: datetime) -> dict[str, Any]:
    """Send the snapshot --file off-site (a pre-deploy one) and verify the newest copy."""
    path = _local_file(Path(args.directory), args.file)
    parts = send_and_verify(args, path)
    sent = {"ok": True, **parts["offsite"]}
    return {"file": path.name, "offsite": sent, "verify": parts["verify"]}


def verify(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """Verify the newest off-site copy, or without a repository the newest snapshot here."""
    if args.repository:
        with _restic(args) as restic:
            checked = offsite.verify(restic, args.release, Path(args.scratch))
        return {"verify": {"ok": True, **checked}}
    found = snapshot.good_snapshots(Path(args.directory), args.release)
    if not found:
        raise SnapshotError(f"there is no snapshot of {args.release} on the claim to verify yet")
    sidecar = restore.verify_snapshot(found[0][1])
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"file": found[0][1].name, "time": stamp, "schemaVersion": sidecar["schemaVersion"]}
    return {"verify": {"ok": True, **fields}}


def _local_file(directory: Path, name: str) -> Path:
    """A snapshot of the folder named by a plain file name."""
    if not name.endswith(".db") or not set(name) <= FILE_NAME_CHARS or name.startswith("."):
        raise SnapshotError(
            f"{name!r} is not a snapshot file name: expected a name like "
            "myfoodbudget-20260101T030000Z-1.2.0.db from the claim's snapshots folder"
        )
    path = directory / name
    if not path.is_file():
        listing = ", ".join(p.name for _, p in _all_snapshots(directory)[:5]) or "none"
        raise SnapshotError(f"there is no snapshot named {name} on the claim (newest: {listing})")
    return path


def _all_snapshots(directory: Path) -> list[tuple[str, Path]]:
    """Every snapshot with a readable sidecar, any release, newest first."""
    found = []
    for path in directory.glob("*.db") if directory.is_dir() else []:
        try:
            found.append((str(dbfiles.read_sidecar(path).get("takenAt", "")), path))
        except SnapshotError:
            continue  # no sidecar: not one we can restore
    return sorted(found, reverse=True)


def _from_offsite(args: argparse.Namespace, ref: str) -> Path:
    """Restore a restic snapshot into the claim's folder, with a sidecar from its tags."""
    directory = Path(args.directory)
    with _restic(args) as restic:
        chosen = offsite.newest(restic, args.release, ref)
        name = chosen.tags.get("file") or f"{args.release}-offsite-{chosen.short_id}.db"
        target = directory / name
        if target.is_file() and dbfiles.sha256_file(target) == chosen.tags.get("sha256"):
            return target  # already here, the same bytes
        if target.exists():
            target = directory / f"offsite-{chosen.short_id}-{name}"
        size = chosen.tags.get("size", "0")
        ensure_room(directory, int(size) if size.isdigit() else 0, f"the copy of {chosen.short_id}")
        partial = directory / f".{target.name}.partial"
        try:
            got = offsite.fetch(restic, chosen, args.release, partial)
            record = _sidecar_from_tags(chosen.tags, target.name, got, args.release)
            dbfiles.write_json(target.with_suffix(".json"), record)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _sidecar_from_tags(
    tags: Mapping[str, str], name: str, got: dict[str, Any], release: str
) -> dict[str, Any]:
    """The sidecar of a snapshot restored from the repository."""
    schema = tags.get("schema", "")
    return {
        "file": name,
        "takenAt": tags.get("taken") or "",
        "sizeBytes": got["sizeBytes"],
        "sha256": got["sha256"],
        "schemaVersion": int(schema) if schema.isdigit() else None,
        "image": tags.get("image") or "",
        "release": tags.get("release") or release,
        "kind": "offsite",
    }


def fetch(args: argparse.Namespace, _now: datetime) -> dict[str, Any]:
    """Resolve --ref to a verified snapshot on the claim; refuse a newer schema."""
    directory, ref = Path(args.directory), args.ref
    if ref.startswith("offsite:"):
        if not args.repository:
            raise SnapshotError(f"{ref}: spec.backup.offsite is not set, there is no repository")
        path = _from_offsite(args, ref.removeprefix("offsite:") or "latest")
    elif ref == "latest":
        found = snapshot.good_snapshots(directory, args.release)
        if not found:
            raise SnapshotError(f"there is no snapshot of {args.release} on the claim")
        path = found[0][1]
    else:
        path = _local_file(directory, ref)
    sidecar = restore.verify_snapshot(path)
    wanted, current = sidecar.get("schemaVersion"), restore.current_schema(Path(args.database))
    if isinstance(wanted, int) and current is not None and wanted > current:
        image = sidecar.get("image") or "the image that wrote it"
        raise SnapshotError(
            f"{path.name} has schema version {wanted} (written by {image}), newer than schema "
            f"{current} of the database the serving image uses: deploy {image} (or newer) "
            "first, then restore"
        )
    fields = {key: sidecar.get(key) for key in ("sha256", "schemaVersion", "image", "takenAt")}
    return {"file": path.name, **fields, "currentSchema": current}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(prog="python -m gitops.backup", description=__doc__)
    parser.add_argument("command", choices=("scheduled", "send", "verify", "fetch"))
    parser.add_argument("--directory", required=True, help="the claim's snapshots folder")
    parser.add_argument("--release", required=True, help="Release name (file prefix, restic host)")
    parser.add_argument("--database", help="the live SQLite file (scheduled, fetch)")
    parser.add_argument("--image", default="", help="the serving image (scheduled)")
    parser.add_argument("--file", default="", help="the snapshot to send (send)")
    parser.add_argument("--ref", default="latest", help="what to restore (fetch)")
    parser.add_argument("--keep-rule", default=retention.Keep().to_arg())
    parser.add_argument("--time-zone", default="UTC")
    parser.add_argument("--repository", default="", help="the restic repository (none: local)")
    parser.add_argument("--secret-dir", default="", help="where the restic Secret is mounted")
    parser.add_argument("--secret-name", default="restic", help="its name, for messages")
    parser.add_argument("--scratch", default=tempfile.gettempdir(), help="room for a check's copy")
    parser.add_argument("--termination-log", default=dbfiles.TERMINATION_LOG)
    args = parser.parse_args(argv)
    if args.command in ("scheduled", "fetch") and not args.database:
        parser.error(f"{args.command} needs --database")
    return args


COMMANDS: dict[str, Callable[[argparse.Namespace, datetime], dict[str, Any]]] = {
    "scheduled": scheduled,
    "send": send,
    "verify": verify,
    "fetch": fetch,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: exit 0 with an ok result, 1 with a failed result."""
    args = parse_args(argv)
    base = {"command": args.command, "release": args.release}
    base["disk"] = usage(Path(args.directory)).to_result()

    def work() -> dict[str, Any]:
        result = COMMANDS[args.command](args, datetime.now(UTC))
        return {**result, "disk": usage(Path(args.directory)).to_result()}

    return dbfiles.run(work, base, args.termination_log)


if __name__ == "__main__":
    raise SystemExit(main())
