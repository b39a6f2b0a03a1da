"""/healthz says the process answers; /readyz whether it can serve, and if not, what fails."""

import json
import os

import pytest
from channels.testing import HttpCommunicator
from huey.storage import RedisStorage

from okence.meetings.tests.server_process import free_port

FOREIGN_HOST = [(b"host", b"10.0.0.7:8000")]  # a load balancer's probe, by the backend's address


async def get(path: str, headers=FOREIGN_HOST) -> tuple[int, dict]:
    from okence.asgi import application

    communicator = HttpCommunicator(application, "GET", path, headers=headers)
    response = await communicator.get_response(timeout=15)
    return response["status"], json.loads(response["body"])


def closed_port_url(scheme: str) -> str:
    return f"{scheme}://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.mark.asyncio
async def test_liveness_answers_without_the_database_for_any_host():
    # No database access is allowed in this test: pytest-django would make any query fail.
    assert await get("/healthz") == (200, {"status": "ok"})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_is_ok_when_everything_answers():
    assert await get("/readyz") == (200, {"status": "ok"})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_fails_on_the_database(monkeypatch):
    from django.db import connections

    database = connections["default"]
    if database.vendor == "sqlite":
        monkeypatch.setitem(database.settings_dict, "NAME", "/nonexistent/okence.sqlite3")
    else:
        monkeypatch.setitem(database.settings_dict, "PORT", str(free_port()))
    assert await get("/readyz") == (503, {"status": "unavailable", "failed": ["database"]})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_fails_on_redis_when_it_is_configured(settings):
    settings.REDIS_URL = closed_port_url("redis")
    assert await get("/readyz") == (503, {"status": "unavailable", "failed": ["redis"]})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_fails_when_uploads_cannot_be_stored(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = settings.STORAGES | {
        "exchange": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "exchange")},  # under a file: no writes
        }
    }
    assert await get("/readyz") == (503, {"status": "unavailable", "failed": ["storage"]})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_fails_when_the_job_queue_is_unreachable(monkeypatch):
    from huey.contrib.djhuey import HUEY

    monkeypatch.setattr(HUEY, "storage", RedisStorage("okence", url=closed_port_url("redis")))
    assert await get("/readyz") == (503, {"status": "unavailable", "failed": ["queue"]})


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_readiness_leaves_no_file_in_the_storage(settings, tmp_path):
    settings.STORAGES = settings.STORAGES | {
        "exchange": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        }
    }
    assert (await get("/readyz"))[0] == 200
    assert list(tmp_path.iterdir()) == []


@pytest.mark.redis
@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
async def test_readiness_pings_redis_when_it_is_configured(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert await get("/readyz") == (200, {"status": "ok"})


def test_a_django_page_still_checks_the_host(client):
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400
