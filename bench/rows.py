"""`python bench/rows.py claims|reminders|imports` from a checkout's root: that checkout's claims throughput
(both code modes), reminder run at 10,000 claimed and import of 10,000 codes, each against its floor, as
one JSON line. It uses only what every checkout's bench has had since the first, so a past commit's rows
(`git worktree add --detach DIR COMMIT`) can be measured beside this one's in turns on the same machine."""

import json
import logging
import os
import sys

sys.path[:0] = ["layers/shared/python", "."]
from devstack.emulator import CLIENT_ENVIRONMENT, Emulator  # noqa: E402
from devstack.provision import REGION, provision  # noqa: E402


def main() -> None:
    os.environ.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emulator = Emulator().start()
    os.environ["AWS_ENDPOINT_URL"] = emulator.url
    os.environ.update(CLIENT_ENVIRONMENT)
    stack = provision(emulator.url, "bench")
    os.environ.update(stack.environment())
    from bench import claims, imports, reminders

    what = sys.argv[1]
    out: object = None
    if what == "claims":
        out = {mode: claims.throughput(mode) for mode in ("random_on_claim", "generated")}
    elif what == "reminders":
        out = reminders.measure(emulator.url, 10_000)
    elif what == "imports":
        out = imports.measure_all((10_000,))
    print("RESULT", json.dumps(out, default=str))
    emulator.stop()


if __name__ == "__main__":
    main()
