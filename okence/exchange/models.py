"""The shared folder of a meeting: files both sides exchange, gone after the session."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from okence.booking.models import Appointment


class Role(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    OFFICIAL = "official", _("official")


class SharedFolder(models.Model):
    """One appointment's folder. After the purge only this row stays, to say the files are gone."""

    appointment = models.OneToOneField(
        Appointment, models.CASCADE, related_name="folder", verbose_name=_("appointment")
    )
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    purged_at = models.DateTimeField(_("files deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("shared folder")
        verbose_name_plural = _("shared folders")

    def __str__(self) -> str:
        return f"folder of appointment {self.appointment_id}"


class SharedFile(models.Model):
    """A file in a folder, stored under a random name; its own name is only shown."""

    folder = models.ForeignKey(SharedFolder, models.CASCADE, related_name="files")
    name = models.CharField(_("name"), max_length=150)
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.CharField(_("uploaded by"), max_length=10, choices=Role.choices)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("shared file")
        verbose_name_plural = _("shared files")

    def __str__(self) -> str:
        return self.name


class Upload(models.Model):
    """An upload under way. From before its body is read until it is stored or refused, it holds
    its declared size of the folder's room and one of the places the folder and the uploader
    (a citizen's address, an official's sign-in) have for uploads at once. Deleted when the
    upload ends; one left by a process that died lapses at ``until``."""

    folder = models.ForeignKey(SharedFolder, models.CASCADE, related_name="uploads")
    uploader = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"upload of {self.size} bytes into {self.folder}"


class FileEvent(models.Model):
    """The audit trail: who created the folder, who uploaded or downloaded which file and when,
    what was refused, and when the files were deleted. Metadata only, never content."""

    class Action(models.TextChoices):
        FOLDER_CREATED = "folder_created", _("folder created")
        UPLOADED = "uploaded", _("uploaded")
        DOWNLOADED = "downloaded", _("downloaded")
        REFUSED = "refused", _("refused")
        PURGED = "purged", _("deleted after the session")

    appointment = models.ForeignKey(Appointment, models.CASCADE, related_name="file_events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    file_name = models.CharField(_("file"), max_length=150, blank=True)
    actor = models.CharField(_("by"), max_length=10, choices=Role.choices, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"))

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("file event")
        verbose_name_plural = _("file events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.file_name}".strip()
