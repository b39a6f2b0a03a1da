"""Who may act for which unit: the one answer for every staff page, socket and export.

Three roles, each a superset of nothing but itself:
- an official serves the appointments of the units they belong to (``Official.units``);
- a unit administrator manages the units they administer (``Official.administers``): services,
  hours, leave, staff, the unit's statistics, the citizens' messages and the audit log;
- an organisation administrator (a superuser, or a user with ``reports.view_all_units``) manages
  every unit and reads every unit's numbers.

Callers ask one question of a ``StaffAccess`` and pass it along instead of asking again. A unit,
an appointment or a member of staff outside a user's scope is "not found" (404), the same whether
it exists or not.
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from okence.offices.models import Official, Unit

ORGANISATION_PERMISSION = "reports.view_all_units"


@dataclass(frozen=True)
class StaffAccess:
    user: object
    official: Official | None
    served_unit_ids: frozenset[int]
    administered_unit_ids: frozenset[int]
    organisation: bool

    def serves(self, unit_id: int) -> bool:
        """Serves the unit's appointments (as one of its officials)."""
        return unit_id in self.served_unit_ids

    def administers(self, unit_id: int) -> bool:
        return self.organisation or unit_id in self.administered_unit_ids

    def administered_units(self) -> QuerySet[Unit]:
        units = Unit.objects.all()
        return units if self.organisation else units.filter(pk__in=self.administered_unit_ids)

    @property
    def administers_any(self) -> bool:
        return self.organisation or bool(self.administered_unit_ids)

    def administered_unit(self, unit_id) -> Unit:
        """The unit, if this user administers it; 404 otherwise (also for no such unit)."""
        unit = self.administered_units().filter(pk=unit_id).first()
        if unit is None:
            raise Http404
        return unit


def access_of(user) -> StaffAccess | None:
    """What a signed-in member of staff may do; None for anyone else (and for inactive users)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    official = official_of(user)
    served = administered = frozenset()
    if official is not None:
        served = frozenset(official.units.values_list("pk", flat=True))
        administered = frozenset(official.administers.values_list("pk", flat=True))
    organisation = user.is_superuser or user.has_perm(ORGANISATION_PERMISSION)
    if official is None and not organisation:
        return None
    return StaffAccess(user, official, served, administered, organisation)


def official_of(user) -> Official | None:
    """The official a signed-in, active user is, if any."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return Official.objects.filter(user=user).first()


def can_serve(official: Official | None, unit_id: int) -> bool:
    """An official serves the appointments of their own units, and nothing else."""
    return official is not None and official.units.filter(pk=unit_id).exists()
