"""Whose numbers a user may read: organisation administrators every unit, unit administrators
their own units (and only they read their units' comments)."""

from dataclasses import dataclass

from okence.offices.models import Unit


@dataclass(frozen=True)
class Scope:
    units: list[Unit]
    comment_unit_ids: frozenset[int]

    @property
    def unit_ids(self) -> set[int]:
        return {unit.pk for unit in self.units}


def scope_of(user) -> Scope | None:
    if not user.is_authenticated or not user.is_active:
        return None
    administered = set(Unit.objects.filter(administrators__user=user).values_list("pk", flat=True))
    if user.is_superuser or user.has_perm("reports.view_all_units"):
        return Scope(list(Unit.objects.all()), frozenset(administered))
    if not administered:
        return None
    return Scope(list(Unit.objects.filter(pk__in=administered)), frozenset(administered))
