"""The public API of the exchange app: the shared folder of a meeting and its files.

A folder belongs to one appointment. The citizen reaches it through the meeting token, the
official through their sign-in and unit; nobody else. Files are checked before they enter,
stored under random names through Django's storage API, and deleted after the session.
"""

import datetime
import logging
import secrets
import tempfile
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from okence.booking.models import Appointment, Status
from okence.exchange import checks, virus_scan
from okence.exchange.checks import Refused
from okence.exchange.models import FileEvent, Role, SharedFile, SharedFolder
from okence.meetings import events
from okence.meetings import services as meetings
from okence.meetings.exceptions import NotAllowed, WrongState
from okence.offices.access import can_serve

logger = logging.getLogger(__name__)


def storage():
    return storages["exchange"]


@dataclass(frozen=True)
class Visitor:
    """Who is in a folder: the citizen (by token) or an official (by sign-in)."""

    role: str
    user: object = None

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


class ReceivedFile(File):
    """An upload already on disk: a local storage moves it into place instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def folder_group(appointment_id: int) -> str:
    return f"folder.{appointment_id}"


def _announce(folder: SharedFolder) -> None:
    """Both sides' folder pages and meeting panels refresh their list."""
    message = {"type": "folder.changed", "folder": folder.pk}
    events.send(folder_group(folder.appointment_id), message)
    events.send(events.room_group(folder.appointment_id), {"type": "room.folder"})


def create_folder(appointment: Appointment, official, now: datetime.datetime) -> SharedFolder:
    """The official creates the meeting's folder (once); its link is posted into the chat."""
    if not can_serve(official, appointment.unit_id):
        raise NotAllowed
    if appointment.status != Status.IN_MEETING:
        raise WrongState
    folder, created = SharedFolder.objects.get_or_create(
        appointment=appointment, defaults={"created_at": now, "created_by": official.user}
    )
    if created:
        FileEvent.objects.create(
            appointment=appointment,
            action=FileEvent.Action.FOLDER_CREATED,
            actor=Role.OFFICIAL,
            user=official.user,
            at=now,
        )
        meetings.post(appointment, "official", _("Shared folder"), now, kind="folder")
    return folder


def available(folder: SharedFolder | None) -> bool:
    return folder is not None and folder.purged_at is None


def used(folder: SharedFolder) -> tuple[int, int]:
    """Files in the folder and their bytes."""
    totals = folder.files.aggregate(count=Count("pk"), size=Sum("size"))
    return totals["count"], totals["size"] or 0


def check_room_for(folder: SharedFolder, size: int | None) -> None:
    """Refuse at once what cannot fit: too many files, or a declared size over a limit."""
    if not available(folder):
        raise Refused(_("This folder is no longer available."), "folder gone")
    count, total = used(folder)
    if count >= settings.EXCHANGE_MAX_FILES:
        raise Refused(
            _("The folder is full: it holds at most %(n)d files.")
            % {"n": settings.EXCHANGE_MAX_FILES},
            "too many files",
        )
    if size is not None:
        check_size(size, total)


def check_size(size: int, folder_total: int = 0) -> None:
    if size > settings.EXCHANGE_MAX_FILE_BYTES:
        raise Refused(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.EXCHANGE_MAX_FILE_BYTES // 2**20},
            "file too large",
        )
    if folder_total + size > settings.EXCHANGE_MAX_FOLDER_BYTES:
        raise Refused(
            _("There is not enough room left in the folder (at most %(mb)d MB).")
            % {"mb": settings.EXCHANGE_MAX_FOLDER_BYTES // 2**20},
            "folder full",
        )


def refuse(
    folder: SharedFolder, visitor: Visitor, name: str, refusal: Refused, now: datetime.datetime
) -> None:
    FileEvent.objects.create(
        appointment_id=folder.appointment_id,
        action=FileEvent.Action.REFUSED,
        file_name=name.replace("\x00", "\ufffd")[:150],  # PostgreSQL text cannot hold NUL
        actor=visitor.role,
        user_id=visitor.user_id,
        detail=refusal.detail[:200],
        at=now,
    )
    logger.info("exchange_file_refused", extra={"folder": folder.pk, "reason": refusal.detail})


def add_file(
    folder: SharedFolder,
    visitor: Visitor,
    path: str,
    name: str,
    size: int,
    sha256: str,
    now: datetime.datetime,
) -> SharedFile:
    """Check a received file and put it in the folder; Refused (and audited) otherwise."""
    try:
        clean = checks.clean_name(name)
        check_room_for(folder, size)
        content_type = checks.verify(path, clean)
        if virus_scan.enabled():
            try:
                virus_scan.scan(path)
            except virus_scan.Infected as infection:
                logger.warning(
                    "exchange_file_infected",
                    extra={"folder": folder.pk, "signature": infection.signature},
                )
                raise Refused(
                    _("The file contains a virus and was refused."),
                    f"infected: {infection.signature}",
                ) from infection
            except virus_scan.ScannerUnavailable as error:
                raise Refused(
                    _(
                        "The file cannot be checked for viruses at the moment. Please "
                        "try again later."
                    ),
                    "scanner unavailable",
                ) from error
    except Refused as refusal:
        refuse(folder, visitor, name, refusal, now)
        raise
    stored_name = f"{folder.appointment.public_id.hex}/{secrets.token_hex(16)}"
    with open(path, "rb") as content:
        stored_name = storage().save(stored_name, ReceivedFile(content))
    try:
        with transaction.atomic():
            # Lock the folder, then check the limits again: two uploads at once cannot both fit.
            locked = SharedFolder.objects.select_for_update().get(pk=folder.pk)
            check_room_for(locked, size)
            file = SharedFile.objects.create(
                folder=locked,
                name=clean,
                stored_name=stored_name,
                content_type=content_type,
                size=size,
                sha256=sha256,
                uploaded_by=visitor.role,
                uploader_id=visitor.user_id,
                created_at=now,
            )
            FileEvent.objects.create(
                appointment_id=folder.appointment_id,
                action=FileEvent.Action.UPLOADED,
                file_name=clean,
                actor=visitor.role,
                user_id=visitor.user_id,
                at=now,
            )
    except Refused as refusal:
        storage().delete(stored_name)
        refuse(folder, visitor, name, refusal, now)
        raise
    _announce(folder)
    return file


def downloaded(
    folder: SharedFolder, files: list[SharedFile], visitor: Visitor, now: datetime.datetime
) -> None:
    FileEvent.objects.bulk_create(
        FileEvent(
            appointment_id=folder.appointment_id,
            action=FileEvent.Action.DOWNLOADED,
            file_name=file.name,
            actor=visitor.role,
            user_id=visitor.user_id,
            at=now,
        )
        for file in files
    )


def zip_of(files: list[SharedFile]):
    """One ZIP of several files, built in a temporary file on disk (never in memory)."""
    archive_file = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115 (returned)
    names: set[str] = set()
    with zipfile.ZipFile(archive_file, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            name = _unique(file.name, names)
            with storage().open(file.stored_name) as source, archive.open(name, "w") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
    archive_file.seek(0)
    return archive_file


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        stem, _, extension = name.rpartition(".")
        number += 1
        candidate = f"{stem} ({number}).{extension}"
    taken.add(candidate)
    return candidate


def ends_at(folder: SharedFolder) -> datetime.datetime:
    """When the files go: the end of the meeting (or when it closes unended) plus the grace."""
    appointment = folder.appointment
    room = getattr(appointment, "room", None)
    end = (
        (room.ended_at if room and room.ended_at else None)
        or appointment.cancelled_at
        or meetings.closes_at(appointment)
    )
    return end + datetime.timedelta(minutes=settings.EXCHANGE_GRACE_MINUTES)


def purge(folder: SharedFolder, now: datetime.datetime) -> int:
    """Delete a folder's files from storage and the database; the folder row stays as a
    tombstone so that its link can say the files are gone. Idempotent; the files deleted."""
    files = list(folder.files.all())
    for file in files:
        storage().delete(file.stored_name)
    with transaction.atomic():
        SharedFile.objects.filter(pk__in=[file.pk for file in files]).delete()
        purged = SharedFolder.objects.filter(pk=folder.pk, purged_at=None).update(purged_at=now)
        if purged:
            FileEvent.objects.create(
                appointment_id=folder.appointment_id,
                action=FileEvent.Action.PURGED,
                detail=f"{len(files)} files",
                at=now,
            )
    if purged:
        _announce(folder)
    return len(files)


def purge_due(now: datetime.datetime) -> int:
    """The periodic job: purge every folder whose time is up. The folders purged."""
    # A purged folder that still holds files too: an upload that finished while it was purged.
    waiting = Q(purged_at=None) | Q(pk__in=SharedFile.objects.values("folder"))
    due = [
        folder
        for folder in SharedFolder.objects.filter(waiting).select_related("appointment__room")
        if ends_at(folder) <= now
    ]
    for folder in due:
        purge(folder, now)
    return len(due)
