"""The Celery application both sides build from the same settings.

Delivery is at least once and the registry makes it exactly once:

- ``task_acks_late``: a task is acknowledged when it has finished, so a worker that dies
  mid-task does not take it with it;
- ``task_reject_on_worker_lost``: when a worker child dies under a task (SIGKILL, OOM), the
  task goes back to the queue at once instead of being recorded as failed;
- Redis hands an unacknowledged task to another worker after ``visibility_timeout`` (the whole
  worker died, nobody rejected it). Conversions take a fraction of a second and each child
  reserves one task at a time (``worker_prefetch_multiplier = 1``), so a short timeout is safe;
- every task's id is the decree's number (with the office's key), so a task handed out twice
  produces one result under one key; the signer signs and records each number once, and the
  registry refuses a second issue of a number.
"""

from __future__ import annotations

from typing import Any

QUEUE = "ptsp.convert"
TASK = "ptsp.convert"
ECHO = "ptsp.echo"  # a round trip with a decree's payload and no work: the broker's cost


def default_backend(broker: str) -> str:
    """Results travel back the way the tasks went: the Redis server itself, or RabbitMQ's
    reply queues (``rpc://``) for an AMQP broker."""
    if broker.startswith(("redis://", "rediss://", "redis+socket://")):
        return broker
    return "rpc://"


def make_app(broker: str, *, backend: str = "", visibility_timeout: float = 300.0) -> Any:
    """A Celery app for ``broker`` with the delivery settings above (celery is imported here,
    so the single-machine commands never load it)."""
    from celery import Celery

    app = Celery("ptsp", broker=broker, backend=backend or default_backend(broker),
                 set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            # Redis: look for tasks whose worker vanished every half visibility timeout
            # (kombu's default sweep is every 100 s whatever the timeout)
            "unacked_restore_interval": max(1, int(visibility_timeout // 2)),
            "unacked_restore_throttle": 1,
        },
        task_default_queue=QUEUE,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        task_track_started=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        result_backend_always_retry=True,
        result_backend_max_retries=10,
    )
    return app
