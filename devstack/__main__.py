"""`make run`: start the local stack, print how to try it, stop everything on Ctrl-C."""

from __future__ import annotations

import faulthandler
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading

from devstack.stack import LocalStack
from devstack.tokens import STATE

INFO_FILE = STATE / "local.json"
# Seconds stopping (and the interpreter's exit after it) may take before the stack prints where each of
# its threads is and ends at once, killing its workers: Ctrl-C always ends `make run`.
STOP_LIMIT = 15.0


def _bound_stopping(limit: float) -> None:
    def stuck() -> None:
        print(f"stopping took over {limit:g} s; each thread, most recent call first:", flush=True)
        faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
        for child in multiprocessing.active_children():
            child.kill()
        os._exit(3)

    timer = threading.Timer(limit, stuck)
    timer.daemon = True
    timer.start()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = int(os.environ.get("COUPONS_PORT", "3000"))
    emulator_port = int(os.environ.get("COUPONS_EMULATOR_PORT", "0"))
    stack = LocalStack(port=port, emulator_port=emulator_port).start()
    info = stack.summary()
    INFO_FILE.parent.mkdir(parents=True, exist_ok=True)
    INFO_FILE.write_text(json.dumps(info, indent=2))
    tokens = info["tokens"]
    url = info["url"]
    print(
        f"""
Serverless coupons, running locally at {url}   (state in memory: a restart starts clean)
AWS emulator: {info["emulator"]}   URL and tokens as JSON: {INFO_FILE}

Tokens (ID tokens signed with this machine's local key; `make token ARGS="customer u123"` mints more,
`make token ARGS="staff s8 --merchant m1 --store sh-001"` a till at one store):
  merchant m1:  {tokens["merchant_m1"]}
  staff of m1:  {tokens["staff_m1"]}
  staff of m1 at store sh-001:  {tokens["staff_m1_store"]}
  platform:     {tokens["platform"]}
  customer u1:  {tokens["customer_u1"]}
  customer u2:  {tokens["customer_u2"]}

Try:
  curl -s -X POST {url}/coupons -H "Authorization: Bearer $(jq -r .tokens.merchant_m1 {INFO_FILE})" \\
    -H 'Content-Type: application/json' -d @events/bodies/create-coupon.json
  curl -s {url}/coupons -H "Authorization: Bearer $(jq -r .tokens.merchant_m1 {INFO_FILE})"
  curl -s {url.rsplit("/", 1)[0]}/_local/events      # the events published on the bus

OpenAPI for every function: {url.rsplit("/", 1)[0]}/_local/openapi.json   Ctrl-C stops everything.
""",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    # Woken twice a second: Python runs a signal's handler in the main thread only, and the kernel may hand
    # the signal to another of the stack's threads, which leaves a wait without a timeout asleep for good
    # (the stack then never stopped on Ctrl-C or SIGTERM).
    while not stopped.wait(0.5):
        pass
    print("stopping…", flush=True)
    _bound_stopping(STOP_LIMIT)
    # A second Ctrl-C ends the process at once; its workers then exit when they find the stack gone.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    stack.stop()


if __name__ == "__main__":
    main()
