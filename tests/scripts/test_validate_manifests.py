"""scripts/validate_manifests.py on real `kubectl kustomize` builds of a copy of kustomize/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "validate_manifests.py"
KUBECTL = Path(sys.executable).parent / "kubectl"
CRDS = sorted((ROOT / "manifests" / "crds").glob("*.yaml"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the repository's kustomize tree to break on purpose."""
    shutil.copytree(ROOT / "kustomize", tmp_path / "kustomize")
    return tmp_path / "kustomize"


def build(overlay: Path, out: Path) -> Path:
    """kubectl kustomize overlay > out."""
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(overlay)], capture_output=True, text=True, check=True
    )
    out.write_text(result.stdout)
    return out


def validate(*built: Path, render_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the validator the way scripts/lint-delivery.sh does."""
    args = [sys.executable, str(SCRIPT), *(f"--crd={crd}" for crd in CRDS)]
    if render_dir is not None:
        args.append(f"--render-dir={render_dir}")
    return subprocess.run([*args, *map(str, built)], capture_output=True, text=True, check=False)


def test_every_overlay_validates_and_its_release_renders(tree: Path, tmp_path: Path) -> None:
    """Both overlays pass; the Release becomes the Deployment the operator would create."""
    built = [build(tree / "overlays" / o, tmp_path / f"{o}.yaml") for o in ("homelab", "dev")]
    result = validate(*built, render_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "homelab.yaml: 7 objects, 1 rendered: ok" in result.stdout
    rendered = yaml.safe_load((tmp_path / "homelab-rendered.yaml").read_text())
    container = rendered["spec"]["template"]["spec"]["containers"][0]
    assert rendered["kind"] == "Deployment"
    assert container["image"] == "ghcr.io/owner/myfoodbudget:latest"
    assert container["resources"]["limits"]["memory"] == "384Mi"  # the homelab patch
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"  # the base survives it


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("base/gitsync.yaml", "  interval: 60s", "  intervall: 60s", "'intervall' was unexpected"),
        ("base/gitsync.yaml", "  interval: 60s", "  interval: soon", "interval: 'soon' does not"),
        ("base/service.yaml", "  type: ClusterIP", "  typ: ClusterIP", "Service/myfoodbudget/my"),
        ("base/networkpolicy.yaml", "protocol: TCP", "protocol: 6", "NetworkPolicy/myfoodbudget"),
        ("base/release.yaml", "  container: app", "  container: web", "would refuse it"),
        ("base/release.yaml", "periodSeconds: 5", "periodSeconds: five", "rendered from Deploy"),
    ],
)
def test_a_broken_object_fails_with_its_name(
    tree: Path, tmp_path: Path, file: str, old: str, new: str, message: str
) -> None:
    """Typos the API server would drop or reject are caught, naming the object."""
    path = tree / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = validate(build(tree / "overlays" / "homelab", tmp_path / "homelab.yaml"))
    assert result.returncode == 1
    assert "homelab.yaml: 7 objects" in result.stdout
    assert "FAILED" in result.stdout
    assert message in result.stderr
