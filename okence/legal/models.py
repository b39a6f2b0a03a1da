from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessibilityFeedback(models.Model):
    """A report of an accessibility problem from the statement's form, kept for the
    organisation's answer (LEGAL_KEEP_FEEDBACK_DAYS) even if its e-mail is lost."""

    name = models.CharField(_("Your name"), max_length=200, blank=True)
    email = models.EmailField(_("Your e-mail address"), max_length=254)
    page = models.CharField(_("Page with the problem"), max_length=500, blank=True)
    message = models.TextField(_("Describe the problem"), max_length=5000)
    language = models.CharField(max_length=8)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("accessibility feedback")
        verbose_name_plural = _("accessibility feedback")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M}"
