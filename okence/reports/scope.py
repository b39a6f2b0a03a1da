"""Whose numbers a user may read: organisation administrators every unit, unit administrators
their own units (and only they read their units' comments). Decided by okence.offices.access."""

from dataclasses import dataclass

from okence.offices.access import access_of
from okence.offices.models import Unit


@dataclass(frozen=True)
class Scope:
    units: list[Unit]
    comment_unit_ids: frozenset[int]

    @property
    def unit_ids(self) -> set[int]:
        return {unit.pk for unit in self.units}


def scope_of(user) -> Scope | None:
    access = access_of(user)
    if access is None or not access.administers_any:
        return None
    return Scope(list(access.administered_units()), access.administered_unit_ids)
