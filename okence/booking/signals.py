"""Signals of the booking app, for apps that follow appointments without booking knowing them.

``appointment_changed`` is sent after a booking is confirmed, cancelled or moved (the meetings
app forwards it to the officials' consoles).

``status_moved`` is sent after the transaction that moved one appointment's status commits
(``states.move``), with ``appointment_id``, the new state ``to`` and the ``now`` of the move.
Sweeps of many appointments (``states.move_all``: lapsed holds) send nothing.

``appointment_moved`` is sent inside the transaction that moved a booked appointment to another
time (``services.reschedule``), with ``appointment_id`` and the ``now`` of the move, so that what
was scheduled for the old time is withdrawn with it (the reminders not yet sent). A receiver that
fails rolls the move back. ``appointment_changed`` follows once it commits.

``personal_data_forgotten`` is sent inside the retention job's transaction, after the contact
details of appointments were blanked: apps that keep more personal data about those appointments
(the name shown in the meeting room, the names of exchanged files) blank it too, at the same time
and under the same rule. A receiver that fails rolls the whole run back, so nothing is left half
forgotten; the next run tries again.
"""

from django.dispatch import Signal

appointment_changed = Signal()  # sender=Appointment, appointment=<Appointment>
status_moved = Signal()  # sender=Appointment, appointment_id=<int>, to=<Status>, now=<datetime>
appointment_moved = Signal()  # sender=Appointment, appointment_id=<int>, now=<datetime>
personal_data_forgotten = Signal()  # sender=Appointment, appointment_ids=<list of int>
