"""How the browser tests (and the benchmarks) start Debian's Chromium: its arguments.

Plain Python, no Django: bench/support.py imports it before (and without) setting Django up.
"""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# For calls between two pages.
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",  # there is no camera here
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",  # else no ICE candidates when only loopback exists
]
