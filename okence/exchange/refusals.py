"""Why a file may not enter a folder: the exception every check raises, and the refusals that
more than one kind of check gives."""

from django.utils.translation import gettext_lazy as _


class Refused(Exception):
    """The file may not enter the folder; ``message`` says why, for the person uploading."""

    def __init__(self, message, detail: str = ""):
        super().__init__(str(message))
        self.message = message
        self.detail = detail or str(message)


def damaged(kind: str, detail: str = "") -> Refused:
    return Refused(
        _("The file could not be read as %(kind)s; it may be damaged.") % {"kind": kind},
        detail or f"{kind} does not parse",
    )


def too_complex(detail: str) -> Refused:
    """More to unpack or walk than a check may spend on one file (a bomb, or simply too much)."""
    return Refused(
        _(
            "The file is too large or too complex to be checked safely; please send it in "
            "smaller parts."
        ),
        detail,
    )


def macros(detail: str) -> Refused:
    return Refused(_("Documents with macros are not accepted."), detail)
