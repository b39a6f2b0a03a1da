"""The shared folders on S3-compatible storage, chosen by configuration alone.

moto's S3 server runs in a thread on a free port; the storage configuration is the one
okence/settings.py builds from EXCHANGE_S3_BUCKET and the AWS_* variables, so what is tested is
what production gets from its environment.
"""

import io
import runpy
import uuid
import zipfile

import boto3
import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from okence.exchange import services, tasks
from okence.exchange.models import Role, SharedFile, SharedFolder
from okence.exchange.tests.conftest import add, docx_bytes, meeting_for, pdf_bytes
from okence.exchange.tests.test_upload import citizen_url, get, official_url, session_cookie, upload
from okence.meetings import services as meetings

pytestmark = pytest.mark.django_db(transaction=True)

SETTINGS_FILE = django_settings.BASE_DIR / "okence" / "settings.py"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, exchange_storage):
    """A fresh bucket, and the exchange storage pointed at it as settings.py would: (client,
    bucket name)."""
    name = f"okence-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    environment = {
        "EXCHANGE_S3_BUCKET": name,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    configured = runpy.run_path(str(SETTINGS_FILE))["STORAGES"]["exchange"]
    assert configured["BACKEND"] == "storages.backends.s3.S3Storage"
    assert configured["OPTIONS"]["file_overwrite"] is False
    settings.STORAGES = {**settings.STORAGES, "exchange": configured}
    yield client, name
    assert not any(exchange_storage.rglob("*")), "a file went to the local disk"


def keys(client, name: str) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])]


def test_files_round_trip_through_s3_and_the_purge_deletes_them(bucket, folder, meeting, ana):
    client, name = bucket
    document, attachment = pdf_bytes(text="Vloga"), docx_bytes()
    first = add(folder, document, "vloga.pdf")
    second = add(folder, attachment, "priloga.docx", services.Visitor(Role.OFFICIAL, ana.user))

    assert sorted(keys(client, name)) == sorted([first.stored_name, second.stored_name])
    stored = client.get_object(Bucket=name, Key=first.stored_name)["Body"].read()
    assert stored == document
    with services.storage().open(second.stored_name) as opened:
        assert opened.read() == attachment
    with zipfile.ZipFile(services.zip_of([first, second])) as archive:
        assert archive.read("vloga.pdf") == document
        assert archive.read("priloga.docx") == attachment

    assert services.purge(folder, timezone.now()) == 2
    assert client.list_objects_v2(Bucket=name)["KeyCount"] == 0
    assert not SharedFile.objects.exists()


def test_uploads_and_downloads_over_http_with_s3(bucket, asgi_server, folder, meeting, ana):
    client, name = bucket
    document = pdf_bytes(pages=3, text="Odločba")
    answer = upload(asgi_server, citizen_url(meeting, "upload"), document, "odločba.pdf")
    assert answer.status == 201, answer.body
    file = SharedFile.objects.get()
    assert keys(client, name) == [file.stored_name]

    downloaded = get(
        asgi_server,
        official_url(meeting, "download") + f"?id={file.pk}",
        cookie=session_cookie(ana.user),
    )
    assert downloaded.status == 200
    assert downloaded.body == document
    assert downloaded.header("Content-Type") == "application/pdf"
    assert "sandbox" in downloaded.header("Content-Security-Policy")

    other = add(folder, docx_bytes(), "priloga.docx")
    archive = get(asgi_server, citizen_url(meeting, "download") + f"?id={file.pk}&id={other.pk}")
    with zipfile.ZipFile(io.BytesIO(archive.body)) as opened:
        assert opened.read("odločba.pdf") == document


def test_the_periodic_purge_empties_the_bucket(bucket, folder, meeting, ana, marko, service, clock):
    client, name = bucket
    add(folder, pdf_bytes(), "vloga.pdf")
    later = meeting_for(marko, service, meeting.appointment.start)
    later_folder = services.create_folder(later.appointment, marko, timezone.now())
    kept = add(later_folder, pdf_bytes(), "ostane.pdf")
    meetings.end(meeting.appointment, ana, timezone.now())  # the other one runs on

    clock.move_to(services.ends_at(SharedFolder.objects.get(pk=folder.pk)))
    assert services.purge_due(timezone.now()) == 1
    assert keys(client, name) == [kept.stored_name]

    clock.move_to(services.ends_at(SharedFolder.objects.get(pk=later_folder.pk)))
    tasks.purge_folders.call_local()
    assert client.list_objects_v2(Bucket=name)["KeyCount"] == 0
    assert not SharedFile.objects.exists()
