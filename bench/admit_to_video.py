"""Benchmark: from the official's "Admit" click to the first video frame on the citizen's screen.

``manage.py serve --no-worker`` (uvicorn, the in-memory channel layer) runs on a throwaway SQLite
database in a temporary ``OKENCE_VAR_DIR``, ``OKENCE_PROFILE=test``. The data: one unit and
service, and per run an official with a signed-in session and an appointment open now. One Debian
Chromium (Playwright; fake camera and microphone) holds two fresh contexts per run: the
official's, with the session cookie, and the citizen's.

One run: the official opens the meeting page, the citizen opens the link and clicks "Pridruži se
zdaj"; when both pages show the waiting room, hooks are put into both pages, and the official's
``#admit`` is clicked. Times are taken inside the pages, on the browser's shared wall clock
(``performance.timeOrigin + performance.now()``, comparable between pages of one browser):

- admit: the click on ``#admit`` (a capturing listener on the official's document);
- admitted: the citizen's page switches to the call (``#meeting[data-state="call"]``);
- offer, connected: the citizen's peer connection exists (the official's offer arrived) and
  reaches ``connectionState == "connected"`` (polled every 5 ms);
- frame: the first frame of the official's video presented in the citizen's ``#remote-video``
  (``requestVideoFrameCallback``); likewise the official's first frame of the citizen's video.

The test side also times click → first citizen frame with ``time.monotonic`` as a cross-check
(that includes Playwright's round trips). The official then ends the meeting; both calls are
hung up before the citizen's context closes.

Baseline, in the same run: before each admission, the same call without Okence. In a fresh
context, two blank pages of the server's origin (answered by Playwright, not the server) each
take the fake camera and microphone with the meeting pages' constraints (not timed, as the
meeting pages do before the admit); then one offers to the other with the meeting's
configuration (no ICE servers, audio and video sendrecv, trickle ICE), the signals going through
a BroadcastChannel instead of the server, and the time runs from the start of the offer to the
first frame of the remote video presented in the answering page (``requestVideoFrameCallback``).
That is what WebRTC itself costs on this machine at this moment: ICE on loopback, DTLS, the
first keyframe encoded and decoded. What Okence adds is the rest (its pages, socket and server).

Target, judged against the baseline: median admit → first citizen frame at most --max-ratio (2)
times the baseline's median, every admission and every baseline call connecting. 1 s
(--target-ms), the issue's figure for loopback, is printed as a reference, not judged: on a
shared machine both figures follow its load. Exits 1 when the target is missed or a run fails.

    .venv/bin/python bench/admit_to_video.py            # 20 runs
    .venv/bin/python bench/admit_to_video.py --runs 50 --max-ratio 2
"""

import argparse
import contextlib
import os
import statistics
import sys
import time

import support

STATE_TIMEOUT = 15_000  # ms for a page to reach a state
FRAME_TIMEOUT = 15_000  # ms for the first frame after the admit

# Run by ``manage.py shell -c`` in the server's environment (after support.SHELL_PRELUDE; RUNS
# replaced): one official per run (an official's appointments may not overlap), each with an open
# appointment and a signed-in session. Answers the meeting tokens, public ids and session cookies.
SETUP = """
unit = Unit.objects.create(name="Upravna enota Domžale", slug="domzale")
service = Service.objects.create(
    unit=unit, name="Pridobivanje splošnih informacij", slug="splosne-informacije"
)
start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=3)
meetings = []
for i in range(RUNS):
    official = make_official(
        unit, service, f"official{i}", first_name="Official", last_name=str(i)
    )
    token = new_token()
    booked = appointment(
        official, service, start, token, name=f"Citizen {i}", email=f"citizen{i}@example.si"
    )
    booked.save()
    meetings.append({
        "token": token,
        "public_id": str(booked.public_id),
        "session": session_of(official.user),
    })
answer({"meetings": meetings})
"""

# In the official's page: the time of the click on #admit, on the browser's shared clock.
OFFICIAL_HOOK = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = (window.benchMarks = {});
  document.addEventListener("click", (event) => {
    if (event.target.closest("#admit") && !marks.admit) marks.admit = now();
  }, { capture: true });
  const video = document.getElementById("remote-video");
  video.requestVideoFrameCallback((time) => { marks.frame = performance.timeOrigin + time; });
}
"""

# In the citizen's page: when the call view appears and when the first remote frame is presented.
CITIZEN_HOOK = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  const marks = (window.benchMarks = {});
  const root = document.getElementById("meeting");
  new MutationObserver(() => {
    if (root.dataset.state === "call" && !marks.admitted) marks.admitted = now();
  }).observe(root, { attributes: true, attributeFilter: ["data-state"] });
  // The peer connection's milestones, by polling (the page keeps it private): the offer arrived
  // (a connection exists) and ICE+DTLS are done ("connected").
  const poll = setInterval(() => {
    const pc = window.okence.pc();
    if (pc && !marks.offer) marks.offer = now();
    if (pc?.connectionState === "connected" && !marks.connected) marks.connected = now();
    if (marks.connected || (marks.frame && now() - marks.frame > 5000)) clearInterval(poll);
  }, 5);
  const video = document.getElementById("remote-video");
  window.benchFrame = new Promise((resolve) => {
    video.requestVideoFrameCallback((time) => {
      marks.frame = performance.timeOrigin + time;
      resolve(marks.frame);
    });
  });
}
"""

WAIT_FRAME = """
async (timeout) => {
  const late = new Promise((resolve) => setTimeout(() => resolve(null), timeout));
  return Promise.race([window.benchFrame, late]);
}
"""

HANG_UP = "() => { try { window.okence?.pc()?.close(); } catch {} }"

BLANK = "<!DOCTYPE html><html lang=sl><title>baseline</title><body></body></html>"

# The baseline: a call between two pages of one context, signalled through a BroadcastChannel
# instead of Okence's server. Each page first takes the camera and microphone (not timed), as the
# meeting pages do before the admit. The answering page (the citizen's part) is set up first.
LOOPBACK_PEER = """
async (offerer) => {
  const now = () => performance.timeOrigin + performance.now();
  // The meeting pages' constraints (okence/static/okence/meeting/media.js).
  const video = { width: { ideal: 1280 }, height: { ideal: 720 } };
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  const channel = new BroadcastChannel("bench-baseline");
  const pc = new RTCPeerConnection({ iceServers: [], iceTransportPolicy: "all" });
  const shown = document.createElement("video");
  shown.muted = true;
  shown.playsInline = true;
  document.body.append(shown);
  let described;
  const remote = new Promise((resolve) => { described = resolve; });
  pc.onicecandidate = ({ candidate }) => {
    channel.postMessage({ candidate: candidate?.toJSON() ?? null });
  };
  pc.ontrack = ({ streams }) => {
    if (shown.srcObject !== streams[0]) {
      shown.srcObject = streams[0];
      shown.play().catch(() => {});
    }
  };
  window.benchFrame = new Promise((resolve) => {
    shown.requestVideoFrameCallback((time) => resolve(performance.timeOrigin + time));
  });
  window.benchClose = () => {
    pc.close();
    channel.close();
    for (const track of stream.getTracks()) track.stop();
  };
  channel.onmessage = async ({ data }) => {
    if (data.candidate !== undefined) {
      await remote;
      await pc.addIceCandidate(data.candidate ?? undefined);
      return;
    }
    await pc.setRemoteDescription(data.description);
    if (!offerer) {
      for (const transceiver of pc.getTransceivers()) {
        const kind = transceiver.receiver.track.kind;
        transceiver.direction = "sendrecv";
        await transceiver.sender.replaceTrack(stream.getTracks().find((t) => t.kind === kind));
      }
      await pc.setLocalDescription();
      channel.postMessage({ description: pc.localDescription.toJSON() });
    }
    described();
  };
  if (offerer) {
    window.benchStart = async () => {
      const started = now();
      for (const track of stream.getTracks()) {
        pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] });
      }
      await pc.setLocalDescription();
      channel.postMessage({ description: pc.localDescription.toJSON() });
      return started;
    };
  }
}
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="admissions measured (20)")
    parser.add_argument("--max-ratio", type=float, default=2.0, help="of the baseline's median (2)")
    parser.add_argument(
        "--target-ms", type=float, default=1000.0, help="reference median, not judged (1000)"
    )
    return parser.parse_args(argv)


def baseline_run(browser, origin: str) -> dict:
    """The call without Okence: two pages signalling through a BroadcastChannel (see above)."""
    context = support.new_context(browser)
    try:
        # Blank pages of a secure origin (127.0.0.1), answered by Playwright, not the server:
        # Okence's other pages forbid the camera (Permissions-Policy), about:blank is not secure.
        blank = f"{origin}/bench-baseline/"
        context.route(blank, lambda route: route.fulfill(body=BLANK, content_type="text/html"))
        answering, offering = context.new_page(), context.new_page()
        for page, offerer in ((answering, False), (offering, True)):
            page.goto(blank)
            page.evaluate(LOOPBACK_PEER, offerer)
        started = offering.evaluate("() => window.benchStart()")
        frame_at = answering.evaluate(WAIT_FRAME, FRAME_TIMEOUT)
        for page in (answering, offering):
            page.evaluate("() => window.benchClose()")
    finally:
        context.close()
    if frame_at is None:
        return {"ok": False, "why": "the baseline call showed no frame within the time limit"}
    return {"ok": True, "frame_ms": frame_at - started}


def one_run(browser, origin: str, meeting: dict) -> dict:
    """One admission, measured; the meeting is ended and both calls hung up afterwards."""
    from playwright.sync_api import expect

    official_context = support.new_context(browser)
    official_context.add_cookies(
        [{"name": "sessionid", "value": meeting["session"], "domain": "127.0.0.1", "path": "/"}]
    )
    official = official_context.new_page()
    citizen_context = support.new_context(browser)
    citizen = citizen_context.new_page()
    try:
        official.goto(f"{origin}/uradnik/sestanek/{meeting['public_id']}/")
        citizen.goto(f"{origin}/sestanek/{meeting['token']}/")
        citizen_state = citizen.locator("#meeting")
        official_state = official.locator("#meeting")
        expect(citizen_state).to_have_attribute("data-state", "prejoin", timeout=STATE_TIMEOUT)
        expect(official_state).to_have_attribute("data-state", "prejoin", timeout=STATE_TIMEOUT)
        citizen.get_by_role("button", name="Pridruži se zdaj").click()
        expect(citizen_state).to_have_attribute("data-state", "waiting", timeout=STATE_TIMEOUT)
        expect(official_state).to_have_attribute("data-state", "waiting", timeout=STATE_TIMEOUT)
        official.evaluate(OFFICIAL_HOOK)
        citizen.evaluate(CITIZEN_HOOK)
        admit = official.locator("#admit")
        expect(admit).to_be_enabled()
        clicked = time.monotonic()
        admit.click()
        frame_at = citizen.evaluate(WAIT_FRAME, FRAME_TIMEOUT)
        seen = time.monotonic()
        if frame_at is None:
            return {"ok": False, "why": "no frame within the time limit"}
        expect(official_state).to_have_attribute("data-state", "call", timeout=STATE_TIMEOUT)
        official_marks = official.evaluate(
            """async () => {
              for (let i = 0; i < 150 && !window.benchMarks.frame; i += 1) {
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
              return window.benchMarks;
            }"""
        )
        citizen_marks = citizen.evaluate("() => window.benchMarks")
        admit_at = official_marks.get("admit")
        if admit_at is None:
            return {"ok": False, "why": "the click on #admit was not seen"}
        official.locator("#end").click()
        official.locator("#end-confirm").click()
        # The citizen's page says the meeting ended, then turns into the survey: either way
        # the call view is gone.
        expect(citizen.locator('#meeting[data-state="call"]')).to_have_count(
            0, timeout=STATE_TIMEOUT
        )
        return {
            "ok": True,
            "frame_ms": frame_at - admit_at,
            "admitted_ms": citizen_marks["admitted"] - admit_at,
            "offer_ms": citizen_marks["offer"] - admit_at if citizen_marks.get("offer") else None,
            "connected_ms": (
                citizen_marks["connected"] - admit_at if citizen_marks.get("connected") else None
            ),
            "official_frame_ms": (
                official_marks["frame"] - admit_at if official_marks.get("frame") else None
            ),
            "outside_ms": (seen - clicked) * 1000,
        }
    finally:
        for page in (citizen, official):
            with contextlib.suppress(Exception):  # a page that is gone has no call left
                page.evaluate(HANG_UP)
        citizen_context.close()
        official_context.close()


def measure(origin: str, data: dict, runs: int) -> tuple[list[dict], list[dict]]:
    """Each admission after a baseline call, so that both see the machine as it is then."""
    results, baselines = [], []
    with support.chromium() as browser:
        for index, meeting in enumerate(data["meetings"][:runs], start=1):
            baseline = baseline_run(browser, origin)
            baselines.append(baseline)
            if baseline["ok"]:
                print(f"run {index:>3}: baseline call: first frame {baseline['frame_ms']:6.1f} ms")
            else:
                print(f"run {index:>3}: baseline FAILED: {baseline['why']}", flush=True)
            result = one_run(browser, origin, meeting)
            results.append(result)
            if result["ok"]:
                official_frame = result["official_frame_ms"]
                print(
                    f"run {index:>3}: admit -> citizen: call view {result['admitted_ms']:6.1f},"
                    f" offer {optional(result['offer_ms'])},"
                    f" connected {optional(result['connected_ms'])},"
                    f" first frame {result['frame_ms']:6.1f} ms;"
                    f" official's first frame {optional(official_frame)} ms;"
                    f" test side {result['outside_ms']:6.1f} ms",
                    flush=True,
                )
            else:
                print(f"run {index:>3}: FAILED: {result['why']}", flush=True)
    return results, baselines


def optional(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1f}"


def summary_line(name: str, values: list[float]) -> str:
    values = sorted(values)
    return (
        f"{name:<38} {values[0]:>7.1f} {statistics.median(values):>7.1f} "
        f"{support.percentile(values, 0.9):>7.1f} {values[-1]:>7.1f}"
    )


def report(results: list[dict], baselines: list[dict], args) -> bool:
    good = [result for result in results if result["ok"]]
    calls = [baseline["frame_ms"] for baseline in baselines if baseline["ok"]]
    print(
        f"\nAdmit -> first video frame, {len(good)} of {len(results)} runs connected, "
        f"{len(calls)} of {len(baselines)} baseline calls "
        f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )
    if not good or not calls:
        print("no run or no baseline call connected -> MISSED")
        return False
    print(f"{'ms':<38} {'min':>7} {'median':>7} {'p90':>7} {'max':>7}")
    print(summary_line("admit -> citizen's call view", [r["admitted_ms"] for r in good]))
    for key, name in (("offer_ms", "offer at the citizen"), ("connected_ms", "citizen connected")):
        values = [r[key] for r in good if r[key] is not None]
        if values:
            print(summary_line(f"admit -> {name}", values))
    print(summary_line("admit -> citizen's first frame", [r["frame_ms"] for r in good]))
    official = [r["official_frame_ms"] for r in good if r["official_frame_ms"] is not None]
    if official:
        print(summary_line("admit -> official's first frame", official))
    print(summary_line("test side: click -> citizen's frame", [r["outside_ms"] for r in good]))
    print(summary_line("baseline: offer -> frame, no Okence", calls))
    median = statistics.median(r["frame_ms"] for r in good)
    baseline = statistics.median(calls)
    failed = len(results) - len(good) + len(baselines) - len(calls)
    met = median <= args.max_ratio * baseline and not failed
    print(
        f"median admit -> citizen's first frame: {median:.1f} ms = {median / baseline:.2f} x the "
        f"baseline call's {baseline:.1f} ms (target <= {args.max_ratio:g} x)"
        f"{f'; {failed} run(s) failed' if failed else ''} -> {'met' if met else 'MISSED'}"
        f"\nreference: {args.target_ms:g} ms ("
        f"{'reached' if median < args.target_ms else 'not reached'}, not judged)"
    )
    return met


def main(argv=None) -> int:
    args = parse_args(argv)
    with support.temporary_folder("okence-bench-admit-") as folder:
        env = support.environment(folder)
        support.manage(env, "migrate", "--noinput")
        data = support.shell(env, SETUP.replace("RUNS", str(args.runs)))
        with support.Server(
            env, folder, support.serve_command, log_name="serve.log", name="the server"
        ) as server:
            server.wait_until_it_answers()
            results, baselines = measure(server.origin, data, args.runs)
            ok = report(results, baselines, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
