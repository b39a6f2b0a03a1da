"""Signals of the outbox, for apps whose deadlines depend on when their mail can arrive.

``email_delayed`` is sent after a delivery attempt failed and another is scheduled, with
``email_id`` (the ``Email``'s primary key), ``retry_at`` (when the next attempt is due) and
``now`` (when the attempt failed). It is not sent when the outbox gives up on a message.
"""

from django.dispatch import Signal

email_delayed = Signal()  # sender=Email, email_id=<int>, retry_at=<datetime>, now=<datetime>
