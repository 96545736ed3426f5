"""Edits carry the version they were based on: of concurrent edits with one version, exactly one wins."""

from __future__ import annotations

import pytest
from coupon_service import keys
from coupon_service.coupons import Coupons
from coupon_service.models.coupons import CouponPatch
from coupon_service.store.table import Table

from tests.support import call, concurrently, coupon_body, merchant, outcome

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]


def test_one_of_many_concurrent_edits_with_the_same_version_wins():
    # Given a coupon at version 1 over 4 shards
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(shard_count=4)).json
    path = f"/coupons/{coupon['coupon_id']}"

    # When 24 edits based on version 1 arrive at once, each setting its own title and inventory
    def edit(i):
        patch = CouponPatch(version=1, title=f"edit {i}", inventory=200 + i)
        return outcome(lambda: Coupons().edit("m1", coupon["coupon_id"], patch))

    replies = concurrently(edit, 24, threads=24)

    # Then exactly one succeeded, the others were told the version moved on
    statuses = [r.status for r in replies]
    assert statuses.count(201) == 1, statuses
    assert all(r.json["error"]["code"] == "version_conflict" for r in replies if r.status != 201)
    winner = next(i for i, r in enumerate(replies) if r.status == 201)

    # And the store holds the winner's edit only: coupon item and shard inventory agree
    stored = call("GET", path, claims=merchant("m1")).json
    assert stored["version"] == 2 and stored["title"] == f"edit {winner}"
    shards = [Table().get(keys.shard(coupon["coupon_id"], i)) for i in range(4)]
    assert sum(s["remaining"] for s in shards) == 200 + winner == stored["inventory"]["total"]
