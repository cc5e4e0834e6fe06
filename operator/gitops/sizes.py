"""Sizes for people (pure)."""

from __future__ import annotations


def human(count: float) -> str:
    """Bytes for people: 1.5 MiB, 800.0 KiB, 12 B."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    value, index = float(count), 0
    while abs(value) >= 1024 and index < len(units) - 1:
        value, index = value / 1024, index + 1
    return f"{value:.0f} B" if index == 0 else f"{value:.1f} {units[index]}"
