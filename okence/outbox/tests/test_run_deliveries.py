"""``manage.py run_deliveries``: the delivery queue's worker on its own, without periodic jobs."""

from django.core.management import call_command
from huey.consumer import Consumer

from okence.outbox import delivery_queue


def test_it_runs_the_delivery_queue_and_no_periodic_jobs(monkeypatch):
    ran = []
    monkeypatch.setattr(Consumer, "run", lambda consumer: ran.append(consumer))
    huey = delivery_queue.HUEY
    huey.immediate_use_memory = False  # keep the in-memory storage of the test profile
    huey.immediate = False
    try:
        call_command("run_deliveries", "--workers", "3")
    finally:
        huey.immediate = True
        huey.immediate_use_memory = True
    [consumer] = ran
    assert consumer.huey is huey and consumer.workers == 3 and not consumer.periodic


def test_it_says_so_when_tasks_run_inline(capsys):
    call_command("run_deliveries")
    assert "immediately" in capsys.readouterr().err
