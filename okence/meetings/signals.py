"""Signals of the meetings app. ``meeting_ended`` is sent when the official ends a meeting, with
the appointment (its status says completed or no_show); the surveys app invites an answer."""

from django.dispatch import Signal

meeting_ended = Signal()  # sender=Appointment, appointment=<Appointment>
