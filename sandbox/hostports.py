"""Node ports that are free on this host: several sandboxes (a test run's workers, the docker
runtime's session) listen on the same loopback, each allocating its Services' nodePorts."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable


def free_on_host(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_node_port(candidates: Iterable[int]) -> int:
    """A random one of the candidates that no other program listens on (any, if none is)."""
    ports = list(candidates)
    random.shuffle(ports)
    return next((port for port in ports if free_on_host(port)), ports[0])
