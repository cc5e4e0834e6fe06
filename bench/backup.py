"""Off-site backups with restic beside plain copies: time per backup and repository growth.

30 daily backups of a 20 MB SQLite database of which 1 % changes every day, each one a
scheduled snapshot (`python -m gitops.backup scheduled`'s copy: backup API, integrity_check,
sha256) sent to a local restic repository (`gitops.offsite.send`: encrypted, deduplicated,
compressed), beside a plain copy of the same snapshot file into a folder. Two kinds of change:
- appended: the day's new rows (1 % of the database) at the end, as purchases accumulate;
- scattered: 1 % of the rows rewritten in place at random, the hard case for deduplication
  (SQLite pages are 4 KiB, so 1 % of the rows touches far more than 1 % of the pages).
Printed: the mean seconds of a restic backup (what a Job's send runs: open the repository, look
for the file, back it up; restic derives its key from the password at each start) and of a
plain copy, and the repository's size
after the last day beside the folder of plain copies (the dedup ratio) and beside one copy.

    python bench/backup.py            # 30 days of a 20 MB database
    python bench/backup.py --quick    # 3 days of a 2 MB database (make test runs this)

Numbers are printed, never asserted; the last line sums them up.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitops import offsite, snapshot
from gitops.restic import Restic

ROW_BYTES = 200
MIB = 1 << 20


def make_database(path: Path, megabytes: int, rng: random.Random) -> int:
    """A WAL database of about `megabytes` MB of text rows; return its row count."""
    rows = megabytes * MIB // ROW_BYTES
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
    conn.executemany(
        "INSERT INTO item (name, note) VALUES (?, ?)", (_row(rng) for _ in range(rows))
    )
    conn.commit()
    conn.close()
    return rows


def _row(rng: random.Random) -> tuple[str, str]:
    """A row of about ROW_BYTES: a name and a note of words and numbers."""
    words = " ".join(rng.choice(("rice", "beans", "oil", "salt", "milk", "eggs")) for _ in range(8))
    return f"item {rng.randrange(10**9)}", f"{words} {rng.randbytes(50).hex()}"


def change(path: Path, rows: int, kind: str, rng: random.Random) -> None:
    """One day's 1 %: rows appended, or rows rewritten in place at random."""
    count = max(rows // 100, 1)
    conn = sqlite3.connect(path)
    if kind == "appended":
        conn.executemany(
            "INSERT INTO item (name, note) VALUES (?, ?)", (_row(rng) for _ in range(count))
        )
    else:
        ids = rng.sample(range(1, rows + 1), count)
        conn.executemany("UPDATE item SET note = ? WHERE id = ?", ((_row(rng)[1], i) for i in ids))
    conn.commit()
    conn.close()


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under a folder."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(kind: str, days: int, megabytes: int, work: Path) -> dict[str, float]:
    """The days of one kind of change; the figures."""
    rng = random.Random(42)
    work.mkdir()
    db, snaps, plain = work / "app.db", work / "snapshots", work / "plain"
    plain.mkdir()
    rows = make_database(db, megabytes, rng)
    restic = Restic(str(work / "repository"), {"RESTIC_PASSWORD": "bench"}, time_zone="UTC")
    restic_times, copy_times = [], []
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    for day in range(days):
        if day:
            change(db, rows, kind, rng)
        args = ["--database", str(db), "--directory", str(snaps), "--release", "bench"]
        args += ["--image", "reg/app:1", "--kind", "scheduled", "--keep-rule", "last=1000"]
        taken = snapshot.take(snapshot.parse_args(args), start + timedelta(days=day))
        file = snaps / taken["file"]
        began = time.perf_counter()
        offsite.send(restic, file, "bench", [])
        restic_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        shutil.copyfile(file, plain / file.name)
        os.sync()
        copy_times.append(time.perf_counter() - began)
        file.unlink()  # the claim keeps what its rule says; here only the repository counts
    return {
        "size": db.stat().st_size,
        "restic": statistics.mean(restic_times),
        "copy": statistics.mean(copy_times),
        "repository": folder_bytes(work / "repository"),
        "plain": folder_bytes(plain),
    }


def report(kind: str, days: int, got: dict[str, float]) -> str:
    """Print one kind's figures; return its summary."""
    mb = got["size"] / MIB
    dedup = got["plain"] / got["repository"]
    print(f"{kind}: {days} daily backups of a {mb:.1f} MiB database, 1 % changed a day")
    slower = got["restic"] / got["copy"]
    print(f"  backup time: restic {got['restic']:.2f} s, plain copy {got['copy']:.3f} s "
          f"({slower:.0f}x slower: it encrypts, compresses, deduplicates)")  # fmt: skip
    print(f"  after {days} days: repository {got['repository'] / MIB:.1f} MiB, plain copies "
          f"{got['plain'] / MIB:.1f} MiB: {dedup:.1f}x smaller (dedup ratio); "
          f"{got['repository'] / got['size']:.2f}x one copy")  # fmt: skip
    return f"{kind} {dedup:.1f}x smaller"


def main(argv: list[str] | None = None) -> int:
    """Both kinds of change; one summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 days of a 2 MB database")
    args = parser.parse_args(argv)
    days, megabytes = (3, 2) if args.quick else (30, 20)
    if shutil.which("restic") is None:
        print("restic is not installed (Debian: apt-get install restic)", file=sys.stderr)
        return 1
    summary = []
    with tempfile.TemporaryDirectory(prefix="bench-backup-") as folder:
        for kind in ("appended", "scattered"):
            summary.append(report(kind, days, run(kind, days, megabytes, Path(folder) / kind)))
    print(f"summary: restic repository vs plain copies over {days} days: " + ", ".join(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
