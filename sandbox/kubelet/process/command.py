"""A container as a local process: its argv and environment from the pod spec and the catalog."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from sandbox.kubelet.env import declared_env, expand
from sandbox.kubelet.process.catalog import CatalogImage
from sandbox.kubelet.process.paths import PathMap
from sandbox.kubelet.runtime import ConfigError, ContainerConfig


def image_argv(container: dict[str, Any], image: CatalogImage) -> list[str]:
    """What a runtime runs: a `command` replaces the ENTRYPOINT and drops the CMD; `args`
    replace the CMD (an empty list counts as unset)."""
    command, args = container.get("command") or [], container.get("args") or []
    if command:
        return [*command, *args]
    return [*image.entrypoint, *(args or image.cmd)]


def build_command(
    container: dict[str, Any], image: CatalogImage, env: Mapping[str, str], paths: PathMap
) -> list[str]:
    """The argv from the image and the container ($(VAR) expanded, container paths mapped)."""
    argv = image_argv(container, image)
    if not argv:
        raise ConfigError(
            f"no command specified: image {container.get('image')!r} has neither an "
            "entrypoint nor a cmd in the catalog, and the container sets no command"
        )
    words = [expand(str(a), env) for a in argv]
    if words[0] in ("python", sys.executable):  # the interpreter's own path is a host path
        return [sys.executable, *(paths.rewrite(w) for w in words[1:])]
    return [paths.rewrite(w) for w in words]


def base_env(home: str) -> dict[str, str]:
    """What Python needs to run, and nothing from the developer's shell."""
    bin_dir = os.path.dirname(sys.executable)
    return {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home}


async def build_env(config: ContainerConfig, image: CatalogImage, paths: PathMap) -> dict[str, str]:
    """Base < catalog env < service env (the API server's address) < envFrom < env (in order,
    $(VAR)) < PORT; container paths rewritten.

    HOME is the pod's folder; PORT the node port of the container's first containerPort.
    """
    base = base_env(str(config.pod_dir))
    inherited = {**base, **image.env, **config.service_env}
    env = await declared_env(config.spec, config.pod, inherited, config.fetch)
    port = next(iter(config.ports.values()), None)
    if port is not None:
        env["PORT"] = str(port)
    # the base values are host paths already; everything else speaks container paths
    result = {k: v if base.get(k) == v else paths.rewrite(v) for k, v in env.items()}
    tmp = paths.resolve("/tmp")  # noqa: S108  # nosec B108 - a container path
    if tmp is not None:
        result.setdefault("TMPDIR", tmp)
    return result
