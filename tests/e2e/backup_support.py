"""An SFTP restic repository on a real sshd on loopback, and ways to look at a claim, for e2e."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polling import wait_for
from release_objects import GROUP
from release_support import Api
from support.canary import CANARIES
from support.ssh import GitSshServer, make_key

PASSWORD = CANARIES["restic-password"]
LISTER = "busybox:1.36"  # its `sh` and `ls` (the sandbox runs the host's)


@dataclass
class SftpRepository:
    """A restic repository served by sshd's internal-sftp to one key."""

    server: GitSshServer
    path: Path
    key: str

    @property
    def url(self) -> str:
        """restic's sftp://user@host:port//path form."""
        return f"sftp://{self.server.user}@127.0.0.1:{self.server.port}/{self.path}"

    def secret(self, name: str = "restic") -> dict[str, Any]:
        """The Secret the Release names: restic's password and the ssh key and host key."""
        data = {
            "RESTIC_PASSWORD": PASSWORD,
            "ssh-privatekey": self.key,
            "known_hosts": self.server.known_hosts_line(),
        }
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "stringData": data,
        }

    def restic(self, *args: str) -> subprocess.CompletedProcess[str]:
        """restic run by the test, as a user would: the password, the repository, ssh."""
        key = self.path.parent / "client"
        ssh = f"ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i {key} "
        ssh += f"-o UserKnownHostsFile={self.path.parent / 'known_hosts'} -p {self.server.port} "
        ssh += f"{self.server.user}@127.0.0.1 -s sftp"
        env = {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": self.url}
        command = ["restic", "--no-cache", "-o", f"sftp.command={ssh}", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    def snapshots(self) -> list[dict[str, Any]]:
        """`restic snapshots --json`."""
        done = self.restic("snapshots", "--json")
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout or "[]"))


def start_sftp(folder: Path) -> SftpRepository:
    """sshd with internal-sftp on 127.0.0.1, a client key, and where the repository goes."""
    folder.mkdir(parents=True, exist_ok=True)
    key = make_key(folder / "client", "restic-e2e")
    server = GitSshServer(folder / "sshd", key.public, sftp=True)
    server.start()
    (folder / "known_hosts").write_text(server.known_hosts_line())
    return SftpRepository(server, folder / "repository", key.private)


def claim_files(api: Api, claim: str, folder: str = "snapshots") -> list[str]:
    """The names in a folder of a claim, listed by a pod that mounts it."""
    return on_claim(api, claim, f"ls -1 /data/{folder}").split()


def on_claim(api: Api, claim: str, script: str) -> str:
    """What a shell script printed, run by a pod that mounts the claim at /data."""
    name = f"ls-{uuid.uuid4().hex[:8]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "ls",
                    "image": LISTER,
                    "command": ["sh", "-c", script],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }
    assert api.apply(pod).returncode == 0

    def finished() -> bool:
        phase = api.core.read_namespaced_pod(name, api.ns).status.phase
        return phase in ("Succeeded", "Failed")

    wait_for(finished, 30, f"pod {name} listing the claim")
    printed = api.core.read_namespaced_pod_log(name, api.ns)
    api.core.delete_namespaced_pod(name, api.ns, grace_period_seconds=0)
    return str(printed)


def ask_backup(api: Api, name: str, token: str) -> dict[str, Any]:
    """Set the backup-requested annotation; wait until that backup's Job is done."""
    annotation = {"metadata": {"annotations": {f"{GROUP}/backup-requested": token}}}
    api.patch_release(name, annotation)

    def done() -> dict[str, Any] | None:
        backup = api.status(name).get("backup") or {}
        taken = backup.get("requestToken") == token and not backup.get("running")
        return backup if taken else None

    return wait_for(done, 120, f"the backup asked for with {token}")


def ask_restore(api: Api, name: str, ref: str, before: str | None) -> dict[str, Any]:
    """Set the restore annotation; wait until status.lastRestore is a new one."""
    api.patch_release(name, {"metadata": {"annotations": {f"{GROUP}/restore": ref}}})

    def done() -> dict[str, Any] | None:
        status = api.status(name)
        last = status.get("lastRestore") or {}
        new = last.get("finishedAt") and last.get("finishedAt") != before
        return last if new and not status.get("rollout") else None

    return wait_for(done, 120, f"the restore of {ref}")
