"""spec.backup end to end: scheduled and asked-for backups to an SFTP repository on a real
sshd, verified by a real restic; restores with the annotation; a corrupted repository.

The repository's sshd listens on this machine's loopback, which the sandbox's Jobs reach (on
the process runtime they run on this machine; on the docker runtime the namespace's
host-ports annotation opens that port to its pods); pods of a real cluster do not, so these
tests need the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from backup_support import SftpRepository, ask_backup, ask_restore, claim_files, start_sftp
from release_app import seed_users, users_present
from release_support import Api, deploy_good, wait_for
from support.reliability import bad_input

from sandbox.client.objects import HOST_PORTS_ANNOTATION

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
KEEP = {"last": 2, "daily": 0, "weekly": 0, "monthly": 0}


@pytest.fixture(scope="module")
def sftp(release_api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpRepository]:
    """The repository, and the Secret `restic` the Releases name."""
    if not release_api.cluster.is_sandbox:
        pytest.skip("the SFTP server listens on this machine's loopback: sandbox only")
    repository = start_sftp(tmp_path_factory.mktemp("sftp"))
    assert release_api.apply(repository.secret()).returncode == 0
    # on the docker runtime, the Jobs of the namespace reach the host's loopback at that port
    opened = release_api.kubectl("annotate", "--overwrite", "namespace", release_api.ns,
                                 f"{HOST_PORTS_ANNOTATION}={repository.server.port}")  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    yield repository
    release_api.kubectl("annotate", "namespace", release_api.ns, f"{HOST_PORTS_ANNOTATION}-")
    repository.server.stop()


def backup_spec(sftp: SftpRepository, **extra: Any) -> dict[str, Any]:
    """spec.backup with the SFTP repository, a schedule that is not due, keep last 2."""
    spec = {
        "schedule": "0 3 1 1 *",
        "keep": KEEP,
        "offsite": {"repository": sftp.url, "secretRef": {"name": "restic"}},
        "verifySchedule": "",
    }
    return {**spec, **extra}


@pytest.mark.usefixtures("release_operator")
def test_backups_go_off_site_are_pruned_verified_and_restored(
    release_api: Api, sftp: SftpRepository
) -> None:
    api = release_api
    url = deploy_good(api, "bk", backup=backup_spec(sftp))
    first = seed_users(url, 2)
    backups = [ask_backup(api, "bk", str(n))["lastBackup"]["file"] for n in range(3)]
    status = api.status("bk")
    backup = status["backup"]
    assert backup["lastBackup"]["file"] == backups[-1]
    assert backup["lastOffsiteBackup"]["file"] == backups[-1]
    assert backup["lastVerified"]["outcome"] == "Passed", backup["lastVerified"]
    assert backup["disk"]["freeBytes"] > 0
    listed = claim_files(api, "bk-data")
    assert [f for f in listed if "-scheduled-" in f and f.endswith(".db")] == sorted(backups[1:])
    in_repo = sftp.snapshots()
    assert sorted(s["tags"][0] for s in in_repo) == sorted(f"file={f}" for f in backups[1:])
    reasons = {reason for _, reason in api.events("bk")}
    assert {"BackupCompleted", "OffsiteBackupCompleted", "BackupVerified"} <= reasons
    row = api.kubectl("get", "release", "bk").stdout.splitlines()
    assert row[0].split()[4:7] == ["SNAPSHOT", "BACKUP", "VERIFIED"]
    assert row[1].split()[-2] == "Passed"

    later = seed_users(url, 2)  # written after the last backup
    restored = ask_restore(api, "bk", "latest", None)
    assert restored["outcome"] == "Completed", restored
    assert restored["file"] == backups[-1]
    wait_for(lambda: users_present(url, first), 60, "the app serving the restored database")
    assert not any(users_present(url, [user]) for user in later)
    assert restored["keptAside"] in claim_files(api, "bk-data")
    meta = api.release("bk")["metadata"]
    assert "gitops.myfoodbudget.dev/restore" not in (meta.get("annotations") or {})

    named = ask_restore(api, "bk", backups[1], restored["finishedAt"])
    assert (named["outcome"], named["file"]) == ("Completed", backups[1])
    offsite = ask_restore(api, "bk", "offsite:latest", named["finishedAt"])
    assert offsite["outcome"] == "Completed", offsite
    assert offsite["file"] == backups[-1]
    wait_for(lambda: users_present(url, first), 60, "the app serving the off-site copy")
    wait_for(lambda: ("Normal", "RestoreCompleted") in api.events("bk"), 30, "RestoreCompleted")


@pytest.mark.usefixtures("release_operator")
@pytest.mark.parametrize(
    ("ref", "why"),
    [("nope.db", "there is no snapshot named nope.db"), ("../x", "is not a restore reference")],
    ids=["missing-file", "not-a-reference"],
)
def test_a_bad_reference_changes_nothing_and_says_why(release_api: Api, ref: str, why: str) -> None:
    api = release_api
    name = f"badref-{len(ref)}"
    url = deploy_good(api, name)
    users = seed_users(url, 2)
    selector = f"app.kubernetes.io/instance={name},app.kubernetes.io/component=web"
    pods = {
        p.metadata.uid for p in api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    }
    last = ask_restore(api, name, ref, None)
    assert last["outcome"] == "Refused"
    assert why in last["message"]
    assert "nothing was changed" in last["message"]
    status = api.status(name)
    assert (status["phase"], status["reason"]) == ("Ready", "RestoreFailed")
    # Events are recorded just after the status they go with.
    wait_for(lambda: ("Warning", "RestoreFailed") in api.events(name), 30, "RestoreFailed")
    assert users_present(url, users)
    still = {
        p.metadata.uid for p in api.core.list_namespaced_pod(api.ns, label_selector=selector).items
    }
    unchanged = bool(still) and still <= pods and users_present(url, users)
    given = f"the restore annotation {ref!r}"
    bad_input("restore annotation", given, last["message"], unchanged=unchanged, namespace=api.ns)
    assert still, "the app is not running"
    assert still <= pods, "the app was restarted for a restore that was refused"


@pytest.mark.usefixtures("release_operator")
def test_a_corrupted_repository_fails_verification_with_restic_error(
    release_api: Api, sftp: SftpRepository
) -> None:
    api = release_api
    spec = backup_spec(sftp)
    spec["offsite"]["repository"] = sftp.url + "-corrupt"
    deploy_good(api, "corrupt", backup=spec)
    ask_backup(api, "corrupt", "1")
    assert api.status("corrupt")["backup"]["lastVerified"]["outcome"] == "Passed"
    data = Path(str(sftp.path) + "-corrupt") / "data"
    pack = max((p for p in data.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    pack.chmod(0o600)
    body = bytearray(pack.read_bytes())
    body[len(body) // 2] ^= 0xFF
    pack.write_bytes(bytes(body))
    verified = ask_backup(api, "corrupt", "2")["lastVerified"]
    assert verified["outcome"] == "Failed"
    assert "restic" in verified["message"]
    # The Event is recorded just after the status that shows the failure: wait for it.
    warnings = wait_for(
        lambda: [
            m for t, r, m in _events(api, "corrupt") if (t, r) == ("Warning", "BackupVerifyFailed")
        ],
        30,
        "the BackupVerifyFailed Warning",
    )
    assert "restic" in warnings[-1]


@pytest.mark.usefixtures("release_operator")
def test_a_one_minute_schedule_backs_up_on_its_own(release_api: Api, sftp: SftpRepository) -> None:
    api = release_api
    spec = backup_spec(sftp, schedule="* * * * *")
    spec["offsite"]["repository"] = sftp.url + "-minute"
    deploy_good(api, "minute", backup=spec)
    status = api.status("minute")
    assert status["backup"]["nextBackup"]
    backup = wait_for(
        lambda: (api.status("minute").get("backup") or {}).get("lastBackup"),
        150,
        "a scheduled backup",
    )
    assert "-scheduled-" in backup["file"]
    jobs = [j for j in api.jobs("minute") if "-backup-" in j]
    assert jobs
    assert all(j.startswith("minute-backup-2") for j in jobs), jobs


def _events(api: Api, name: str) -> list[tuple[str, str, str]]:
    """(type, reason, message) of the Release's Events."""
    selector = f"involvedObject.name={name},involvedObject.kind=Release"
    items = api.core.list_namespaced_event(api.ns, field_selector=selector).items
    return [(e.type, e.reason, e.message) for e in items]
