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
from okence.exchange.models import FileEvent, Role, SharedFile, SharedFolder, Upload
from okence.meetings import events
from okence.meetings import services as meetings
from okence.meetings.exceptions import NotAllowed, WrongState
from okence.offices.access import can_serve

logger = logging.getLogger(__name__)


def storage():
    return storages["exchange"]


class Busy(Refused):
    """Not now: too many uploads into the folder or from the uploader are under way."""


class Closed(Refused):
    """No more uploads from this visitor into this folder: too many of theirs were refused."""


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


def check_room_for(folder: SharedFolder, size: int | None, *, pending=(0, 0)) -> None:
    """Refuse at once what cannot fit: too many files, or a declared size over a limit.
    ``pending`` is the files and bytes of uploads under way that hold room in the folder."""
    if not available(folder):
        raise Refused(_("This folder is no longer available."), "folder gone")
    count, total = used(folder)
    if count + pending[0] >= settings.EXCHANGE_MAX_FILES:
        raise Refused(
            _("The folder is full: it holds at most %(n)d files.")
            % {"n": settings.EXCHANGE_MAX_FILES},
            "too many files",
        )
    if size is not None:
        check_size(size, total + pending[1])


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


def reserve(
    folder: SharedFolder,
    visitor: Visitor,
    uploader: str,
    name: str,
    size: int,
    now: datetime.datetime,
) -> Upload:
    """Claim room for an upload of ``size`` bytes before its body is read, so that no more
    bodies are written to disk than can enter the folder; ``release`` it when the upload ends.

    Closed when the visitor has had too many uploads refused here, Busy when too many uploads
    into the folder or from the uploader are under way (neither is audited: they are not about
    a file, and so cannot grow the trail); Refused (and audited) when it cannot fit."""
    refused = FileEvent.objects.filter(
        appointment_id=folder.appointment_id, action=FileEvent.Action.REFUSED, actor=visitor.role
    )
    if refused.count() >= settings.EXCHANGE_MAX_REFUSED:
        raise Closed(
            _("Too many of your files were refused; you cannot upload into this folder any more."),
            "too many refused",
        )
    try:
        with transaction.atomic():
            # Lock the folder, then count: two uploads at once cannot both take the last place.
            locked = SharedFolder.objects.select_for_update().get(pk=folder.pk)
            Upload.objects.filter(until__lte=now).delete()
            under_way = Upload.objects.filter(folder=locked)
            if (
                under_way.count() >= settings.EXCHANGE_UPLOADS_PER_FOLDER
                or Upload.objects.filter(uploader=uploader).count()
                >= settings.EXCHANGE_UPLOADS_PER_ADDRESS
            ):
                raise Busy(
                    _("Other uploads are under way. Please try again when they have finished."),
                    "busy",
                )
            pending = under_way.aggregate(count=Count("pk"), size=Sum("size"))
            check_room_for(locked, size, pending=(pending["count"], pending["size"] or 0))
            # Whatever happens to the process, the claim lapses once the upload could not
            # still be running.
            seconds = settings.EXCHANGE_UPLOAD_SECONDS + settings.EXCHANGE_CHECK_SECONDS + 60
            return Upload.objects.create(
                folder=locked,
                uploader=uploader,
                size=size,
                until=now + datetime.timedelta(seconds=seconds),
            )
    except (Busy, Closed):
        raise
    except Refused as refusal:
        refuse(folder, visitor, name, refusal, now)
        raise


def release(upload: Upload) -> None:
    Upload.objects.filter(pk=upload.pk).delete()


def inspect(path: str, name: str) -> str:
    """Check a received file's content (no database): the content type to serve it with, or
    Refused. Slow and fed by strangers: the upload runs it in a worker process (inspection)."""
    content_type = checks.verify(path, name)
    if virus_scan.enabled():
        try:
            virus_scan.scan(path)
        except virus_scan.Infected as infection:
            logger.warning("exchange_file_infected", extra={"signature": infection.signature})
            raise Refused(
                _("The file contains a virus and was refused."),
                f"infected: {infection.signature}",
            ) from infection
        except virus_scan.ScannerUnavailable as error:
            raise Refused(
                _("The file cannot be checked for viruses at the moment. Please try again later."),
                "scanner unavailable",
            ) from error
    return content_type


def add_file(
    folder: SharedFolder,
    visitor: Visitor,
    path: str,
    name: str,
    size: int,
    sha256: str,
    now: datetime.datetime,
) -> SharedFile:
    """Check a received file and put it in the folder; Refused (and audited) otherwise. The
    checks run here, in this thread (the upload runs them in a worker process instead)."""
    try:
        clean = checks.clean_name(name)
        check_room_for(folder, size)
        content_type = inspect(path, clean)
    except Refused as refusal:
        refuse(folder, visitor, name, refusal, now)
        raise
    stored_name = keep(folder.appointment.public_id.hex, path)
    return store(folder, visitor, stored_name, clean, content_type, size, sha256, now)


def keep(prefix: str, path: str) -> str:
    """Put a checked file into the storage under a random name (after ``prefix``/); the name.
    No database: the upload runs it off the database thread, as a remote storage may take
    seconds for a large file."""
    with open(path, "rb") as content:
        return storage().save(f"{prefix}/{secrets.token_hex(16)}", ReceivedFile(content))


def store(
    folder: SharedFolder,
    visitor: Visitor,
    stored_name: str,
    name: str,
    content_type: str,
    size: int,
    sha256: str,
    now: datetime.datetime,
) -> SharedFile:
    """Enter a checked file, ``keep``-ed under ``stored_name``, into the folder (``name`` clean,
    ``content_type`` from ``inspect``); Refused (and audited, the content deleted) when it no
    longer fits."""
    try:
        with transaction.atomic():
            # Lock the folder, then check the limits again: two uploads at once cannot both fit.
            locked = SharedFolder.objects.select_for_update().get(pk=folder.pk)
            check_room_for(locked, size)
            file = SharedFile.objects.create(
                folder=locked,
                name=name,
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
                file_name=name,
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
    """The periodic job: purge every folder whose time is up. The folders purged.

    Uploads left under way by a process that died lapse here too (they name the uploader's
    address), even when no later upload comes to clear them.
    """
    Upload.objects.filter(until__lte=now).delete()
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
