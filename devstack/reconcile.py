"""`make reconcile`: recount every figure from the records and report any difference from the counters.

Against the local stack (`make run`) by default: its emulator and table are read from .devstack/local.json.
Against a deployed stack: `make reconcile ARGS="--table <TableName output>"` with AWS credentials in the
environment. Exits 1 when a figure differs, naming each cell and figure."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

INFO_FILE = Path(__file__).resolve().parents[1] / ".devstack" / "local.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", help="the deployed table (default: the local stack's)")
    args = parser.parse_args(argv)
    if args.table:
        os.environ["TABLE_NAME"] = args.table
    else:
        info = json.loads(INFO_FILE.read_text())
        os.environ.update(TABLE_NAME=info["table"], AWS_ENDPOINT_URL=info["emulator"])
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the emulator takes any
            os.environ.setdefault(name, "local")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from coupon_service.figures.reconcile import reconcile

    found = reconcile()
    for (coupon, day, channel, store), figure, recounted, counted in found:
        where = f"{coupon} {day} channel={channel} store={store}"
        print(f"{where}: {figure} recounted {recounted}, counted {counted}")
    print(f"{len(found)} difference(s)" if found else "figures equal the records: no difference")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
