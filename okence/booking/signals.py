"""Signals of the booking app, for apps that follow appointments without booking knowing them.

``appointment_changed`` is sent after a booking is confirmed or cancelled (the meetings app
forwards it to the officials' consoles).
"""

from django.dispatch import Signal

appointment_changed = Signal()  # sender=Appointment, appointment=<Appointment>
