"""Why a meeting step was refused. The code goes to the WebSocket client; the message to people."""

from django.utils.translation import gettext_lazy as _


class MeetingError(Exception):
    code = "refused"
    message = _("This is not possible now.")

    def __str__(self) -> str:
        return str(self.message)


class NotOpenYet(MeetingError):
    code = "not_open"
    message = _("The meeting is not open yet.")


class MeetingOver(MeetingError):
    code = "over"
    message = _("This meeting has ended or was cancelled.")


class WrongState(MeetingError):
    code = "wrong_state"
    message = _("Someone else has just changed this meeting. The page shows how it stands now.")


class NotAllowed(MeetingError):
    code = "forbidden"
    message = _("You may not do this.")


class ChatFull(MeetingError):
    code = "chat_full"
    message = _("This meeting's chat is full: no more messages can be added.")
