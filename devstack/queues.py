"""SQS sends in constant time: moto reads a queue's `ContentBasedDeduplication` on every send through its
whole attribute map, which counts the queue's messages (every message checked for visibility), so a queue
holding n messages makes the next send O(n) and a burst of events quadratic. While a message is sent, the
map a send reads holds only the FIFO settings; everything else reads the full map as before."""

from __future__ import annotations

import threading
from typing import Any

from moto.sqs.models import Queue, SQSBackend

_sending = threading.local()


def install() -> None:
    if getattr(SQSBackend.send_message, "_devstack", False):
        return
    full = Queue.attributes.fget  # type: ignore[attr-defined]
    send = SQSBackend.send_message

    def attributes(queue: Queue) -> dict[str, Any]:
        if getattr(_sending, "active", False):
            return (
                {name: getattr(queue, _snake(name)) for name in Queue.FIFO_ATTRIBUTES}
                if queue.fifo_queue
                else {}
            )
        return full(queue)  # type: ignore[no-any-return]

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send(self, *args, **kwargs)
        finally:
            _sending.active = False

    send_message._devstack = True  # type: ignore[attr-defined]
    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    SQSBackend.send_message = send_message  # type: ignore[method-assign]


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
