"""The shared folder in two real browsers, during a call: create, open, upload, see live, download.

A citizen and an official are in a call (``admitted_call`` of the meeting browser tests: one
Chromium with a fake camera, a context each, uvicorn in a thread of this process). The official
creates the folder; its link appears in the chat of both sides; each side opens its own folder
page in a new tab. Files go up through the page's real upload (the PUT with progress), and come
down through the page's links and the "Download" form, compared byte for byte with what was sent.

The exchange storage is a folder of this test's own (``exchange_storage``, under ``tmp_path``).
The upload on the citizen's page is throttled (Chromium's network emulation) so that its
progress bar is seen part of the way. Both folder pages pass axe-core. Every call is hung up
before its context closes.
"""

import io
import os
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from okence.booking.tests.conftest import assert_accessible
from okence.exchange.models import SharedFile
from okence.exchange.tests.conftest import png_of_about, stored_files
from okence.meetings.tests.conftest import media_browser  # noqa: F401  (a fixture, re-exported)
from okence.meetings.tests.test_call_browser import (  # noqa: F401  (people: a fixture)
    STATE,
    admitted_call,
    people,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF_NAME = "vloga.pdf"
PNG_NAME = "odločba.png"
# The upload is throttled on the citizen's folder page (Chromium's network emulation), so that the
# progress bar is seen part of the way: ~400 KB at 800 KB/s takes about half a second.
UPLOAD_BYTES_PER_SECOND = 800_000

# In the page: every state the upload items go through, as the progress bar and its text show
# them (recorded by a MutationObserver, so that a fast upload cannot slip past an assertion).
WATCH_UPLOADS = """
() => {
  window.__uploadStates = [];
  const list = document.getElementById("uploads");
  const record = () => {
    for (const item of list.querySelectorAll(".upload-item")) {
      const bar = item.querySelector("progress");
      window.__uploadStates.push({
        state: item.dataset.state,
        value: bar ? bar.value : null,
        barShown: Boolean(bar && !bar.hidden && bar.getClientRects().length),
        text: item.querySelector(".upload-state")?.textContent ?? "",
      });
    }
  };
  new MutationObserver(record).observe(list, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  // A <progress> value is a property, not always an attribute: sample it too.
  const timer = setInterval(record, 20);
  window.__stopWatching = () => clearInterval(timer);
}
"""


def pdf_of_about(size: int) -> bytes:
    """A valid one-page PDF of about ``size`` bytes, as a scan is: a photo of random pixels (an
    attached file would pad it too, but PDFs with attachments are refused)."""
    side = int((size / 1.2) ** 0.5)  # a JPEG of noise at quality 95 takes ~1.2 bytes a pixel
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PDF", quality=95)
    return buffer.getvalue()


def row(page, name: str):
    return page.locator("#file-rows tr", has_text=name)


def open_in_new_tab(page, link):
    """Clicks a link that opens in a new tab; the new page, loaded."""
    with page.context.expect_page() as opened:
        link.click()
    new = opened.value
    new.wait_for_load_state()
    return new


def upload(page, path: Path) -> None:
    """As a person does: "Naloži" → "Datoteke", and the file chosen in the picker that opens."""
    page.get_by_role("button", name="Naloži", exact=True).click()
    files = page.get_by_role("button", name="Datoteke", exact=True)
    expect(files).to_be_visible()
    with page.expect_file_chooser() as chooser:
        files.click()
    assert chooser.value.element.get_attribute("id") == "file-input"
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(path))


def downloaded(page, trigger) -> tuple[str, bytes]:
    with page.expect_download() as download:
        trigger()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_files_go_both_ways_through_the_shared_folder_of_a_call(
    people,  # noqa: F811  (the meeting tests' fixture, imported above)
    ana,
    tmp_path,
    exchange_storage,
):
    pdf, png = pdf_of_about(400_000), png_of_about(300_000)
    sent = tmp_path / "sent"
    sent.mkdir()
    (sent / PDF_NAME).write_bytes(pdf)
    (sent / PNG_NAME).write_bytes(png)

    appointment, citizen, official = admitted_call(people, ana)

    # The official creates the folder; its link is posted in the chat of both sides.
    create = official.locator("#folder-create")
    expect(create).to_be_visible(timeout=STATE)
    create.click()
    for page in (official, citizen):
        expect(page.locator("#chat-log a.folder-link")).to_have_count(1, timeout=STATE)
        expect(page.locator("#folder-open")).to_be_visible(timeout=STATE)
    expect(create).to_be_hidden()
    citizen_link = citizen.locator("#chat-log a.folder-link")
    expect(citizen_link).to_have_attribute("target", "_blank")
    expect(citizen_link).to_have_attribute("href", f"/sestanek/{citizen_link_token(citizen)}/mapa/")

    # Each side opens its own folder page in a new tab: the citizen from the chat, the official
    # from the panel. The call goes on in the first tab.
    citizen_folder = open_in_new_tab(citizen, citizen_link)
    official_folder = open_in_new_tab(official, official.locator("#folder-open"))
    assert f"/uradnik/mapa/{appointment.public_id}/" in official_folder.url
    for page in (citizen_folder, official_folder):
        expect(page.locator("#no-files")).to_be_visible()
        expect(page.locator(".upload-menu")).to_be_visible()
    expect(citizen.locator("#meeting")).to_have_attribute("data-state", "call")

    # The citizen uploads a PDF, slowly enough that the progress bar is seen on its way.
    cdp = citizen_folder.context.new_cdp_session(citizen_folder)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
        },
    )
    citizen_folder.evaluate(WATCH_UPLOADS)
    upload(citizen_folder, sent / PDF_NAME)
    item = citizen_folder.locator("#uploads .upload-item", has_text=PDF_NAME)
    expect(item.locator("progress")).to_be_visible()
    expect(item).to_have_attribute("data-state", "done", timeout=STATE)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    states = citizen_folder.evaluate(
        "() => { window.__stopWatching(); return window.__uploadStates; }"
    )
    partway = [s for s in states if s["state"] == "uploading" and 0 < s["value"] < 100]
    assert partway, f"the progress bar was never seen part of the way: {states[-5:]}"
    assert all(s["barShown"] for s in partway), partway
    assert any("%" in s["text"] for s in partway), partway
    assert states[-1]["state"] == "done" and states[-1]["value"] == 100, states[-1]
    expect(row(citizen_folder, PDF_NAME)).to_be_visible()
    expect(row(citizen_folder, PDF_NAME).locator(".type")).to_have_text("PDF")

    # The official's folder page shows it without a reload, and so do both meeting panels.
    expect(row(official_folder, PDF_NAME)).to_be_visible(timeout=STATE)
    for page in (citizen, official):
        expect(page.locator("#folder-files")).to_contain_text(PDF_NAME, timeout=STATE)

    # The official downloads it: the very bytes the citizen sent.
    name, body = downloaded(
        official_folder, lambda: row(official_folder, PDF_NAME).get_by_role("link").click()
    )
    assert name == PDF_NAME
    assert body == pdf

    # The official uploads a PNG; the citizen's folder page shows it live.
    upload(official_folder, sent / PNG_NAME)
    expect(official_folder.locator("#uploads .upload-item", has_text=PNG_NAME)).to_have_attribute(
        "data-state", "done", timeout=STATE
    )
    expect(row(citizen_folder, PNG_NAME)).to_be_visible(timeout=STATE)
    expect(row(citizen_folder, PDF_NAME)).to_be_visible()  # added, not replaced

    # Stored where the test put the storage, two files, byte for byte.
    stored = {
        file.name: file for file in SharedFile.objects.filter(folder__appointment=appointment)
    }
    assert set(stored) == {PDF_NAME, PNG_NAME}
    assert len(stored_files(exchange_storage)) == 2
    for original, data in ((PDF_NAME, pdf), (PNG_NAME, png)):
        assert (exchange_storage / stored[original].stored_name).read_bytes() == data

    # The citizen selects both and downloads them: one ZIP of the two, as they were sent.
    for name in (PDF_NAME, PNG_NAME):
        row(citizen_folder, name).locator("input[type=checkbox]").check()
    expect(citizen_folder.locator("#select-all")).to_be_checked()
    download = citizen_folder.get_by_role("button", name="Prenesi", exact=True)
    expect(download).to_be_enabled()
    name, body = downloaded(citizen_folder, download.click)
    assert name == "mapa.zip"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == sorted([PDF_NAME, PNG_NAME])
        assert archive.read(PDF_NAME) == pdf
        assert archive.read(PNG_NAME) == png

    assert_accessible(citizen_folder, "the citizen's folder page with two files")
    assert_accessible(official_folder, "the official's folder page with two files")

    people.hang_up(citizen, official)
    for page in (citizen, official):
        assert page.evaluate("() => window.okence.pc()?.connectionState ?? 'none'") in {
            "closed",
            "none",
        }


def citizen_link_token(page) -> str:
    """The meeting token in the citizen's address (/sestanek/<token>/)."""
    return page.url.rstrip("/").rsplit("/", 1)[-1]
