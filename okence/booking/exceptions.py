"""Why a booking step was refused. Each carries the message the citizen reads."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class BookingError(Exception):
    message = _("Something went wrong. Please try again.")

    def __str__(self) -> str:
        return str(self.message)


class SlotTaken(BookingError):
    message = _("This time was just taken. Please choose another one; your details are kept.")


class TooManyHolds(BookingError):
    message = _(
        "Too many reservations and codes were asked for from your connection. "
        "Please try again later."
    )


class HoldExpired(BookingError):
    message = _(
        "The reservation has expired, so the time is free again. Please choose a time "
        "again; your details are kept."
    )


class CodeExpired(BookingError):
    message = _("The code has expired. Ask for a new one with “Send me the code again”.")


class CodeLocked(BookingError):
    message = _(
        "The code was entered wrongly too many times, so the reservation was released. "
        "Please choose a time again; your details are kept."
    )


class WrongCode(BookingError):
    def __init__(self, remaining: int):
        super().__init__(remaining)
        self.remaining = remaining

    @property
    def message(self) -> str:  # type: ignore[override]
        return ngettext(
            "The code is not correct. You have %(n)d more try.",
            "The code is not correct. You have %(n)d more tries.",
            self.remaining,
        ) % {"n": self.remaining}


class ResendTooSoon(BookingError):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self) -> str:  # type: ignore[override]
        return ngettext(
            "A new code can be sent in %(n)d second.",
            "A new code can be sent in %(n)d seconds.",
            self.seconds,
        ) % {"n": self.seconds}


class NotCancellable(BookingError):
    message = _("This appointment can no longer be cancelled.")


class NotMovable(BookingError):
    message = _("This appointment can no longer be moved online.")


class SameTime(BookingError):
    message = _("Your appointment is already at this time. Please choose another one.")


class NotMarkable(BookingError):
    message = _("Only a booked appointment that has started can be marked as a no-show.")
