"""What a check worker needs, imported once by the fork server the workers are forked from
(``inspection``): Django set up and the checks' libraries loaded, so that a new worker (the first,
or one that replaces a killed one) starts ready instead of spending seconds on imports."""

import django

django.setup()

from okence.exchange import services  # noqa: E402, F401  (the checks and their libraries)
