"""`python -m gitops.backup` with a real restic: a local-path repository, SFTP on a real sshd,
S3 on moto's server on loopback; verification of a corrupted repository; a full disk."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dbhelpers import Outcome, make_db, row_names, run_module, unshare_works
from gitops.dbfiles import sha256_file
from support.canary import CANARIES
from support.reliability import bad_input
from support.ssh import GitSshServer, SshUnavailable, make_key

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
MOTO = ROOT / ".tools" / "moto" / "bin" / "python"
PASSWORD = CANARIES["restic-password"]
KEEP = "last=2,daily=0,weekly=0,monthly=0"


def secret(folder: Path, **keys: str) -> Path:
    """A Secret as the Job sees it: one file per key."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, value in keys.items():
        (folder / key).write_text(value)
    return folder


def backup(tmp_path: Path, command: str, repository: str, *extra: str) -> Outcome:
    """Run a backup Job command on tmp_path/data with the Secret at tmp_path/secret."""
    args = [command, "--directory", str(tmp_path / "data" / "snapshots"), "--release", "mfb"]
    args += ["--database", str(tmp_path / "data" / "app.db"), "--image", "reg/app:v1"]
    args += ["--keep-rule", KEEP, "--scratch", str(tmp_path), *extra]
    if repository:
        args += ["--repository", repository, "--secret-dir", str(tmp_path / "secret")]
    return run_module("gitops.backup", args, tmp_path / f"{command}.log")


def roundtrip(tmp_path: Path, repository: str) -> None:
    """Three backups, two kept everywhere; the newest off-site copy fetched and matching."""
    db = make_db(tmp_path / "data" / "app.db", rows=200, version=3)
    results = [backup(tmp_path, "scheduled", repository) for _ in range(3)]
    for out in results:
        assert out.code == 0, out.result
        assert out.result["offsite"]["ok"] is True, out.result
        assert out.result["verify"]["ok"] is True, out.result
    files = [out.result["file"] for out in results]
    on_claim = sorted(p.name for p in (tmp_path / "data" / "snapshots").glob("*.db"))
    assert on_claim == sorted(files[1:])
    assert results[-1].result["offsite"]["forgotten"] == 1
    assert results[0].result["offsite"]["initialised"] is True
    (tmp_path / "data" / "snapshots" / files[-1]).unlink()  # only the off-site copy is left
    fetched = backup(tmp_path, "fetch", repository, "--ref", "offsite:latest")
    assert fetched.code == 0, fetched.result
    assert fetched.result["file"] == files[-1]
    copy = tmp_path / "data" / "snapshots" / files[-1]
    assert sha256_file(copy) == results[-1].result["sha256"]
    assert row_names(copy) == row_names(db)
    assert PASSWORD not in json.dumps([o.result for o in results]) + "".join(
        o.stderr for o in results
    )


def test_a_local_path_repository(tmp_path: Path) -> None:
    secret(tmp_path / "secret", RESTIC_PASSWORD=PASSWORD)
    roundtrip(tmp_path, str(tmp_path / "repository"))


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[tuple[GitSshServer, str]]:
    """A real sshd with internal-sftp on loopback, and the client's private key."""
    key = make_key(tmp_path / "client", "restic-test")
    try:
        server = GitSshServer(tmp_path / "sshd", key.public, sftp=True)
        server.start()
    except SshUnavailable as error:
        pytest.skip(str(error))
    yield server, key.private
    server.stop()


def test_an_sftp_repository_on_a_real_sshd(tmp_path: Path, sftp: tuple[GitSshServer, str]) -> None:
    server, key = sftp
    hosts = server.known_hosts_line()
    secret(
        tmp_path / "secret",
        RESTIC_PASSWORD=PASSWORD,
        **{"ssh-privatekey": key, "known_hosts": hosts},
    )
    url = f"sftp://{server.user}@127.0.0.1:{server.port}/{tmp_path / 'repository'}"
    roundtrip(tmp_path, url)
    assert (tmp_path / "repository" / "config").is_file()  # on the server's disk


def test_sftp_refuses_a_host_key_it_does_not_know(
    tmp_path: Path, sftp: tuple[GitSshServer, str]
) -> None:
    server, key = sftp
    other = make_key(tmp_path / "other", "not-the-server").public
    wrong = server.known_hosts_line(other)
    secret(
        tmp_path / "secret",
        RESTIC_PASSWORD=PASSWORD,
        **{"ssh-privatekey": key, "known_hosts": wrong},
    )
    make_db(tmp_path / "data" / "app.db")
    url = f"sftp://{server.user}@127.0.0.1:{server.port}/{tmp_path / 'repository'}"
    out = backup(tmp_path, "scheduled", url)
    assert out.code == 0  # the snapshot on the claim is taken; only the off-site part failed
    assert out.result["offsite"]["ok"] is False
    assert "restic" in out.result["offsite"]["error"]
    assert not (tmp_path / "repository").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (installed by make system-deps into .tools/moto)."""
    if not MOTO.exists():
        pytest.skip("moto's S3 server is not installed: run make system-deps")
    port = _free_port()
    log = (tmp_path / "moto.log").open("wb")
    server = subprocess.Popen([str(MOTO), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        from polling import wait_for

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
            return True

        wait_for(up, 30, "moto's S3 server listening")
        yield f"s3:http://127.0.0.1:{port}/backups/mfb"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_an_s3_repository_on_an_s3_compatible_server(tmp_path: Path, s3: str) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "test-key-id", "AWS_SECRET_ACCESS_KEY": "test-secret-key-x"}
    secret(tmp_path / "secret", RESTIC_PASSWORD=PASSWORD, AWS_DEFAULT_REGION="us-east-1", **keys)
    roundtrip(tmp_path, s3)


def test_a_corrupted_pack_fails_verification_with_restic_error(tmp_path: Path) -> None:
    secret(tmp_path / "secret", RESTIC_PASSWORD=PASSWORD)
    make_db(tmp_path / "data" / "app.db", rows=500)
    repository = tmp_path / "repository"
    assert backup(tmp_path, "scheduled", str(repository)).code == 0
    pack = max((p for p in (repository / "data").rglob("*") if p.is_file()), key=os.path.getsize)
    pack.chmod(0o600)
    body = bytearray(pack.read_bytes())
    body[len(body) // 2] ^= 0xFF
    pack.write_bytes(bytes(body))
    out = backup(tmp_path, "verify", str(repository))
    assert out.code == 1
    assert out.result["ok"] is False
    assert re.search(
        r"restic (dump|check) failed \(exit \d+\): .*(ciphertext|pack|hash)", out.result["error"]
    )


@pytest.mark.parametrize(
    ("keys", "said"),
    [({}, "is missing or empty"), ({"AWS_ACCESS_KEY_ID": "k"}, "has no RESTIC_PASSWORD key")],
    ids=["no-secret", "no-password"],
)
def test_a_secret_without_a_password_is_named(
    tmp_path: Path, keys: dict[str, str], said: str
) -> None:
    if keys:
        secret(tmp_path / "secret", **keys)
    make_db(tmp_path / "data" / "app.db")
    out = backup(tmp_path, "verify", str(tmp_path / "repository"))
    given = "no Secret mounted" if not keys else f"a Secret with only {', '.join(keys)}"
    untouched = not (tmp_path / "repository").exists()
    bad_input("restic Secret", given, out.result["error"], unchanged=untouched)
    assert untouched
    assert out.result["ok"] is False
    assert said in out.result["error"]
    assert "spec.backup.offsite.secretRef" in out.result["error"] or "add it" in out.result["error"]


def test_fetch_refuses_a_newer_schema_naming_the_image_to_deploy(tmp_path: Path) -> None:
    make_db(tmp_path / "data" / "app.db", version=7)
    taken = backup(tmp_path, "scheduled", "")
    assert taken.code == 0, taken.result
    conn_path = tmp_path / "data" / "app.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{conn_path}{suffix}").unlink(missing_ok=True)
    make_db(conn_path, version=5)  # an older image serves now
    out = backup(tmp_path, "fetch", "", "--ref", "latest")
    assert out.code == 1
    assert "schema version 7" in out.result["error"]
    assert "deploy reg/app:v1 (or newer) first" in out.result["error"]
    missing = backup(tmp_path, "fetch", "", "--ref", "nope.db")
    assert "there is no snapshot named nope.db" in missing.result["error"]


FULL = """
set -e
mount -t tmpfs -o size=256k tmpfs "$1"
set +e
before=$(sha256sum "$2" | cut -d' ' -f1)
"$3" -m gitops.backup scheduled --directory "$1/snapshots" --release mfb --database "$2" \\
    --image reg/app:v1 --termination-log "$4"
echo "exit=$?"
[ "$before" = "$(sha256sum "$2" | cut -d' ' -f1)" ] && echo "database=untouched"
ls -a "$1/snapshots" 2>/dev/null
"""


@pytest.mark.skipif(not unshare_works(), reason="needs unprivileged user+mount namespaces")
def test_a_full_disk_fails_the_backup_before_copying_with_the_figures(tmp_path: Path) -> None:
    """A real 256 KiB tmpfs as the snapshots folder: refused before the copy, database intact."""
    db = make_db(tmp_path / "data" / "app.db", rows=60000)
    (tmp_path / "full").mkdir()
    log = tmp_path / "full.log"
    command = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", FULL, "sh"]
    command += [str(tmp_path / "full"), str(db), sys.executable, str(log)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert "exit=1" in proc.stdout
    assert "database=untouched" in proc.stdout
    assert ".partial" not in proc.stdout
    result: dict[str, Any] = json.loads(log.read_text())
    assert re.search(r"it needs [\d.]+ MiB .* but [\d.]+ KiB is free", result["error"]), result
    assert result["disk"]["sizeBytes"] == 256 * 1024


def test_a_pre_deploy_snapshot_is_sent_once_and_verified(tmp_path: Path, snapshot_cmd) -> None:
    secret(tmp_path / "secret", RESTIC_PASSWORD=PASSWORD)
    make_db(tmp_path / "data" / "app.db", rows=100)
    taken = snapshot_cmd()  # what a release's snapshot Job leaves on the claim
    assert taken.code == 0, taken.result
    repository = str(tmp_path / "repository")
    sent = [backup(tmp_path, "send", repository, "--file", taken.result["file"]) for _ in range(2)]
    assert [out.code for out in sent] == [0, 0], sent[0].result
    assert sent[0].result["offsite"]["snapshotId"] == sent[1].result["offsite"]["snapshotId"]
    assert sent[1].result["verify"]["ok"] is True
    assert sent[1].result["verify"]["file"] == taken.result["file"]


def test_without_a_repository_verify_checks_the_newest_snapshot_on_the_claim(
    tmp_path: Path,
) -> None:
    make_db(tmp_path / "data" / "app.db", rows=100)
    assert backup(tmp_path, "scheduled", "").code == 0
    ok = backup(tmp_path, "verify", "")
    assert ok.result["verify"]["ok"] is True
    (newest,) = (tmp_path / "data" / "snapshots").glob("*.db")
    with newest.open("r+b") as handle:  # a flipped byte on the claim's disk
        handle.seek(200)
        handle.write(b"\xff")
    bad = backup(tmp_path, "verify", "")
    assert bad.code == 1
    assert "differs from its sidecar" in bad.result["error"]
