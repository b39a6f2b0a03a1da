// Before the meeting opens: reload the page when it does, so that the pre-join appears by itself.
// (A meta refresh would do it without JavaScript, but a timed refresh fails WCAG 2.2.1.)
const section = document.querySelector("[data-opens-in]");
const seconds = Number(section?.dataset.opensIn);
if (seconds > 0) {
  document.querySelector("[data-opens-by-itself]").hidden = false;
  const opensAt = Date.now() + seconds * 1000;
  const wait = () => {
    const left = opensAt - Date.now();
    // Browsers cap one timer at about 24.8 days; wait in steps, and check again after sleep.
    if (left <= 0) window.location.reload();
    else setTimeout(wait, Math.min(left, 60_000));
  };
  wait();
}
