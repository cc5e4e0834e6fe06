"""One run of a container as the engine's create body, with Kubernetes' semantics where
Docker's differ: command/args over ENTRYPOINT/CMD, $(VAR), env, users and groups, the
security context, resource limits and the pod's mounts."""

from __future__ import annotations

import re
from typing import Any

from sandbox.kubelet.env import declared_env, expand
from sandbox.kubelet.runtime import ConfigError, ContainerConfig

Obj = dict[str, Any]
READ_ONLY_KINDS = ("secret", "configMap", "projected", "downwardAPI")
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_FACTORS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "Ki": 2**10, "Mi": 2**20,
            "Gi": 2**30, "Ti": 2**40, "m": 1e-3}  # fmt: skip


def quantity(value: Any) -> float:
    """A resource quantity ("384Mi", "500m", "1.5", 2) as a number."""
    match = _QUANTITY.match(str(value).strip())
    if match is None or match.group(2) not in _FACTORS:
        raise ConfigError(f"resource quantity {value!r} is not understood")
    return float(match.group(1)) * _FACTORS[match.group(2)]


def security(pod: Obj, container: Obj) -> Obj:
    """The pod's securityContext with the container's on top (the container's fields win)."""
    pod_context = dict(pod["spec"].get("securityContext") or {})
    shared = {
        k: pod_context[k] for k in ("runAsUser", "runAsGroup", "runAsNonRoot") if k in pod_context
    }
    return {**shared, **(container.get("securityContext") or {})}


def argv(container: Obj, image: Obj, env: dict[str, str]) -> list[str]:
    """What runs: command replaces ENTRYPOINT (and drops CMD), args replace CMD; $(VAR)."""
    config = image.get("Config") or {}
    command = [expand(str(w), env) for w in container.get("command") or []]
    args = [expand(str(w), env) for w in container.get("args") or []]
    if command:
        words = command + args
    else:
        words = list(config.get("Entrypoint") or []) + (args or list(config.get("Cmd") or []))
    if not words:
        raise ConfigError(
            f"image {container.get('image')!r} has no ENTRYPOINT or CMD and the container sets "
            "no command: set `command`"
        )
    return words


def user(context: Obj, image: Obj, pod: Obj, name: str) -> str:
    """The engine's User ("uid[:gid]"); ConfigError when runAsNonRoot cannot hold."""
    image_user = str((image.get("Config") or {}).get("User") or "")
    uid = context.get("runAsUser")
    who = str(uid) if uid is not None else image_user.split(":")[0]
    if context.get("runAsNonRoot"):
        md = pod["metadata"]
        where = f'(pod: "{md["name"]}_{md["namespace"]}({md.get("uid", "")})", container: {name})'
        if who and not who.isdigit():
            raise ConfigError(
                f"container has runAsNonRoot and image has non-numeric user ({who}), cannot "
                f"verify user is non-root {where}"
            )
        if not who or int(who) == 0:
            raise ConfigError(f"container has runAsNonRoot and image will run as root {where}")
    gid = context.get("runAsGroup")
    if gid is not None:
        return f"{who or 0}:{gid}"
    if uid is not None:
        return str(uid)
    return image_user


def resources(container: Obj) -> Obj:
    """limits.memory and limits.cpu as hard limits, requests.cpu as CPU shares."""
    spec = container.get("resources") or {}
    limits, requests = spec.get("limits") or {}, spec.get("requests") or {}
    host: Obj = {}
    if "memory" in limits:
        host["Memory"] = host["MemorySwap"] = int(quantity(limits["memory"]))
    if "cpu" in limits:
        host["NanoCpus"] = int(quantity(limits["cpu"]) * 1e9)
    cpu_request = requests.get("cpu", limits.get("cpu"))
    if cpu_request is not None:
        host["CpuShares"] = max(2, int(quantity(cpu_request) * 1024))
    return host


def host_security(context: Obj, pod: Obj) -> Obj:
    """Capabilities, privilege escalation, the read-only root and the pod's groups."""
    caps = context.get("capabilities") or {}
    pod_context = pod["spec"].get("securityContext") or {}
    groups = [*([pod_context["fsGroup"]] if "fsGroup" in pod_context else []),
              *(pod_context.get("supplementalGroups") or [])]  # fmt: skip
    host: Obj = {
        "CapAdd": [str(c) for c in caps.get("add") or []] or None,
        "CapDrop": [str(c) for c in caps.get("drop") or []] or None,
        "ReadonlyRootfs": bool(context.get("readOnlyRootFilesystem")),
        "Privileged": bool(context.get("privileged")),
        "GroupAdd": [str(g) for g in groups] or None,
    }
    if context.get("allowPrivilegeEscalation") is False:
        host["SecurityOpt"] = ["no-new-privileges"]
    return {k: v for k, v in host.items() if v is not None}


def volume_mount(volume: str, target: str, read_only: bool = False) -> Obj:
    """An engine volume mounted as it is (the image's files at the target are not copied in)."""
    return {"Type": "volume", "Source": volume, "Target": target, "ReadOnly": read_only,
            "VolumeOptions": {"NoCopy": True}}  # fmt: skip


def mounts(config: ContainerConfig, volumes: dict[str, str]) -> list[Obj]:
    """Bind mounts of the pod's folders (secret, configMap, projected and downwardAPI read-only,
    as the kubelet mounts them), or the engine volume of a size-limited emptyDir."""
    kinds = {
        v["name"]: next((k for k in v if k != "name"), "")
        for v in config.pod["spec"].get("volumes") or []
    }
    by_path = {m["mountPath"]: m for m in config.spec.get("volumeMounts") or []}
    result = []
    for target, source in config.mounts.items():
        mount = by_path.get(target) or {}
        kind = kinds.get(mount.get("name", ""), "")
        read_only = bool(mount.get("readOnly")) or kind in READ_ONLY_KINDS
        engine_volume = volumes.get(mount.get("name", "")) if not mount.get("subPath") else None
        if engine_volume is not None:
            result.append(volume_mount(engine_volume, target, read_only))
        else:
            result.append({"Type": "bind", "Source": source, "Target": target,
                           "ReadOnly": read_only})  # fmt: skip
    return result


async def create_body(
    config: ContainerConfig,
    image: Obj,
    network: str,
    labels: dict[str, str],
    volumes: dict[str, str],
) -> Obj:
    """The engine's create body for one run of the container."""
    spec, pod = config.spec, config.pod
    env = await declared_env(spec, pod, dict(config.service_env), config.fetch)
    words = argv(spec, image, env)
    context = security(pod, spec)
    host: Obj = {
        "NetworkMode": network,
        "Mounts": mounts(config, volumes),
        **resources(spec),
        **host_security(context, pod),
    }
    body: Obj = {
        "Image": spec["image"],
        "Entrypoint": words[:1],
        "Cmd": words[1:],
        "Env": [f"{k}={v}" for k, v in env.items()],
        "User": user(context, image, pod, spec["name"]),
        "Labels": labels,
        "Tty": bool(spec.get("tty")),
        "Healthcheck": {"Test": ["NONE"]},  # a kubelet runs the pod's probes, not the image's
        "OpenStdin": bool(spec.get("stdin")),
        "HostConfig": host,
    }
    if spec.get("workingDir"):
        body["WorkingDir"] = spec["workingDir"]
    return body
