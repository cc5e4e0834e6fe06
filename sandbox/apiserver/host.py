"""The one node as a kubelet on this machine would register it: its nodeInfo and capacity.

The kubelet reads the machine id, the DMI product UUID and the boot id from the host, the
kernel from uname, the OS image from /etc/os-release; capacity is the CPUs, the memory, the
filesystem that holds the node's data and the huge page sizes the kernel offers. k3s starts
its kubelet with `eviction-hard: imagefs.available<5%,nodefs.available<5%` and no
reservations, so allocatable memory is all of it and allocatable storage 95%.
"""

from __future__ import annotations

import os
import pathlib
import platform
from typing import Any

from sandbox.apiserver import meta

NAME = "sandbox"
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le"}
MAX_PODS = "110"
UUID_FILES = ("/sys/class/dmi/id/product_uuid", "/proc/device-tree/system-id")
CONDITIONS = (  # the kubelet's setters run in this order, Ready last
    ("MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)  # fmt: skip


def _read(*paths: str) -> str:
    """The first of these files that can be read, stripped ("" when none)."""
    for path in paths:
        try:
            return pathlib.Path(path).read_text(encoding="utf-8", errors="replace").strip("\x00\n ")
        except OSError:
            continue
    return ""


def os_image() -> str:
    """PRETTY_NAME of /etc/os-release, as the kubelet reports the OS image."""
    for line in _read("/etc/os-release", "/usr/lib/os-release").splitlines():
        key, _, value = line.partition("=")
        if key == "PRETTY_NAME":
            return value.strip().strip("\"'")
    return platform.system()


def node_info(kubelet_version: str, runtime_version: str) -> dict[str, str]:
    """NodeSystemInfo: all ten strings (kubeProxyVersion is no longer set, so it is empty)."""
    return {
        "machineID": _read("/etc/machine-id", "/var/lib/dbus/machine-id"),
        "systemUUID": _read(*UUID_FILES),
        "bootID": _read("/proc/sys/kernel/random/boot_id"),
        "kernelVersion": platform.release(),
        "osImage": os_image(),
        "containerRuntimeVersion": runtime_version,
        "kubeletVersion": kubelet_version,
        "kubeProxyVersion": "",
        "operatingSystem": platform.system().lower(),
        "architecture": ARCHITECTURES.get(platform.machine(), platform.machine()),
    }


def _memory_ki() -> int:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024


def binary_quantity(count: int) -> str:
    """Bytes as a canonical binary-SI quantity (2097152 -> 2Mi, 0 -> 0)."""
    for unit, size in (("Ei", 1024**6), ("Pi", 1024**5), ("Ti", 1024**4), ("Gi", 1024**3),
                       ("Mi", 1024**2), ("Ki", 1024)):  # fmt: skip
        if count and count % size == 0:
            return f"{count // size}{unit}"
    return str(count)


def _huge_pages() -> dict[str, str]:
    """hugepages-<size>: the bytes of huge pages of each size the kernel supports."""
    found = {}
    for folder in sorted(pathlib.Path("/sys/kernel/mm/hugepages").glob("hugepages-*kB")):
        size = int(folder.name.removeprefix("hugepages-").removesuffix("kB")) * 1024
        pages = int(_read(str(folder / "nr_hugepages")) or 0)
        found[f"hugepages-{binary_quantity(size)}"] = binary_quantity(pages * size)
    return found


def capacity(data_dir: pathlib.Path) -> tuple[dict[str, str], dict[str, str]]:
    """(capacity, allocatable) of this machine, keys sorted as Go writes a map."""
    disk = os.statvfs(data_dir)
    storage_ki = disk.f_blocks * disk.f_frsize // 1024
    cap = {
        "cpu": str(os.cpu_count() or 1),
        "ephemeral-storage": f"{storage_ki}Ki",
        **_huge_pages(),
        "memory": f"{_memory_ki()}Ki",
        "pods": MAX_PODS,
    }
    storage_bytes = storage_ki * 1024
    allocatable = dict(cap, **{"ephemeral-storage": str(storage_bytes - storage_bytes // 20)})
    return dict(sorted(cap.items())), dict(sorted(allocatable.items()))


def labels() -> dict[str, str]:
    """The well-known labels, and the roles k3s gives a server node."""
    arch = ARCHITECTURES.get(platform.machine(), platform.machine())
    system = platform.system().lower()
    return {
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": system,
        "kubernetes.io/arch": arch,
        "kubernetes.io/hostname": NAME,
        "kubernetes.io/os": system,
        "node-role.kubernetes.io/control-plane": "true",
        "node-role.kubernetes.io/master": "true",
        "node.kubernetes.io/instance-type": "k3s",
    }


def node(data_dir: pathlib.Path, kubelet_version: str, runtime_version: str) -> dict[str, Any]:
    """The Node object with its status (the kubelet writes the status after registering)."""
    cap, allocatable = capacity(data_dir)
    stamp = meta.rfc3339(meta.now())
    conditions = [
        {
            "type": kind,
            "status": status,
            "lastHeartbeatTime": stamp,
            "lastTransitionTime": stamp,
            "reason": reason,
            "message": message,
        }
        for kind, status, reason, message in CONDITIONS
    ]
    return {
        "metadata": {"name": NAME, "labels": labels()},
        "spec": {},
        "status": {
            "capacity": cap,
            "allocatable": allocatable,
            "conditions": conditions,
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": NAME},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
            "nodeInfo": node_info(kubelet_version, runtime_version),
        },
    }
