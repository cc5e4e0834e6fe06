"""Node ports are picked among those free on the host: other sandboxes listen on the same
loopback (a spread test run's workers, the docker runtime's session)."""

from __future__ import annotations

import socket

from sandbox.hostports import free_on_host, pick_node_port


def test_a_port_another_program_listens_on_is_never_picked() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]  # closed below: free again
        assert not free_on_host(taken)
        assert free_on_host(free)
        assert {pick_node_port([taken, free]) for _ in range(20)} == {free}
        assert pick_node_port([taken]) == taken  # nothing free: allocated all the same
