"""The sandbox's controllers (Deployment, ReplicaSet, Job, scheduler, PVCs, NodePorts)."""

from __future__ import annotations

import asyncio
import pathlib

__all__ = ["run_controllers"]


async def run_controllers(
    api_url: str, *, data_dir: pathlib.Path, images: pathlib.Path | None, stopping: asyncio.Event
) -> None:
    """Run the controllers and the kubelet until `stopping` is set; then stop every process."""
    from sandbox.controllers.manager import run  # late: the kubelet imports this package

    await run(api_url, data_dir=data_dir, images=images, stopping=stopping)
