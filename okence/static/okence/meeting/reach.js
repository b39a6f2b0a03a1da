// Whether this browser can reach the meeting's network as a call would: a peer connection that
// only gathers its candidates (it never connects to anyone) and says whether one of the wanted
// types appeared in time. With one TURN URL and iceTransportPolicy "relay", a "relay" candidate
// means that the TURN server was reached over that URL's transport and accepted the credentials.

const TYPE = / typ (\w+)/;

// ``refusals``: an array that collects the error codes of servers that answered and refused
// (STUN/TURN 300–699, such as 401 for credentials the TURN server does not accept); codes of
// 700 and above mean a server was not reached at all.
export async function gathers({
  iceServers = [],
  relayOnly = false,
  types,
  timeout = 10_000,
  refusals = null,
}) {
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
  } catch {
    return false; // no WebRTC at all, or a URL the browser refuses
  }
  pc.addEventListener("icecandidateerror", ({ errorCode }) => {
    if (refusals && errorCode >= 300 && errorCode < 700) refusals.push(errorCode);
  });
  let timer;
  const found = new Promise((resolve) => {
    timer = setTimeout(() => resolve(false), timeout);
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (!candidate) resolve(false); // gathering complete: nothing of the wanted types
      else if (types.includes(candidate.type ?? TYPE.exec(candidate.candidate)?.[1])) resolve(true);
    });
  });
  try {
    pc.createDataChannel("check");
    await pc.setLocalDescription(await pc.createOffer());
    return await found;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    pc.close();
  }
}
