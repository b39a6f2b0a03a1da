from django.db import models


class Counter(models.Model):
    """The events counted for one key in one fixed window (``<key>:<seconds>:<window number>``)."""

    bucket = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)  # the window's end: then it is deleted

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"
