"""Each function in its own worker processes, with its own environment, as on Lambda.

A worker serves one invocation at a time, as a Lambda execution environment does; callers queue for an idle
worker. A worker that dies or overruns its time is discarded and replaced, as Lambda discards
the environment, and its caller gets an error at once instead of waiting on a result that will never come.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

from devstack.template import ROOT

STOP_GRACE = 2.0  # seconds a stopping worker gets before it is killed
# Locally a function shares a few cores with everything else: it is told its real timeout, but its worker is
# discarded only past this (or its own longer timeout): a busy machine slows a request, it does not fail it.
LOCAL_LIMIT = 60.0


class Context:
    """The parts of Lambda's context object that Powertools and the deadlines read, and the stack's clock
    (`api.clock` reads it; Lambda's own context has none, so there the system's clock is read)."""

    def __init__(self, name: str, timeout: float, clock: Any = None) -> None:
        self.clock = clock
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionError(RuntimeError):
    """The function raised, died or ran out of time; the gateway answers API Gateway's 502."""


class WorkerLost(FunctionError):
    """The worker died or overran the function's timeout: it cannot serve another event."""


class Stopping(FunctionError):
    """The stack is stopping: the event was not run to its end."""


@contextlib.contextmanager
def _children_ignore_interrupts() -> Iterator[None]:
    """A process starts with the signals its parent ignores ignored: spawned so, a worker ignores Ctrl-C
    from its first instruction, not only once `_serve` runs. Only the main thread may change handlers; a
    worker replaced later from another thread has that short window (and is not replaced while stopping).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _load(code: str, handler: str, environment: dict[str, str]) -> Any:
    """Lambda's task root and layer on the path, the function's environment, its handler imported."""
    os.environ.update(environment)
    sys.path[:0] = [str(ROOT / "functions" / code), str(ROOT / "layers" / "shared" / "python")]
    module_name, function_name = handler.rsplit(".", 1)
    return getattr(__import__(module_name), function_name)


def _serve(
    connection: Any, name: str, code: str, handler: str, environment: dict[str, str], *, timeout: float
) -> None:
    """A worker's life: load the handler, then run one event at a time until the stack goes away."""
    # Ctrl-C reaches every process of the terminal's group; the stack stops its workers itself, so a
    # worker must not die of it mid-invocation (nor be replaced while the stack is stopping).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    function = _load(code, handler, environment)
    connection.send(("ready", None))
    while True:
        try:
            event, clock = connection.recv()
        except (EOFError, OSError):  # the stack is gone
            return
        try:
            reply = ("ok", function(event, Context(name, timeout, clock)))
        except Exception:
            reply = ("error", traceback.format_exc())
        try:
            connection.send(reply)
        except OSError:  # the stack is gone
            return
        except Exception:  # a result that cannot be pickled: nothing was sent yet
            connection.send(("error", traceback.format_exc()))


class _Worker:
    def __init__(self, name: str, code: str, handler: str, environment: dict[str, str], timeout: float):
        context = multiprocessing.get_context("spawn")
        self.limit = max(timeout, LOCAL_LIMIT)
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=_serve,
            args=(child, name, code, handler, environment),
            kwargs={"timeout": timeout},
            name=f"{name}-worker",
            daemon=True,
        )
        with _children_ignore_interrupts():
            self.process.start()
        child.close()
        self.ready = False

    def call(self, event: dict[str, Any], clock: Any = None) -> Any:
        try:
            if not self.ready:
                # Importing the handler is the cold start: not part of the invocation's time.
                self.connection.recv()
                self.ready = True
            self.connection.send((event, clock))  # the clock as it reads now, copied to the worker
            if not self.connection.poll(self.limit):
                raise WorkerLost(f"{self.process.name} ran past {self.limit:g} s")
            kind, value = self.connection.recv()
        except (EOFError, OSError) as error:
            raise WorkerLost(f"{self.process.name} died (exit code {self.process.exitcode})") from error
        if kind == "error":
            raise FunctionError(value)
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()


class Function:
    """Worker processes serving one function."""

    def __init__(
        self,
        name: str,
        code: str,
        handler: str,
        environment: dict[str, str],
        *,
        processes: int,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._spec = (name, code, handler, environment, timeout)
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._stopping = False
        for _ in range(processes):
            self._add()

    def _add(self) -> None:
        with self._lock:
            if self._stopping:
                return
            worker = _Worker(*self._spec)
            self._workers.append(worker)
        self._idle.put(worker)

    def invoke(self, event: dict[str, Any], clock: Any = None) -> Any:
        """Run `event` in an idle worker, its context carrying `clock` (a copy of it as it is now)."""
        worker = self._idle.get()
        if worker is None:  # stopping: pass the word on to the next caller
            self._idle.put(None)
            raise Stopping(f"{self.name} is stopping")
        try:
            return worker.call(event, clock)
        except WorkerLost:
            self._discard(worker)
            worker = None
            if self._stopping:  # stopped under the event, not lost
                raise Stopping(f"{self.name} is stopping") from None
            raise
        finally:
            if worker is not None:  # it answered, with a result or the function's exception
                self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        """A dead or overrunning worker goes, as Lambda discards the environment; a fresh one replaces it."""
        worker.stop()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
        self._add()

    def stop(self, deadline: float | None = None) -> None:
        """Stops every worker, killing any that has not exited by the deadline; never waits beyond it."""
        with self._lock:
            self._stopping = True
            workers = list(self._workers)
        self._idle.put(None)
        for worker in workers:
            worker.stop()
        deadline = deadline or time.monotonic() + STOP_GRACE
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
