# The real-browser fixtures of the booking tests, for the legal pages' browser tests.
from okence.booking.tests.conftest import browser, page  # noqa: F401
