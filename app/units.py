"""Units of measure and conversion between compatible ones (g<->kg, ml<->l)."""

from __future__ import annotations

from decimal import Decimal

# unit -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "g": ("mass", Decimal(1)),
    "kg": ("mass", Decimal(1000)),
    "ml": ("volume", Decimal(1)),
    "l": ("volume", Decimal(1000)),
    "pcs": ("count", Decimal(1)),
}
# the unit a unit price is quoted in, per dimension
PRICE_UNIT = {"mass": "kg", "volume": "l", "count": "pcs"}


class IncompatibleUnits(ValueError):
    """Two units measure different things."""


def dimension(unit: str) -> str:
    """Return what a unit measures (mass, volume or count)."""
    return UNITS[unit][0]


def convert(quantity: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert quantity between compatible units, exactly."""
    (dim_from, factor_from), (dim_to, factor_to) = UNITS[from_unit], UNITS[to_unit]
    if dim_from != dim_to:
        raise IncompatibleUnits(
            f"{from_unit} ({dim_from}) cannot be converted to {to_unit} ({dim_to})"
        )
    return quantity * factor_from / factor_to


def price_unit(unit: str) -> str:
    """Return the unit a unit price for this unit is quoted in (kg, l or pcs)."""
    return PRICE_UNIT[dimension(unit)]
