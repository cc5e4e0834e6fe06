"""The images the e2e tests run exist on both backends: in the sandbox's catalog and as images.

On k3s nothing is pulled: .github/workflows/e2e.yml builds with scripts/images.sh (as `make
images` does here) and imports every reference it lists, the bad ones from
tests/images/Dockerfile, whose targets run the same scripts as the sandbox's catalog
(tests/images.yaml) does.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "e2e.yml"
BUILDER = ROOT / "scripts" / "images.sh"
CATALOG = ROOT / "tests" / "images.yaml"
BAD_IMAGES = ROOT / "tests" / "images" / "Dockerfile"
DEV_IMAGE = "ghcr.io/owner/myfoodbudget:dev"


def e2e_images() -> dict[str, str]:
    """The image constants of tests/e2e/release_objects.py, by name."""
    path = ROOT / "tests" / "e2e" / "release_objects.py"
    spec = importlib.util.spec_from_file_location("e2e_release_objects", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = ("OPERATOR_IMAGE", "GOOD", "GOOD_NEXT", "SYNC_GOOD", "SYNC_GOOD_NEXT", "CRASH",
             "MIGRATE", "MIGRATION_FAILS", "SERVES_500", "MISSING")  # fmt: skip
    return {name: getattr(module, name) for name in names}


def catalog_entry(image: str) -> dict[str, Any] | None:
    """The first entry of the sandbox catalog matching the image, as the kubelet picks it."""
    entries = yaml.safe_load(CATALOG.read_text())["images"]
    return next((e for e in entries if fnmatch.fnmatchcase(image, e["match"])), None)


def build_step() -> str:
    """The script of e2e.yml's step that builds and imports the images."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["k3s"]["steps"]
    return next(s["run"] for s in steps if s.get("name", "").startswith("Build the images"))


def built_images() -> list[str]:
    """Every reference scripts/images.sh builds (its --list)."""
    listed = subprocess.run(
        ["bash", str(BUILDER), "--list"], capture_output=True, text=True, check=True, timeout=30
    )
    return listed.stdout.split()


def test_every_image_but_the_missing_one_is_built_imported_and_in_the_catalog() -> None:
    """Each reference is built by scripts/images.sh and matched by the catalog; MISSING by none."""
    images = e2e_images()
    script = build_step()
    assert "bash scripts/images.sh\n" in script
    assert 'k3d image import --cluster myfoodbudget "${images[@]}"' in script
    assert "scripts/images.sh --list" in script
    built = set(built_images())
    for name, image in images.items():
        if name == "MISSING":
            assert image not in built
            assert catalog_entry(image) is None
            continue
        assert image in built, f"{name}={image} is not built by {BUILDER.name}"
        assert catalog_entry(image) is not None, f"{name}={image} is not in {CATALOG.name}"
        assert not image.endswith(":latest"), "a latest tag makes k3s pull it (Always)"
    assert DEV_IMAGE in built


def test_bad_image_targets_run_the_catalogs_scripts() -> None:
    """tests/images/Dockerfile's targets run the very scripts the sandbox catalog maps them to."""
    stages = {
        stage.split()[2]: stage
        for stage in re.split(r"^FROM ", BAD_IMAGES.read_text(), flags=re.MULTILINE)[1:]
    }
    for name in ("CRASH", "MIGRATE", "MIGRATION_FAILS", "SERVES_500"):
        image = e2e_images()[name]
        stage = stages[image.rsplit("/", 1)[1].split(":")[0]]
        entry = catalog_entry(image)
        assert entry is not None
        command = json.loads(re.findall(r"^CMD (.+)$", stage, re.MULTILINE)[-1])
        assert command == ["python", f"/srv/{Path(entry['cmd'][-1]).name}"], stage
        assert "\nUSER 10001:10001\n" in stage, "the bad images run as the app's non-root user"


def test_the_entrypoint_image_has_the_catalogs_entrypoint_and_cmd() -> None:
    """The fidelity test's image is built (so imported into k3s), with the ENTRYPOINT and CMD the
    sandbox's catalog gives it."""
    image = "ghcr.io/e2e/entrypoint-cmd:1"
    assert image in built_images()
    stages = re.split(r"^FROM ", BAD_IMAGES.read_text(), flags=re.MULTILINE)[1:]
    stage = next(s for s in stages if s.split()[2] == "entrypoint-cmd")
    entry = catalog_entry(image)
    assert entry is not None
    for key, instruction in (("entrypoint", "ENTRYPOINT"), ("cmd", "CMD")):
        found = re.findall(rf"^{instruction} (.+)$", stage, re.MULTILINE)
        assert [json.loads(f) for f in found] == [entry[key]], stage
