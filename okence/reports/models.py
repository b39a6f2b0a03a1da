"""Statistics are computed from the other apps' data; this app keeps only its permission."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Statistics(models.Model):
    """No table: a home for the permission to read every unit's statistics."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_all_units", _("Can read the statistics of every unit"))]

    def __str__(self) -> str:
        return "statistics"
