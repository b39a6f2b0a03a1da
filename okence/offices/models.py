"""Who offers what, and when: administrative units, their services, officials and hours."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Units of the bilingual areas, where Italian (Koper, Izola, Piran) or Hungarian (Lendava) are
# official languages beside Slovenian: they offer every language of the site by default.
BILINGUAL_UNITS = frozenset({"koper", "izola", "piran", "lendava"})
DEFAULT_LANGUAGES = ["sl", "en"]


def default_languages(slug: str) -> list[str]:
    if slug in BILINGUAL_UNITS:
        return [code for code, _ in settings.LANGUAGES]
    return list(DEFAULT_LANGUAGES)


class Unit(models.Model):
    """An administrative unit (upravna enota): the office whose counter goes online."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # Shown to citizens who can no longer change an appointment online.
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=50, default="Europe/Ljubljana")
    languages = models.JSONField(
        _("languages"),
        default=list,
        blank=True,
        help_text=_(
            "The languages the unit serves citizens in; empty: Slovenian and English, or all "
            "four in the bilingual areas."
        ),
    )

    class Meta:
        # By the Slovenian name (offices/translation.py adds name_sl): "name" would order by
        # the page's language, where a unit without that translation has none.
        ordering = ["name_sl"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.languages:
            self.languages = default_languages(self.slug)
        if "sl" not in self.languages:  # Slovenian is official everywhere
            self.languages = ["sl", *self.languages]
        super().save(*args, **kwargs)

    def clean(self):
        known = {code for code, _ in settings.LANGUAGES}
        if not isinstance(self.languages, list) or not set(self.languages) <= known:
            raise ValidationError({"languages": _("Choose languages of the site.")})

    @property
    def offered_languages(self) -> list[str]:
        """The unit's languages in the site's order."""
        chosen = set(self.languages or default_languages(self.slug)) | {"sl"}
        return [code for code, _ in settings.LANGUAGES if code in chosen]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


MAX_SERVICE_MINUTES = 12 * 60  # an appointment fits in a day's hours; availability relies on it


class Service(models.Model):
    """A service a unit offers at the virtual counter, with its booking rules."""

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="services", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"))
    description = models.TextField(_("description"), blank=True)
    preparation = models.TextField(_("what to prepare"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(MAX_SERVICE_MINUTES)],
    )
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=120)
    max_advance_days = models.PositiveSmallIntegerField(
        _("maximum advance (days)"), default=30, validators=[MinValueValidator(1)]
    )
    cancel_cutoff_minutes = models.PositiveIntegerField(
        _("cancellation cut-off (minutes before)"),
        default=0,
        help_text=_("How long before the appointment the citizen may still cancel it."),
    )
    # Empty: that reminder is not sent. The first is meant for the day before, the second for
    # the last hour; a booking made when a reminder's time has passed does not get it.
    first_reminder_minutes = models.PositiveIntegerField(
        _("first reminder (minutes before)"),
        default=24 * 60,
        null=True,
        blank=True,
        help_text=_("Empty: no first reminder."),
    )
    second_reminder_minutes = models.PositiveIntegerField(
        _("second reminder (minutes before)"),
        default=60,
        null=True,
        blank=True,
        help_text=_("Empty: no second reminder."),
    )
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["unit", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "slug"], name="service_slug_unique_in_unit"),
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=5, duration_minutes__lte=MAX_SERVICE_MINUTES
                ),
                name="service_duration_5_minutes_to_12_hours",
            ),
        ]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"

    @property
    def duration(self) -> datetime.timedelta:
        return datetime.timedelta(minutes=self.duration_minutes)


class Official(models.Model):
    """A member of staff who serves citizens at the virtual counter of one or more units."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="official", verbose_name=_("user")
    )
    units = models.ManyToManyField(Unit, related_name="officials", verbose_name=_("units"))
    services = models.ManyToManyField(
        Service, related_name="officials", blank=True, verbose_name=_("services offered")
    )
    administers = models.ManyToManyField(
        Unit,
        related_name="administrators",
        blank=True,
        verbose_name=_("administers"),
        help_text=_("Units whose services, hours and statistics this person manages."),
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        verbose_name = _("official")
        verbose_name_plural = _("officials")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """One block of an official's weekly hours at the virtual counter, in the unit's local time."""

    official = models.ForeignKey(
        Official, models.CASCADE, related_name="hours", verbose_name=_("official")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["official", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="working_hours_start_before_end"
            ),
        ]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("The hours must end after they start."))


class Closure(models.Model):
    """Days when a unit's virtual counter is closed, beyond the public holidays."""

    unit = models.ForeignKey(Unit, models.CASCADE, related_name="closures", verbose_name=_("unit"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["unit", "first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")),
                name="closure_first_day_not_after_last",
            ),
        ]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.unit}: {self.first_day}–{self.last_day}"


class Leave(models.Model):
    """Days an official is away (leave, sick days): they take no appointments on them."""

    official = models.ForeignKey(
        Official, models.CASCADE, related_name="leave", verbose_name=_("official")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["official", "first_day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_day__lte=models.F("last_day")),
                name="leave_first_day_not_after_last",
            ),
        ]
        verbose_name = _("leave")
        verbose_name_plural = _("leave")

    def __str__(self) -> str:
        return f"{self.official}: {self.first_day}–{self.last_day}"


class ChangedHours(models.Model):
    """An official's hours on one date, replacing their weekly hours for that day."""

    official = models.ForeignKey(
        Official, models.CASCADE, related_name="changed_hours", verbose_name=_("official")
    )
    day = models.DateField(_("day"))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["official", "day", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="changed_hours_start_before_end"
            ),
        ]
        verbose_name = _("changed hours")
        verbose_name_plural = _("changed hours")

    def __str__(self) -> str:
        return f"{self.official}: {self.day} {self.start:%H:%M}–{self.end:%H:%M}"
