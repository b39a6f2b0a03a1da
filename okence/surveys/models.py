"""The satisfaction survey after a meeting.

A ticket says that an appointment may be answered for, once, until it expires. An answer keeps
what the statistics need (unit, service, official, the day) and nothing that identifies the
citizen: it has no link to the appointment or its ticket.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment
from okence.offices.models import Official, Service, Unit


class Ticket(models.Model):
    appointment = models.OneToOneField(Appointment, models.CASCADE, related_name="survey_ticket")
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self) -> str:
        return f"survey ticket of appointment {self.appointment_id}"


class Rating(models.IntegerChoices):
    VERY_POOR = 1, _("Very poor")
    POOR = 2, _("Poor")
    FAIR = 3, _("Fair")
    GOOD = 4, _("Good")
    EXCELLENT = 5, _("Excellent")


class Answer(models.Model):
    unit = models.ForeignKey(
        Unit, models.CASCADE, related_name="survey_answers", verbose_name=_("unit")
    )
    service = models.ForeignKey(
        Service,
        models.SET_NULL,
        null=True,
        related_name="survey_answers",
        verbose_name=_("service"),
    )
    official = models.ForeignKey(
        Official,
        models.SET_NULL,
        null=True,
        related_name="survey_answers",
        verbose_name=_("official"),
    )
    meeting_day = models.DateField(_("day of the meeting"))
    rating = models.PositiveSmallIntegerField(
        _("overall experience"),
        choices=Rating.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("message"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-meeting_day", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"
            ),
        ]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")

    def __str__(self) -> str:
        return f"{self.unit}, {self.meeting_day}: {self.rating}"
