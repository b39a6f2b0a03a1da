"""The meeting room's personal data goes with its appointment's (booking.retention)."""

from okence.meetings.models import Room


def forget_display_names(appointment_ids: list[int]) -> int:
    """Blank the name the citizen showed in the rooms of these appointments."""
    return (
        Room.objects.filter(appointment__in=appointment_ids)
        .exclude(display_name="")
        .update(display_name="")
    )
