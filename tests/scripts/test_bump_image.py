"""scripts/bump_image.py on a real git checkout of a copy of the repository's kustomize tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bump_image.py"
KUBECTL = Path(sys.executable).parent / "kubectl"
OVERLAY = "kustomize/overlays/homelab"
KUSTOMIZATION = f"{OVERLAY}/kustomization.yaml"
DIGEST = "sha256:" + "0123456789abcdef" * 4
REFERENCE = f"ghcr.io/o/myfoodbudget:sha-1a2b3c4@{DIGEST}"


def git(repo: Path, *args: str) -> str:
    """Run git in repo and return its stdout."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def bump(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the script the way CI does, from the checkout's root."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=repo, capture_output=True, text=True, check=False
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A fresh clone of a repository whose one commit is a copy of kustomize/."""
    origin = tmp_path / "origin"
    shutil.copytree(ROOT / "kustomize", origin / "kustomize")
    git(tmp_path, "init", "-q", "-b", "main", str(origin))
    git(origin, "add", "kustomize")
    git(origin, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    return clone


def test_sets_name_tag_and_digest_keeping_everything_else(checkout: Path) -> None:
    """Only the images entry's lines change; comments and the rest stay byte for byte."""
    before = (checkout / KUSTOMIZATION).read_text()
    result = bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}")
    assert result.returncode == 0, result.stderr
    assert "myfoodbudget set to" in result.stdout
    after = (checkout / KUSTOMIZATION).read_text()
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ["    newName: ghcr.io/owner/myfoodbudget", "    newTag: latest"]
    assert added == [
        "    newName: ghcr.io/o/myfoodbudget",
        "    newTag: sha-1a2b3c4",
        f"    digest: {DIGEST}",
    ]
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments
    assert all(line in after.splitlines() for line in comments)
    assert git(checkout, "status", "--porcelain") == f" M {KUSTOMIZATION}\n"


def test_the_built_release_carries_the_new_image(checkout: Path) -> None:
    """kubectl kustomize renders Release.spec.image from the bumped entry."""
    assert bump(checkout, f"{KUSTOMIZATION}", f"myfoodbudget={REFERENCE}").returncode == 0
    built = subprocess.run(
        [str(KUBECTL), "kustomize", OVERLAY], cwd=checkout, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert f"  image: {REFERENCE}\n" in built.stdout


def test_second_run_exits_2_and_leaves_the_file_alone(checkout: Path) -> None:
    """Idempotence: the same reference again changes nothing and says so."""
    assert bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}").returncode == 0
    path = checkout / KUSTOMIZATION
    text, mtime = path.read_text(), path.stat().st_mtime_ns
    again = bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}")
    assert again.returncode == 2
    assert "already set" in again.stdout
    assert path.read_text() == text
    assert path.stat().st_mtime_ns == mtime


def test_a_reference_without_digest_drops_the_old_digest(checkout: Path) -> None:
    """Like kustomize edit set image: what the reference lacks is removed."""
    assert bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}").returncode == 0
    assert bump(checkout, OVERLAY, "myfoodbudget=ghcr.io/o/myfoodbudget:v1.2.3").returncode == 0
    text = (checkout / KUSTOMIZATION).read_text()
    assert "digest:" not in text
    assert "    newTag: v1.2.3\n" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([OVERLAY, "unknown=ghcr.io/o/myfoodbudget:v1"], "no `images:` entry named 'unknown'"),
        ([OVERLAY, "myfoodbudget=ghcr.io/o/MyFoodBudget:v1"], "malformed image reference"),
        ([OVERLAY, "myfoodbudget=ghcr.io/o/myfoodbudget:"], "malformed image reference"),
        ([OVERLAY, "myfoodbudget=ghcr.io/o/myfoodbudget:v1@sha256:abc"], "malformed image"),
        ([OVERLAY, "myfoodbudget=ghcr.io/o/myfoodbudget:v 1"], "malformed image reference"),
        ([OVERLAY, "myfoodbudget=ghcr.io//myfoodbudget:v1"], "malformed image reference"),
        ([OVERLAY, "myfoodbudget="], "malformed image reference"),
        ([OVERLAY, "ghcr.io/o/myfoodbudget:v1"], "expected NAME=REFERENCE"),
        ([OVERLAY, "=ghcr.io/o/myfoodbudget:v1"], "expected NAME=REFERENCE"),
        (["kustomize/overlays/nowhere", "myfoodbudget=ghcr.io/o/a:v1"], "no such file"),
        (["kustomize/base", "myfoodbudget=ghcr.io/o/myfoodbudget:v1"], "has no `images:` list"),
        ([OVERLAY], "Usage: bump_image.py"),
        ([], "Usage: bump_image.py"),
    ],
)
def test_every_refusal_exits_1_with_a_message_and_the_tree_untouched(
    checkout: Path, args: list[str], message: str
) -> None:
    """Bad input: exit 1, a message saying what is wrong, no change in the checkout."""
    result = bump(checkout, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert git(checkout, "status", "--porcelain", "--untracked-files=all") == ""


def test_invalid_yaml_and_duplicate_entries_are_refused(checkout: Path) -> None:
    """A file kustomize could not read either is left exactly as it was."""
    path = checkout / KUSTOMIZATION
    for broken in ("images: [\n  - name: x\n", path.read_text() + "images: []\n"):
        path.write_text(broken)
        result = bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}")
        assert result.returncode == 1
        assert "bump_image: error:" in result.stderr
        assert path.read_text() == broken
    twice = "images:\n  - name: myfoodbudget\n  - name: myfoodbudget\n"
    path.write_text(twice)
    result = bump(checkout, OVERLAY, f"myfoodbudget={REFERENCE}")
    assert (result.returncode, path.read_text()) == (1, twice)
    assert "2 `images:` entries are named 'myfoodbudget'" in result.stderr


def test_help_prints_usage_and_succeeds(checkout: Path) -> None:
    """--help is not an error."""
    result = bump(checkout, "--help")
    assert result.returncode == 0
    assert "NAME=REFERENCE" in result.stdout


def test_the_guide_sets_the_operator_image_in_manifests(tmp_path: Path) -> None:
    """docs/homelab.md step 3: one bump sets the container image and OPERATOR_IMAGE together."""
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    operator = "ghcr.io/o/myfoodbudget-operator:sha-1a2b3c4"
    result = bump(tmp_path, "manifests", f"operator={operator}")
    assert result.returncode == 0, result.stderr
    built = subprocess.run(
        [str(KUBECTL), "kustomize", "manifests"], cwd=tmp_path, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert f"image: {operator}\n" in built.stdout
    assert f"- name: OPERATOR_IMAGE\n          value: {operator}\n" in built.stdout
