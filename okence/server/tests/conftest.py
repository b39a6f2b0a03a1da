"""The production arrangement, started once for the tests that run through it (``-m production``).

Needs PostgreSQL (DATABASE_URL), Redis (REDIS_URL, a database of its own: it is flushed) and
Debian's nginx; see okence/server/tests/arrangement.py.
"""

import shutil

import pytest
import redis
from django.conf import settings

from okence.meetings.tests.test_across_workers import worker_database_url
from okence.server.tests.arrangement import Arrangement

# The marks of every test that runs through the arrangement.
PRODUCTION = [
    pytest.mark.production,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs REDIS_URL (a Redis database of its own: it is flushed) for the workers",
    ),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (DATABASE_URL=postgres://...), as production runs",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def arrangement(django_db_setup, django_db_blocker, tmp_path_factory):
    if shutil.which("nginx") is None:
        pytest.skip("needs Debian's nginx (apt-get install nginx); .ci/run installs it")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    started = Arrangement(
        tmp_path_factory.mktemp("production"),
        {
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            # The tests sign officials in with sessions made here, signed with this key.
            "SECRET_KEY": settings.SECRET_KEY,
        },
    )
    try:
        yield started
    finally:
        started.stop()
        print(started.logs())  # shown when a test fails
        client.flushdb()
        client.close()
