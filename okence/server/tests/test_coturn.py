"""coturn, as deploy/coturn/turnserver.conf configures it, refuses to relay to this host and the
networks behind it, to a client holding Okence's valid credentials (any citizen with a link).

The probe (turn_probe.py) allocates a relay and asks for permission to reach each peer: a denied
peer is answered 403 and never gets a packet. Ordinary public addresses are permitted (nothing is
sent to them), so a 403 is the deny list's doing. Runs in the production leg (``-m production``);
needs Debian's coturn.
"""

import shutil
import subprocess

import pytest

from okence.server.tests.arrangement import Coturn
from okence.server.tests.turn_probe import TurnError, TurnProbe, rest_credentials

pytestmark = pytest.mark.production

# (relay address family, peer): the addresses a TURN relay must never reach, in the forms that
# older coturn versions let through (0.0.0.0: CVE-2020-26262; ::ffff:127.0.0.1: CVE-2026-27624,
# which needs an IPv6 relay address, as a dual-stack server has).
DENIED = [
    (4, "127.0.0.1"),
    (4, "0.0.0.0"),  # noqa: S104 - a peer address, not a binding
    (6, "::ffff:127.0.0.1"),
    (4, "169.254.169.254"),
    (4, "10.0.0.1"),
    (4, "100.64.0.1"),
    (4, "192.168.1.1"),
    (6, "::1"),
    (6, "fd00::1"),
    (6, "fe80::1"),
]
PERMITTED = [(4, "8.8.8.8"), (6, "2001:4860:4860::8888")]


@pytest.fixture(scope="module")
def coturn(tmp_path_factory):
    if shutil.which("turnserver") is None:
        pytest.skip("needs Debian's coturn (apt-get install coturn); .ci/run installs it")
    # An IPv6 relay address beside the IPv4 one, as on a dual-stack host.
    server = Coturn(tmp_path_factory.mktemp("coturn"), "--relay-ip=::1")
    yield server
    server.stop()


def permission(coturn, family: int, peer: str) -> str:
    """ "permitted", or the relay's error ("403 Forbidden IP")."""
    probe = TurnProbe("127.0.0.1", coturn.port, *rest_credentials(coturn.secret))
    try:
        probe.allocate(family)
        probe.permit(peer)
        return "permitted"
    except TurnError as error:
        return str(error)
    finally:
        probe.close()


def version() -> str:
    done = subprocess.run(["turnserver", "--version"], capture_output=True, text=True)  # noqa: S607
    return done.stdout.strip() or done.stderr.strip()


@pytest.mark.parametrize(("family", "peer"), DENIED)
def test_the_relay_refuses_this_host_and_private_networks(coturn, family, peer):
    assert permission(coturn, family, peer).startswith("403"), (
        f"coturn {version()} relays to {peer} with deploy/coturn/turnserver.conf"
    )


@pytest.mark.parametrize(("family", "peer"), PERMITTED)
def test_the_relay_permits_public_peers(coturn, family, peer):
    assert permission(coturn, family, peer) == "permitted", coturn.log()


def test_okences_credentials_are_checked(coturn):
    probe = TurnProbe("127.0.0.1", coturn.port, *rest_credentials("not-" + coturn.secret))
    with pytest.raises(TurnError, match="^401"):
        probe.allocate()
    probe.close()
