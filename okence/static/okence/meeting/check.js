// The check before the meeting (check.html): the camera's preview, the microphone's level and the
// choice of both as on the meeting pages, a test tone for the speakers, and whether the network
// lets the browser reach the meeting server: each TURN URL on its own, relay only; without TURN,
// whether the browser can prepare the direct connection at all.

import { $, fill, readStrings } from "../lib/dom.js";
import { Media } from "./media.js";
import { gathers } from "./reach.js";
import { wireDevices } from "./ui.js";

const root = $("check");
const text = readStrings("meeting-strings");
const probes = JSON.parse($("check-probes").textContent);

// A short tone with soft edges (no click), made by the page: nothing to download.
async function playTone() {
  const context = new AudioContext();
  try {
    await context.resume();
    const oscillator = new OscillatorNode(context, { frequency: 440 });
    const gain = new GainNode(context, { gain: 0 });
    oscillator.connect(gain).connect(context.destination);
    const start = context.currentTime;
    gain.gain.linearRampToValueAtTime(0.3, start + 0.05);
    gain.gain.setValueAtTime(0.3, start + 1.1);
    gain.gain.linearRampToValueAtTime(0, start + 1.2);
    const ended = new Promise((resolve) => oscillator.addEventListener("ended", resolve));
    oscillator.start(start);
    oscillator.stop(start + 1.2);
    await ended;
  } finally {
    await context.close();
  }
}

function wireTone() {
  const button = $("play-tone");
  const status = $("tone-status");
  button.addEventListener("click", async () => {
    if (button.dataset.state === "playing") return;
    button.dataset.state = "playing";
    status.textContent = text.tonePlaying;
    try {
      await playTone();
      button.dataset.state = "played";
      status.textContent = text.tonePlayed;
    } catch {
      button.dataset.state = "failed";
      status.textContent = text.toneFailed;
    }
  });
}

function show(row, ok, words) {
  row.dataset.state = ok ? "ok" : "failed";
  row.querySelector("[data-result]").textContent = ok ? words[0] : words[1];
}

// Every transport's URLs at once; a transport works when one of its servers does.
async function checkNetwork() {
  const again = $("network-again");
  const verdict = $("network-verdict");
  const rows = root.querySelectorAll("[data-probe]");
  again.disabled = true;
  root.dataset.network = "checking";
  verdict.dataset.verdict = "";
  verdict.textContent = text.networkChecking;
  verdict.hidden = false;
  for (const row of rows) {
    row.dataset.state = "checking";
    row.querySelector("[data-result]").textContent = text.checking;
  }
  let result;
  if (probes.relays.length) {
    const works = {};
    const refusals = [];
    await Promise.all(
      [...rows].map(async (row) => {
        const relays = probes.relays.filter((relay) => relay.transport === row.dataset.probe);
        const refused = [];
        const reached = await Promise.all(
          relays.map(({ iceServers }) =>
            gathers({ iceServers, relayOnly: true, types: ["relay"], refusals: refused }),
          ),
        );
        works[row.dataset.probe] = reached.some(Boolean);
        refusals.push(...refused);
        // Reached but refused is the server's fault, not the network's: say so on the row.
        show(row, works[row.dataset.probe], [text.reachable, refused.length ? text.refused : text.unreachable]);
      }),
    );
    const some = Object.values(works).some(Boolean);
    // Without UDP among the server's addresses, TCP or TLS is as good as it gets: not "slow".
    if (works.udp || (some && !("udp" in works))) result = "ready";
    else if (some) result = "slow";
    else result = refusals.length ? "refused" : "blocked";
  } else {
    const ok = await gathers({ iceServers: probes.direct.iceServers, types: ["host", "srflx"] });
    show(rows[0], ok, [text.works, text.fails]);
    result = ok ? "direct-ready" : "direct-failed";
  }
  const words = {
    ready: text.networkReady,
    slow: text.networkSlow,
    blocked: fill(text.networkBlocked, { server: text.server }),
    refused: text.networkRefused,
    "direct-ready": text.directReady,
    "direct-failed": text.directFailed,
  }[result];
  verdict.dataset.verdict = result;
  verdict.textContent = words;
  root.dataset.network = "done";
  again.disabled = false;
}

root.hidden = false; // without JavaScript only the <noscript> note shows
const media = new Media($("local-video"));
wireDevices({ media, strings: text });
wireTone();
if (probes) {
  // None when the page has handed out this appointment's credentials too often this hour.
  $("network-again").addEventListener("click", checkNetwork);
  checkNetwork();
}
await media.start();
root.dataset.state = "ready";
