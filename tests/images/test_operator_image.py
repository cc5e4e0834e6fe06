"""The operator image: its CLI, its tools as uid 10001 under a read-only root, and the snapshot
and restore commands on a volume the app image wrote, read back as the Release controller does.

The operator's own start needs a cluster, so here only `--help` runs; the e2e tests on k3s run
the rest (the JSON results are parsed with the controller's own functions below).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from gitops.release.observe import build_job_view
from gitops.release.observed import job_result
from images_support import Engine, get, start_app

ROOT = Path(__file__).resolve().parents[2]
LOCKED = ("--read-only", "--tmpfs", "/tmp", "--network", "none")


def test_help_works_without_a_cluster(engine: Engine, operator_image: str) -> None:
    """`python -m gitops --help` prints its usage and exits 0."""
    status, logs = engine.once(
        operator_image, *LOCKED, command=("python", "-m", "gitops", "--help")
    )
    assert status == 0, logs
    assert logs.startswith("usage: python -m gitops"), logs


def overlay_repository(folder: Path) -> Path:
    """A git repository holding the project's kustomize/ folder, readable by any uid."""
    repo = folder / "repo"
    shutil.copytree(ROOT / "kustomize", repo / "kustomize")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.test"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "overlays"], check=True)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return repo


def test_git_ssh_and_kubectl_run_as_10001_under_a_read_only_root(
    engine: Engine, operator_image: str, tmp_path: Path
) -> None:
    """git clones over file://, kubectl kustomize builds the overlay, ssh knows its user."""
    repo = overlay_repository(tmp_path)
    script = (
        "set -e; id -u; "
        "git config --global safe.directory '*'; "  # /repo belongs to the host's user
        "git clone -q file:///repo /tmp/clone; "
        "git -C /tmp/clone rev-parse HEAD; "
        "kubectl kustomize /tmp/clone/kustomize/overlays/dev; "
        "ssh -V 2>&1; ssh -F /dev/null -G example.test | grep '^user '"
    )
    status, logs = engine.once(
        operator_image, *LOCKED, "--volume", f"{repo}:/repo:ro", command=("sh", "-c", script)
    )
    assert status == 0, logs
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert logs.splitlines()[0] == "10001"
    assert head in logs
    assert "kind: Release" in logs
    assert "OpenSSH" in logs
    assert "user app" in logs, "ssh finds no passwd entry for uid 10001"


def run_job(engine: Engine, image: str, volume: str, folder: Path, *command: str) -> dict:
    """Run a snapshot/restore command as its Job would; the Release controller's reading of it."""
    folder.mkdir()
    folder.chmod(0o777)
    args = ("--read-only", "--tmpfs", "/tmp", "--network", "none", "--volume", f"{volume}:/data")
    mounts = ("--volume", f"{folder}:/termination")
    full = (*command, "--termination-log", "/termination/log")
    status, logs = engine.once(image, *args, *mounts, command=full)
    assert status == 0, logs
    message = (folder / "log").read_text()
    pod = {
        "metadata": {"labels": {"job-name": "job"}},
        "status": {"containerStatuses": [{"state": {"terminated": {"message": message}}}]},
    }
    done = {"type": "Complete", "status": "True"}
    job = {"metadata": {"name": "job"}, "status": {"conditions": [done]}}
    result, error = job_result(build_job_view(job, [pod]))
    assert result is not None, error
    return dict(result)


def test_snapshot_and_restore_work_on_a_volume_the_app_wrote(
    engine: Engine, app_image: str, operator_image: str, port: int, volume: str, tmp_path: Path
) -> None:
    """A user registered in the app survives snapshot, a lost database, and restore."""
    cid = start_app(engine, app_image, port, volume)
    user = {"username": "kept", "email": "kept@example.test", "password": "p" * 12}
    request = ["curl", "-fsS", "-H", "Content-Type: application/json", "-d", json.dumps(user)]
    created = subprocess.run(
        [*request, f"http://127.0.0.1:{port}/api/v1/users"], capture_output=True, check=False
    )
    assert created.returncode == 0, created.stderr
    engine.ok("stop", cid)
    snap = run_job(
        engine, operator_image, volume, tmp_path / "snapshot",
        "python", "-m", "gitops.snapshot", "--database", "/data/myfoodbudget.db",
        "--directory", "/data/snapshots", "--release", "myfoodbudget", "--image", app_image,
    )  # fmt: skip
    assert snap["ok"] is True
    assert snap["file"].endswith(".db")
    drop = "import sqlite3; sqlite3.connect('/data/myfoodbudget.db').execute('DELETE FROM users')"
    status, logs = engine.once(
        app_image, "--volume", f"{volume}:/data", command=("python", "-c", drop)
    )
    assert status == 0, logs
    restored = run_job(
        engine, operator_image, volume, tmp_path / "restore",
        "python", "-m", "gitops.restore", "--database", "/data/myfoodbudget.db",
        "--snapshot", f"/data/snapshots/{snap['file']}", "--mode", "Always",
    )  # fmt: skip
    assert restored["restored"] is True
    cid = start_app(engine, app_image, port, volume)
    token = subprocess.run(
        ["curl", "-fsS", "-u", "kept:" + "p" * 12, "-X", "POST",
         f"http://127.0.0.1:{port}/api/v1/tokens"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert token.returncode == 0, "the restored database lost the user"
    assert "token" in json.loads(token.stdout)
    assert get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    engine.remove(cid)


def test_no_image_holds_the_sandbox_tests_or_build_tools(
    engine: Engine, app_image: str, operator_image: str
) -> None:
    """Each image imports its own package and nothing else of the repository, and no pip."""
    probe = (
        "import importlib.util as u, sys; "
        "names = ['app', 'gitops', 'sandbox', 'tests', 'pip', 'setuptools', 'wheel']; "
        "print(' '.join(n for n in names if u.find_spec(n)))"
    )
    for image, own in ((app_image, "app"), (operator_image, "gitops")):
        status, logs = engine.once(image, *LOCKED, command=("python", "-c", probe))
        assert status == 0, logs
        assert logs.split() == [own], f"{image} holds {logs.split()}"
        status, logs = engine.once(image, *LOCKED, command=("python", "-c", "import sandbox"))
        assert status != 0
        assert "No module named 'sandbox'" in logs
