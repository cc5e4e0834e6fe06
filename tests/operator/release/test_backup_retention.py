"""The claim's grandfather-father-son rule gives restic's own answer on the same times."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dbhelpers import make_db
from gitops import retention, snapshot
from gitops.retention import Keep

START = datetime(2025, 10, 20, 22, 30, tzinfo=UTC)
# Irregular times over five months: several a day, days skipped, around midnight in Paris.
TIMES = [START + timedelta(hours=h) for h in (0, 1, 2, 20, 26, 49, 50, 75, 170, 171, 340)]
TIMES += [START + timedelta(days=d, hours=d % 5) for d in range(20, 150, 3)]
RULES = [Keep(3, 0, 0, 0), Keep(1, 7, 0, 0), Keep(2, 5, 4, 3), Keep(0, 0, 3, 2), Keep(7, 7, 4, 6)]


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A real restic repository holding one snapshot per time, stamped in Paris time."""
    folder = tmp_path_factory.mktemp("gfs")
    env = {**os.environ, "RESTIC_PASSWORD": "pw", "RESTIC_REPOSITORY": str(folder / "repo")}
    env["TZ"] = "Europe/Paris"
    subprocess.run(["restic", "init", "--no-cache"], env=env, check=True, capture_output=True)
    data = folder / "data"
    data.write_bytes(b"x")
    for moment in TIMES:
        local = moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M:%S")
        args = ["restic", "backup", "--no-cache", "-q", "--host", "h", "--time", local]
        with data.open("rb") as stdin:
            args += ["--stdin", "--stdin-filename", "d.db"]
            subprocess.run(args, env=env, stdin=stdin, check=True, capture_output=True)
    return env


def _restic_kept(env: dict[str, str], keep: Keep) -> set[datetime]:
    """The times `restic forget --dry-run` keeps under the rule."""
    args = ["restic", "forget", "--no-cache", "--dry-run", "--json", *keep.restic_flags()]
    done = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    kept = [s["time"] for group in json.loads(done.stdout) for s in group["keep"]]
    return {datetime.fromisoformat(t).astimezone(UTC) for t in kept}


@pytest.mark.slow
@pytest.mark.parametrize("keep", RULES, ids=[k.to_arg() for k in RULES])
def test_the_rule_keeps_what_restic_keeps(repository: dict[str, str], keep: Keep) -> None:
    kept, removed = retention.select(TIMES, lambda t: t, keep, ZoneInfo("Europe/Paris"))
    assert set(kept) == _restic_kept(repository, keep)
    assert set(kept) | set(removed) == set(TIMES)
    assert kept == sorted(kept, reverse=True)


def test_days_are_the_time_zones() -> None:
    late, early = datetime(2026, 1, 1, 23, 30, tzinfo=UTC), datetime(2026, 1, 1, 22, 30, tzinfo=UTC)
    daily = Keep(0, 5, 0, 0)
    assert retention.select([late, early], lambda t: t, daily, UTC)[0] == [late]
    paris = retention.select([late, early], lambda t: t, daily, ZoneInfo("Europe/Paris"))
    assert paris[0] == [late, early]  # 00:30 on 2 January and 23:30 on 1 January in Paris


def test_a_rule_of_zeros_keeps_everything_as_restic_does() -> None:
    assert retention.select(TIMES, lambda t: t, Keep(0, 0, 0, 0), UTC)[1] == []
    assert Keep.parse("last=2,daily=0,weekly=1,monthly=0") == Keep(2, 0, 1, 0)
    with pytest.raises(ValueError, match="last=N"):
        Keep.parse("hourly=3")


def test_scheduled_snapshots_on_the_claim_are_pruned_by_the_rule(tmp_path: Path) -> None:
    """Real files: one scheduled snapshot a day for 20 days; pre-deploy ones are not touched."""
    make_db(tmp_path / "app.db", rows=10)
    base = ["--database", str(tmp_path / "app.db"), "--directory", str(tmp_path / "s")]
    base += ["--release", "mfb", "--image", "reg/app:v1"]
    predeploy = snapshot.take(snapshot.parse_args([*base, "--keep", "5"]), START)["file"]
    rule = ["--kind", "scheduled", "--keep-rule", "last=2,daily=4,weekly=0,monthly=0"]
    names = []
    for day in range(20):
        args = snapshot.parse_args([*base, *rule])
        names.append(snapshot.take(args, START + timedelta(days=day, hours=1))["file"])
    left = {p.name for p in (tmp_path / "s").glob("*.db")}
    assert left == {predeploy, *names[-4:]}  # the last 2, within the newest 4 days
    assert all("-scheduled-" in name for name in names)
