"""Ports of the process runtime: each containerPort gets a free port on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Any


def free_port() -> int:
    """A free localhost TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def allocate_ports(containers: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """container name -> {port name and number: localhost port}, one port per containerPort."""
    result: dict[str, dict[str, int]] = {}
    for container in containers:
        ports: dict[str, int] = {}
        for spec in container.get("ports") or []:
            port = free_port()
            ports[str(spec["containerPort"])] = port
            if spec.get("name"):
                ports[spec["name"]] = port
        result[container["name"]] = ports
    return result
