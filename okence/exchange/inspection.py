"""The checks of a received file run in worker processes, never in the server's own threads.

Channels and Django run every database call and every plain view of a process on one shared
thread (asgiref's ``thread_sensitive``), so a check that took seconds there held up every socket
handshake and page of every meeting. In a worker process it holds up nobody, it cannot take the
server's memory with it, and when it runs past ``EXCHANGE_CHECK_SECONDS`` the worker is killed
(a thread cannot be) and the file refused. Up to ``EXCHANGE_CHECK_WORKERS`` checks run at once;
more wait for a worker, and the wait counts against their time.
"""

import asyncio
import multiprocessing
import threading
from concurrent.futures import Future

import django
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from pebble import ProcessPool
from pebble.common import ProcessExpired

from okence.exchange import services
from okence.exchange.checks import Refused

# Workers are forked from a small server process of their own (not from this process, whose
# threads a fork would copy mid-step), which has Django and the checks loaded once.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["okence.exchange.check_worker"])
_TASKS_PER_WORKER = 200  # then a fresh worker: whatever a hostile file left behind goes with it

_pool: ProcessPool | None = None
_pool_lock = threading.Lock()


def _pool_of_workers() -> ProcessPool:
    global _pool
    with _pool_lock:
        if _pool is None or not _pool.active:
            _pool = ProcessPool(
                max_workers=settings.EXCHANGE_CHECK_WORKERS,
                max_tasks=_TASKS_PER_WORKER,
                initializer=django.setup,  # done already, unless the preload failed
                context=_CONTEXT,
            )
        return _pool


def start() -> Future:
    """Start the workers now, in the background (the server calls it as it loads), so that the
    first upload does not wait seconds for one to import Django and the checks. The future is
    done once a worker has answered."""
    started: Future = Future()

    def warm_up():
        try:
            started.set_result(_pool_of_workers().schedule(int).result())
        except Exception as error:  # reported to whoever waits; an upload would retry anyway
            started.set_exception(error)

    # In a thread: starting a worker waits until the fork server has loaded Django.
    threading.Thread(target=warm_up, name="check-workers", daemon=True).start()
    return started


def _settings_for_checks() -> dict:
    """The settings the checks read, as this process has them now (tests change them)."""
    return {
        name: getattr(settings, name)
        for name in dir(settings)
        if name.startswith(("EXCHANGE_", "CLAMD_"))
    }


def _inspect_in_worker(path: str, name: str, language: str, values: dict) -> tuple:
    """In the worker: ("ok", content type) or ("refused", message, detail); a refusal travels
    as plain strings, translated here, since exceptions lose their attributes when pickled."""
    for setting, value in values.items():
        setattr(settings, setting, value)
    with translation.override(language):
        try:
            return ("ok", services.inspect(path, name))
        except Refused as refusal:
            return ("refused", str(refusal.message), refusal.detail)


def _schedule(path: str, name: str, language: str, values: dict) -> Future:
    return _pool_of_workers().schedule(_inspect_in_worker, args=(path, name, language, values))


async def inspect(path: str, name: str) -> str:
    """``services.inspect`` in a worker process: the content type, or Refused."""
    # Off the event loop: while the pool starts (at the server's start, or again after an error)
    # anything that asks it for its state waits until the fork server has loaded Django.
    future = await asyncio.to_thread(
        _schedule, path, name, translation.get_language(), _settings_for_checks()
    )
    try:
        # Cancelling a running check (at the timeout, or when the client goes) kills its worker.
        answer = await asyncio.wait_for(
            asyncio.wrap_future(future), settings.EXCHANGE_CHECK_SECONDS
        )
    except TimeoutError:
        raise Refused(
            _("The file took too long to check and was refused."), "check timed out"
        ) from None
    except ProcessExpired as error:  # the worker died: out of memory, or killed
        raise Refused(_("The file could not be checked and was refused."), "check died") from error
    if answer[0] == "refused":
        raise Refused(answer[1], answer[2])
    return answer[1]
