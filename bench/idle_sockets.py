"""Benchmark: 10,000 idle meeting sockets on one uvicorn worker, and the relay under them.

One uvicorn process serves ``okence.asgi:application`` as in production (``python -m uvicorn``,
uvicorn's default WebSocket implementation, permessage-deflate on, keepalive pings every 20 s),
on a throwaway SQLite database and the Redis channel layer and cache (REDIS_URL, as at scale;
``--in-memory`` for the embedded default's in-memory layer instead). The data: 1 unit, 1 service,
1 official with a signed-in session, 10,000 confirmed appointments, each with its own meeting
token, and one more appointment, open now, for the measured pair.

In one run:

1. The server's resident memory (VmRSS of /proc/<pid>/status) before any socket.
2. Baseline: the citizen of the pair knocks, the official admits, and the citizen sends
   ``signal`` candidates with a timestamp inside the candidate string; the official's socket
   receives them. 500 samples, paced under the 20 messages/s per-socket limit → p50/p99. Then
   the server's CPU time (utime+stime of /proc/<pid>/stat) over 10 s with only the pair open.
3. 10,000 citizen sockets are opened in batches of 100 and held idle (the hello only, no knock),
   all from this one asyncio process. The server's RSS with them, and its CPU time over 10 s of
   idleness.
4. The same relay measurement under the 10,000 idle sockets.

Targets: the idle sockets all held, at most 100 KB of server RSS each (the growth over the
0-socket baseline), idle CPU under 25 % of one core; relay p99 with them under 50 ms, or under
twice the baseline p99 of the same run when the machine is too busy for that. Exits 1 when a
target is missed. Every process may hold 20,000 open files here (``ulimit -n``; it cannot be
raised), which 10,000 sockets on each side fit.

    .venv/bin/python bench/idle_sockets.py                     # 10,000 on redis://…/12
    .venv/bin/python bench/idle_sockets.py --connections 2000 --in-memory

The benchmark client (this process) runs on the same machine and its CPU use competes with the
server's; the 1-minute load average is printed next to the figures.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import time

import support

MESSAGE_TIMEOUT = 10  # seconds for one relayed message before the run is called failed
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"

# Run by ``manage.py shell -c`` in the server's environment (after support.SHELL_PRELUDE;
# CONNECTIONS replaced): unit, service, official with a session; the appointments. Answers the
# idle sockets' tokens and the measured pair's token, public id and session cookie.
SETUP = """
unit = Unit.objects.create(name="Upravna enota Bench", slug="bench")
service = Service.objects.create(unit=unit, name="Splošne informacije", slug="splosne")
official = make_official(unit, service, "official", first_name="Official")
now = timezone.now()
half_hour = datetime.timedelta(minutes=30)


def citizen(start, token, i):
    return appointment(
        official, service, start, token,
        name=f"Citizen {i}", email=f"citizen{i}@example.si", phone="+386 1 000 0000",
    )


# The idle ones lie on the official's 30-minute grid from tomorrow (never overlapping, as the
# database demands); their rooms are not open, which a hello does not need.
tomorrow = (now + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
tokens = [new_token() for _ in range(CONNECTIONS)]
Appointment.objects.bulk_create(
    [citizen(tomorrow + i * half_hour, token, i) for i, token in enumerate(tokens)],
    batch_size=500,
)
# The measured pair: starts in 5 minutes, so its room is open now.
pair_token = new_token()
pair = citizen(now + datetime.timedelta(minutes=5), pair_token, "pair")
pair.save()
answer({
    "tokens": tokens,
    "pair": {
        "token": pair_token,
        "public_id": str(pair.public_id),
        "cookie": f"sessionid={session_of(official.user)}",
    },
})
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000, help="idle sockets (10,000)")
    parser.add_argument("--samples", type=int, default=500, help="relayed signals per run (500)")
    parser.add_argument(
        "--rate", type=float, default=18.0, help="signals a second (18; the limit is 20)"
    )
    parser.add_argument("--batch", type=int, default=100, help="sockets opened at once (100)")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="CPU window (10 s)")
    parser.add_argument(
        "--target-kb-per-socket",
        type=float,
        default=100.0,
        help="server RSS growth per idle socket (100 KB)",
    )
    parser.add_argument(
        "--target-cpu", type=float, default=25.0, help="idle CPU target, %% of a core (25)"
    )
    parser.add_argument(
        "--target-p99-ms", type=float, default=50.0, help="relay p99 over the baseline (50 ms)"
    )
    parser.add_argument(
        "--compression",
        choices=["deflate", "none"],
        default="deflate",
        help="permessage-deflate on the client sockets, as browsers do (deflate)",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help=f"REDIS_URL of the server (channel layer and cache; {DEFAULT_REDIS_URL}); "
        "that Redis database is flushed before and after",
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="the embedded default's in-memory channel layer instead of Redis",
    )
    return parser.parse_args(argv)


# --- the server process --------------------------------------------------------------------------


def raise_open_files(needed: int) -> tuple[int, int]:
    """Raise RLIMIT_NOFILE (inherited by the server) to at least ``needed`` if possible."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:  # only root may raise the hard limit
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            soft, hard = needed, needed
        except (ValueError, OSError):
            pass
    target = hard if hard == resource.RLIM_INFINITY else max(soft, hard)
    if soft != target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def uvicorn_with_backlog(port: int) -> list[str]:
    """Room for the batches of handshakes arriving at once."""
    return support.uvicorn_command(port, "--backlog", "4096")


def redis_missing(redis_url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_timeout=3).ping()
    except redis.RedisError as error:
        return str(error)
    return None


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()


# --- the clients ---------------------------------------------------------------------------------


def candidate(sequence: int, sent_ns: int) -> str:
    return json.dumps(
        {
            "type": "signal",
            "candidate": {
                "candidate": f"candidate:{sequence} 1 udp 2122260223 192.0.2.10 54400 typ host"
                f" generation 0 ts {sent_ns}",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": "bench",
            },
        }
    )


async def expect(websocket, kind: str, **fields) -> dict:
    """The next message of this type (and these fields), skipping others; never an error."""
    while True:
        message = json.loads(await asyncio.wait_for(websocket.recv(), MESSAGE_TIMEOUT))
        if message["type"] == "error":
            raise RuntimeError(f"the server refused: {message}")
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message


class Clients:
    def __init__(self, server: support.Server, compression: str | None):
        from websockets.asyncio.client import connect

        self.connect_to = connect
        self.server = server
        self.compression = compression

    def connect(self, path: str, **options):
        return self.connect_to(
            f"ws://127.0.0.1:{self.server.port}{path}",
            origin=self.server.origin,
            compression=self.compression,
            proxy=None,
            open_timeout=60,
            **options,
        )

    async def pair(self, details: dict):
        """The measured pair: the citizen knocks, the official admits; both sockets, in a call."""
        official = await self.connect(
            f"/ws/uradnik/sestanek/{details['public_id']}/",
            additional_headers={"Cookie": details["cookie"]},
        )
        await expect(official, "hello")
        citizen = await self.connect(f"/ws/sestanek/{details['token']}/")
        await expect(citizen, "hello")
        await citizen.send(json.dumps({"type": "knock", "name": "Bench"}))
        await expect(citizen, "state", state="waiting")
        await expect(official, "state", state="waiting")
        await official.send(json.dumps({"type": "admit"}))
        await expect(citizen, "state", state="admitted")
        await expect(citizen, "peer", present=True)
        await expect(official, "peer", present=True)
        return citizen, official

    async def idle(self, token: str):
        websocket = await self.connect(f"/ws/sestanek/{token}/")
        hello = await expect(websocket, "hello")
        assert hello["role"] == "citizen", hello
        return websocket


async def relay_latencies(citizen, official, samples: int, rate: float) -> list[float]:
    """Citizen → server → official, ms, from the timestamp inside each candidate string."""
    loop = asyncio.get_running_loop()
    interval = 1 / rate
    started = loop.time()
    latencies = []
    for sequence in range(samples):
        await asyncio.sleep(max(0.0, started + sequence * interval - loop.time()))
        await citizen.send(candidate(sequence, time.perf_counter_ns()))
        while True:
            message = await expect(official, "signal")
            words = message["candidate"]["candidate"].split()
            if words[0] == f"candidate:{sequence}":
                received = time.perf_counter_ns()
                latencies.append((received - int(words[-1])) / 1e6)
                break
    return sorted(latencies)


async def relay_run(server: support.Server, citizen, official, args) -> dict:
    """One measured run: latency percentiles, and the server's CPU time per relayed signal."""
    cpu_before = server.cpu_seconds()
    latencies = await relay_latencies(citizen, official, args.samples, args.rate)
    cpu = server.cpu_seconds() - cpu_before
    return {
        "samples": len(latencies),
        "min": latencies[0],
        "p50": support.percentile(latencies, 0.50),
        "p99": support.percentile(latencies, 0.99),
        "max": latencies[-1],
        "cpu_ms_per_signal": 1000 * cpu / len(latencies),
    }


async def idle_cpu_percent(server: support.Server, seconds: float) -> float:
    """The server's CPU time over ``seconds`` of nothing sent, % of one core."""
    cpu_before, wall_before = server.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu_after, wall_after = server.cpu_seconds(), time.monotonic()
    return 100 * (cpu_after - cpu_before) / (wall_after - wall_before)


async def measure(server: support.Server, data: dict, args) -> dict:
    tokens = data["tokens"][: args.connections]
    clients = Clients(server, None if args.compression == "none" else args.compression)
    report = {"rss_before": server.rss_mib()}

    citizen, official = await clients.pair(data["pair"])
    await relay_latencies(citizen, official, 20, args.rate)  # warm-up, not counted
    report["baseline"] = await relay_run(server, citizen, official, args)
    report["rss_pair"] = server.rss_mib()
    report["idle_cpu_baseline"] = await idle_cpu_percent(server, args.idle_seconds)

    held, failures = [], []
    opening = time.perf_counter()
    for first in range(0, len(tokens), args.batch):
        batch = tokens[first : first + args.batch]
        results = await asyncio.gather(
            *(clients.idle(token) for token in batch), return_exceptions=True
        )
        for result in results:
            (failures if isinstance(result, BaseException) else held).append(result)
    report["open_seconds"] = time.perf_counter() - opening
    report["opened"], report["failures"] = len(held), [repr(f) for f in failures[:5]]
    report["failed"] = len(failures)

    await asyncio.sleep(2)  # let the last handshakes' garbage settle
    report["rss_idle"] = server.rss_mib()
    report["server_fds"] = server.open_files()
    report["idle_cpu_percent"] = await idle_cpu_percent(server, args.idle_seconds)
    report["idle_window"] = args.idle_seconds

    report["loaded"] = await relay_run(server, citizen, official, args)
    report["rss_after"] = server.rss_mib()
    report["still_open"] = sum(1 for websocket in held if websocket.state.name == "OPEN")
    report["load"] = os.getloadavg()[0]

    for first in range(0, len(held), args.batch):
        await asyncio.gather(*(w.close() for w in held[first : first + args.batch]))
    await citizen.close()
    await official.close()
    return report


# --- verdict and output -------------------------------------------------------------------------


def kb_per_socket(report: dict) -> float:
    return (report["rss_idle"] - report["rss_pair"]) * 1024 / max(1, report["opened"])


def p99_limit(report: dict, args) -> float:
    """The target, or twice the same run's baseline when the machine is too busy for it."""
    return max(args.target_p99_ms, 2 * report["baseline"]["p99"])


def verdict(report: dict, args) -> dict[str, bool]:
    return {
        "held": report["opened"] == args.connections and report["still_open"] == args.connections,
        "rss": kb_per_socket(report) <= args.target_kb_per_socket,
        "cpu": report["idle_cpu_percent"] < args.target_cpu,
        "p99": report["loaded"]["p99"] < p99_limit(report, args),
    }


def print_report(report: dict, args) -> None:
    n = args.connections
    ok = verdict(report, args)
    mark = {True: "met", False: "MISSED"}
    per_socket = kb_per_socket(report)
    print(
        f"\nIdle meeting sockets and signalling relay — one uvicorn worker, SQLite, "
        f"{'in-memory' if args.in_memory else 'Redis'} channel layer, "
        f"client compression: {args.compression}"
    )
    print(f"{'':<34} {'idle sockets':>12} {'server RSS MB':>13}")
    print(f"{'before any socket':<34} {0:>12,} {report['rss_before']:>13.1f}")
    print(f"{'the pair, after the baseline':<34} {0:>12,} {report['rss_pair']:>13.1f}")
    print(f"{'idle sockets held':<34} {report['opened']:>12,} {report['rss_idle']:>13.1f}")
    print(
        f"{'after the loaded relay run':<34} {report['still_open']:>12,} "
        f"{report['rss_after']:>13.1f}"
    )
    print(
        f"opened {report['opened']:,} of {n:,} in {report['open_seconds']:.1f} s "
        f"({report['opened'] / report['open_seconds']:.0f}/s, batches of {args.batch}); "
        f"failed: {report['failed']} {report['failures'] or ''}; "
        f"{per_socket:.1f} KB RSS per idle socket; server fds {report['server_fds']:,}"
    )
    print(
        f"server CPU while {report['opened']:,} sockets idle: {report['idle_cpu_percent']:.1f} % "
        f"of one core over {report['idle_window']:.1f} s (with only the pair open: "
        f"{report['idle_cpu_baseline']:.1f} %)"
    )
    print(
        f"\n{'relay citizen → official':<30} {'samples':>7} {'min ms':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'max ms':>7} {'server CPU ms/signal':>20}"
    )
    for label, key in (("baseline, 0 idle sockets", "baseline"), (f"{n:,} idle sockets", "loaded")):
        r = report[key]
        print(
            f"{label:<30} {r['samples']:>7} {r['min']:>7.2f} {r['p50']:>7.2f} {r['p99']:>7.2f} "
            f"{r['max']:>7.2f} {r['cpu_ms_per_signal']:>20.2f}"
        )
    print(
        f"\n{n:,} idle sockets held to the end: {report['still_open']:,} -> {mark[ok['held']]}"
        f"\nRSS with them {report['rss_idle']:.1f} MB, {per_socket:.1f} KB per socket over the "
        f"baseline (target <= {args.target_kb_per_socket:g} KB) -> {mark[ok['rss']]}"
        f"\nidle CPU {report['idle_cpu_percent']:.1f} % of a core (target < {args.target_cpu:g} %)"
        f" -> {mark[ok['cpu']]}"
        f"\nrelay p99 with them {report['loaded']['p99']:.2f} ms (baseline "
        f"{report['baseline']['p99']:.2f} ms; target < {p99_limit(report, args):.1f} ms: "
        f"{args.target_p99_ms:g} ms or twice the baseline)"
        f" -> {mark[ok['p99']]}"
    )
    print(
        f"load = {report['load']:.2f} (1-minute average at the end; {os.cpu_count()} CPUs, shared"
        " with this benchmark's own client)"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if not 0 < args.rate <= 19:
        sys.exit("--rate must be above 0 and at most 19 (the server allows 20 messages/s)")
    if not args.in_memory and (reason := redis_missing(args.redis_url)):
        print(f"skipped: Redis at {args.redis_url} does not answer ({reason}); --in-memory runs")
        return 0
    limit = raise_open_files(2 * args.connections + 1_024)  # clients + server, with room
    if limit[0] != resource.RLIM_INFINITY and limit[0] < args.connections + 512:
        sys.exit(f"RLIMIT_NOFILE is {limit[0]}: too low for {args.connections} sockets")
    try:
        with support.temporary_folder("okence-bench-ws-") as folder:
            settings = {"LOG_LEVEL": "WARNING"}
            if not args.in_memory:
                settings["REDIS_URL"] = args.redis_url
                flush_redis(args.redis_url)
            env = support.environment(folder, **settings)
            support.manage(env, "migrate", "--no-input", "-v", "0")
            data = support.shell(env, SETUP.replace("CONNECTIONS", str(args.connections)))
            with support.Server(env, folder, uvicorn_with_backlog) as server:
                server.wait_until_it_answers()
                time.sleep(1)  # the first request's imports done, before the "before" RSS
                print(
                    f"uvicorn pid {server.pid} on port {server.port}; RLIMIT_NOFILE {limit[0]}; "
                    f"{args.connections:,} sockets, {args.samples} samples at {args.rate:g}/s",
                    flush=True,
                )
                try:
                    report = asyncio.run(measure(server, data, args))
                except Exception:
                    print(f"--- uvicorn log (tail):\n{server.log_tail()}", file=sys.stderr)
                    raise
    finally:
        if not args.in_memory:
            flush_redis(args.redis_url)
    print_report(report, args)
    return 0 if all(verdict(report, args).values()) else 1


if __name__ == "__main__":
    sys.exit(main())
