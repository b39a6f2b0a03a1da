"""The shared folder's audit records keep what happened, not what a file was called, once the
appointment's personal data is forgotten (booking.retention): a file name may name a person."""

from okence.exchange.models import FileEvent


def forget_file_names(appointment_ids: list[int]) -> int:
    """Blank the file names and details in the audit records of these appointments."""
    return (
        FileEvent.objects.filter(appointment__in=appointment_ids)
        .exclude(file_name="", detail="")
        .update(file_name="", detail="")
    )
