"""Every DynamoDB key format of the single table, in one place (docs/data-model.md describes them)."""

from __future__ import annotations

import zlib
from typing import Literal

CHUNK = 100  # codes per pool item: a claim reads one small item, an import of 100,000 codes writes 1,000


def coupon(coupon_id: str) -> dict[str, str]:
    return {"PK": f"COUPON#{coupon_id}", "SK": "COUPON"}


def coupon_logo(coupon_id: str) -> dict[str, str]:
    return {"PK": f"COUPON#{coupon_id}", "SK": "LOGO"}


def coupon_promotion(coupon_id: str) -> dict[str, str]:
    """The channel and logo a coupon's merchant last promoted it with."""
    return {"PK": f"COUPON#{coupon_id}", "SK": "PROMOTION"}


def merchant_coupons(merchant_id: str) -> str:
    return f"MERCHANT#{merchant_id}"


def coupon_listing(merchant_id: str, created_at: str, nanos: int, coupon_id: str) -> dict[str, str]:
    """GSI1 keys of a coupon in its merchant's listing, newest first; the nanoseconds after the second
    keep coupons made in the same second in creation order."""
    return {"GSI1PK": merchant_coupons(merchant_id), "GSI1SK": f"{created_at}#{nanos:09d}#{coupon_id}"}


def stock_watch(coupon_id: str) -> dict[str, str]:
    """What the stock watch last saw of a coupon's inventory: low or not, sold out or not, crossings."""
    return {"PK": f"COUPON#{coupon_id}", "SK": "STOCK"}


def shard(coupon_id: str, index: int) -> dict[str, str]:
    # Each shard is its own partition key, so a hot coupon's claims spread over partitions.
    return {"PK": f"SHARD#{coupon_id}#{index:02d}", "SK": "SHARD"}


def audience_member(coupon_id: str, customer_id: str) -> dict[str, str]:
    return {"PK": f"COUPON#{coupon_id}", "SK": f"AUDIENCE#{customer_id}"}


def pool_chunk(coupon_id: str, shard_index: int, chunk: int) -> dict[str, str]:
    return {"PK": f"POOL#{coupon_id}#{shard_index:02d}", "SK": f"{chunk:07d}"}


def holder(customer_id: str, coupon_id: str) -> dict[str, str]:
    # Keyed by customer, not coupon: a flash sale's per-customer counters never share a partition.
    return {"PK": f"CUSTOMER#{customer_id}", "SK": f"HOLDS#{coupon_id}"}


def claim(claim_id: str) -> dict[str, str]:
    return {"PK": f"CLAIM#{claim_id}", "SK": "CLAIM"}


def redeem_guard(claim_id: str) -> dict[str, str]:
    """Wrong verification codes tried on one claimed coupon."""
    return {"PK": f"CLAIM#{claim_id}", "SK": "GUARD"}


def coupon_guard(coupon_id: str) -> dict[str, str]:
    """Wrong verification codes tried on one coupon by all its customers, per window; its own partition,
    so an attack's writes never touch the coupon item that claims read."""
    return {"PK": f"GUARD#{coupon_id}", "SK": "GUARD"}


def customer_guard(customer_id: str, merchant_id: str) -> dict[str, str]:
    """Wrong verification codes one customer tried on all their coupons of one merchant."""
    return {"PK": f"CUSTOMER#{customer_id}", "SK": f"GUARD#{merchant_id}"}


def lookup_budget(staff_id: str, merchant_id: str) -> dict[str, str]:
    """Unknown codes one staff member looked up at one merchant's tills in the current window."""
    return {"PK": f"STAFF#{staff_id}", "SK": f"LOOKUPS#{merchant_id}"}


def wallet(customer_id: str) -> str:
    return f"OWNER#{customer_id}"


def wallet_sort(valid_until: str, claim_id: str) -> str:
    """A wallet's sort key (GSI1SK): soonest expiry first."""
    return f"{valid_until}#{claim_id}"


def wallet_index(customer_id: str, valid_until: str, claim_id: str) -> dict[str, str]:
    """GSI1 keys of a claimed coupon in its holder's wallet."""
    return {"GSI1PK": wallet(customer_id), "GSI1SK": wallet_sort(valid_until, claim_id)}


def wallet_expiry_bound(now: str) -> str:
    """Between the wallet sort keys of coupons expired at `now` (below) and those still valid (above):
    '~' sorts after the '#' that ends a sort key's `valid_until`, so `valid_until == now` falls below."""
    return f"{now}~"


def code_lookup(issuer_id: str, code: str) -> str:
    return f"CODE#{issuer_id}#{code}"


def claim_code_index(issuer_id: str, code: str) -> dict[str, str]:
    """GSI2 keys of a claimed coupon: found by its current code at the till."""
    return {"GSI2PK": code_lookup(issuer_id, code), "GSI2SK": "CLAIM"}


def code_registry(merchant_id: str, code: str) -> dict[str, str]:
    return {"PK": f"CODE#{merchant_id}#{code}", "SK": "CODE"}


def claim_records(coupon_id: str, shard_index: int) -> str:
    return f"RECORDS#{coupon_id}#{shard_index:02d}"


def claim_record_index(coupon_id: str, shard_index: int, claimed_at: str, claim_id: str) -> dict[str, str]:
    """GSI4 keys of a claim in its coupon shard's claim records, by time."""
    return {"GSI4PK": claim_records(coupon_id, shard_index), "GSI4SK": f"{claimed_at}#{claim_id}"}


def redemption(redemption_id: str) -> dict[str, str]:
    return {"PK": f"REDEMPTION#{redemption_id}", "SK": "REDEMPTION"}


def order(merchant_id: str, order_id: str) -> dict[str, str]:
    """The one redemption an order at a merchant carries (one coupon per order)."""
    return {"PK": f"ORDER#{merchant_id}#{order_id}", "SK": "ORDER"}


def coupon_redemptions(coupon_id: str) -> str:
    return f"REDEEMED#{coupon_id}"


def redemption_index(coupon_id: str, redeemed_at: str, redemption_id: str) -> dict[str, str]:
    """GSI2 keys of a redemption: a coupon's redemptions by time."""
    return {"GSI2PK": coupon_redemptions(coupon_id), "GSI2SK": f"{redeemed_at}#{redemption_id}"}


def gift(token_hash: str) -> dict[str, str]:
    return {"PK": f"GIFT#{token_hash}", "SK": "GIFT"}


def import_job(job_id: str) -> dict[str, str]:
    return {"PK": f"IMPORT#{job_id}", "SK": "JOB"}


def coupon_imports(coupon_id: str) -> str:
    return f"IMPORTS#{coupon_id}"


def import_job_index(coupon_id: str, created_at: str, job_id: str) -> dict[str, str]:
    """GSI2 keys of an import job: its coupon's jobs by creation time."""
    return {"GSI2PK": coupon_imports(coupon_id), "GSI2SK": f"{created_at}#{job_id}"}


def reminder_bucket(bucket: str, shard_index: int) -> str:
    return f"REMIND#{bucket}#{shard_index:02d}"


def reminder_checkpoint() -> dict[str, str]:
    return {"PK": "REMINDERS", "SK": "CHECKPOINT"}


REMINDER_SHARDS = 8


def reminder_index(remind_at: str, claim_id: str) -> dict[str, str]:
    """GSI3 keys of a due reminder: hourly buckets spread over shards, so no hour is one hot partition."""
    shard_index = zlib.crc32(claim_id.encode()) % REMINDER_SHARDS
    return {"GSI3PK": reminder_bucket(remind_at[:13], shard_index), "GSI3SK": f"{remind_at}#{claim_id}"}


def reminder_due_bound(now: str) -> str:
    """The GSI3 sort key every entry due by `now` sorts below ('~' sorts after the '#' that follows)."""
    return f"{now}~"


def reminder_subject(key: dict[str, str]) -> tuple[Literal["claim", "gift"], str]:
    """What a reminder-index entry is for: a claimed coupon to remind, or a gift to settle once lapsed;
    with the claim's or the gift's id."""
    prefix, _, item_id = key["PK"].partition("#")
    return ("gift" if prefix == "GIFT" else "claim"), item_id


def store(merchant_id: str, store_id: str) -> dict[str, str]:
    """One store in a merchant's registry."""
    return {"PK": f"STORE#{merchant_id}#{store_id}", "SK": "STORE"}


def merchant_stores(merchant_id: str) -> str:
    return f"STORES#{merchant_id}"


def store_listing(merchant_id: str, store_id: str) -> dict[str, str]:
    """GSI1 keys of a store in its merchant's registry, by store id."""
    return {"GSI1PK": merchant_stores(merchant_id), "GSI1SK": store_id}


# --- a coupon's edits: the history its merchant reads, and each validity extension's progress -----------


def coupon_change(coupon_id: str, version: int) -> dict[str, str]:
    """One edit of a coupon in its history (the version the edit made), beside the coupon it changed."""
    return {"PK": f"COUPON#{coupon_id}", "SK": f"CHANGE#{version:09d}"}


def coupon_history(coupon_id: str) -> str:
    return f"CHANGES#{coupon_id}"


def coupon_change_index(coupon_id: str, version: int) -> dict[str, str]:
    """GSI2 keys of an edit: a coupon's history by version."""
    return {"GSI2PK": coupon_history(coupon_id), "GSI2SK": f"{version:09d}"}


def holder_extension(coupon_id: str, version: int) -> dict[str, str]:
    """The progress of extending held windows after the edit that made `version` (one per change)."""
    return {"PK": f"COUPON#{coupon_id}", "SK": f"EXTENSION#{version:09d}"}


def budget_shard(coupon_id: str, index: int) -> dict[str, str]:
    """One shard of a coupon's budget (the total discount it may give): its own partition, like the
    inventory's shards, so concurrent redemptions spread."""
    return {"PK": f"BUDGET#{coupon_id}#{index:02d}", "SK": "BUDGET"}


def shared_code(merchant_id: str, code: str) -> dict[str, str]:
    """A coupon's public code at its merchant (upper case): unique per merchant by its conditional put; it
    holds the code's caps and its count of redemptions (one item: the cap is exact)."""
    return {"PK": f"SHARED_CODE#{merchant_id}#{code}", "SK": "SHARED_CODE"}


def coupon_shared_code(coupon_id: str) -> dict[str, str]:
    """Which public code a coupon has (at most one), beside the coupon."""
    return {"PK": f"COUPON#{coupon_id}", "SK": "SHARED_CODE"}


def shared_code_use(coupon_id: str, customer_id: str) -> dict[str, str]:
    """One customer's redemptions of a coupon's public code (redemption id -> time): the per-customer cap."""
    return {"PK": f"SHARED_USE#{coupon_id}#{customer_id}", "SK": "SHARED_USE"}


def device_claims(coupon_id: str, device_hash: str) -> dict[str, str]:
    """How many claims of a coupon one device made (its id's keyed hash): the per-device limit."""
    return {"PK": f"DEVICE#{coupon_id}#{device_hash}", "SK": "DEVICE"}


def claim_watch(merchant_id: str, kind: str, subject_hash: str, window: str) -> dict[str, str]:
    """The accounts that claimed a merchant's coupons from one device or one IP (`kind`; its keyed hash) in
    one window: the abuse watch."""
    return {"PK": f"CLAIMWATCH#{merchant_id}#{kind}#{subject_hash}", "SK": f"WINDOW#{window}"}


def merchant_settings(merchant_id: str) -> dict[str, str]:
    """A merchant's settings (how many stackable coupons an order at the merchant takes)."""
    return {"PK": f"MERCHANT#{merchant_id}", "SK": "SETTINGS"}


# --- figures: the aggregator's records and counters -------------------------------------------------------

FIGURE_SHARDS = 8  # counter partitions per coupon (and per merchant's totals), chosen by the event's id


def figure_shard(event_id: str) -> int:
    return zlib.crc32(event_id.encode()) % FIGURE_SHARDS


def figures_claim(claim_id: str) -> dict[str, str]:
    """What the aggregator was told of one claimed coupon (its events' facts and contribution)."""
    return {"PK": f"FIGCLAIM#{claim_id}", "SK": "FIGURES"}


def figures_customer(merchant_id: str, customer_id: str) -> dict[str, str]:
    """What the aggregator was told of one customer's orders and redemptions at one merchant."""
    return {"PK": f"FIGCUSTOMER#{merchant_id}#{customer_id}", "SK": "FIGURES"}


def figures_partition(coupon_id: str, shard_index: int) -> str:
    return f"FIGURES#{coupon_id}#{shard_index:02d}"


def figures_cell(coupon_id: str, shard_index: int, day: str, channel: str, store_id: str) -> dict[str, str]:
    """One shard of a coupon's counters for a day (the merchant's zone), channel and store (`-`: none)."""
    return {"PK": f"FIGURES#{coupon_id}#{shard_index:02d}", "SK": f"{day}#{channel}#{store_id}"}


def figures_cell_of(key: dict[str, str]) -> tuple[str, str, str, str]:
    """(coupon, day, channel, store) of a counter cell's key (none of them holds `#`)."""
    coupon_id = key["PK"].split("#")[1]
    day, channel, store_id = key["SK"].split("#")
    return coupon_id, day, channel, store_id


def figures_day_bound(day: str) -> str:
    """Sorts after every cell of the day (`~` after any channel character)."""
    return f"{day}#~"


def figures_totals_partition(merchant_id: str, shard_index: int) -> str:
    return f"FIGTOTALS#{merchant_id}#{shard_index:02d}"


def figures_total(merchant_id: str, shard_index: int, coupon_id: str) -> dict[str, str]:
    """One shard of a coupon's all-time totals, in its merchant's partition (the overview reads them)."""
    return {"PK": f"FIGTOTALS#{merchant_id}#{shard_index:02d}", "SK": f"{coupon_id}"}


# --- the orders feed: what merchants report of their orders and refunds ----------------------------------


def reported_order(merchant_id: str, order_id: str) -> dict[str, str]:
    """An order as its merchant reported it (the feed), beside the order's coupons (`order`): its own item,
    so neither write ever replaces the other's."""
    return {"PK": f"ORDER#{merchant_id}#{order_id}", "SK": "REPORTED"}


def order_refund(merchant_id: str, refund_id: str) -> dict[str, str]:
    """One refund a merchant reported, by the merchant's own refund id (unique per merchant)."""
    return {"PK": f"REFUND#{merchant_id}#{refund_id}", "SK": "REFUND"}


def export_job(job_id: str) -> dict[str, str]:
    """A merchant's export of one coupon's records, redemptions or code pool to a CSV file."""
    return {"PK": f"EXPORT#{job_id}", "SK": "JOB"}


# --- the audit of a merchant's reads of customer records ------------------------------------------------


def records_audit(audit_id: str) -> dict[str, str]:
    """One read of a coupon's records by its merchant."""
    return {"PK": f"AUDIT#{audit_id}", "SK": "AUDIT"}


def merchant_audit(merchant_id: str) -> str:
    return f"AUDITS#{merchant_id}"


def audit_listing(merchant_id: str, at: str, audit_id: str) -> dict[str, str]:
    """GSI1 keys of an audited read: its merchant's audit by time (read newest first)."""
    return {"GSI1PK": merchant_audit(merchant_id), "GSI1SK": f"{at}#{audit_id}"}


# --- issuance rules ---------------------------------------------------------------------------------------


def issuance_rules(merchant_id: str) -> str:
    """The partition of a merchant's rules: every event reads it (a merchant has at most 50 rules)."""
    return f"RULES#{merchant_id}"


def issuance_rule(merchant_id: str, rule_id: str) -> dict[str, str]:
    return {"PK": f"RULES#{merchant_id}", "SK": f"RULE#{rule_id}"}


def issuance_rule_prefix() -> str:
    return "RULE#"


def scheduled_rules() -> str:
    """GSI2's partition of the rules the scheduled run serves (birthdays, packs issued again)."""
    return "SCHEDULED_RULES"


def scheduled_rule(merchant_id: str, rule_id: str) -> dict[str, str]:
    return {"GSI2PK": scheduled_rules(), "GSI2SK": f"{merchant_id}#{rule_id}"}


def customer_event(merchant_id: str, event_id: str) -> dict[str, str]:
    """An outside event a merchant reported, keyed by the merchant's own event id."""
    return {"PK": f"CUSTEVENT#{merchant_id}#{event_id}", "SK": "EVENT"}


def rule_event_done(event_id: str) -> dict[str, str]:
    """The mark that the rules were applied to one of the service's events (its `event_id`)."""
    return {"PK": f"RULEDONE#{event_id}", "SK": "RULEDONE"}


def rule_run_done(rule_id: str, day: str) -> dict[str, str]:
    """The mark that a scheduled rule's run for one day (the merchant's) finished."""
    return {"PK": f"RULERUN#{rule_id}", "SK": f"DAY#{day}"}


def rule_pack(rule_id: str, customer_id: str) -> dict[str, str]:
    return {"PK": f"PACK#{rule_id}#{customer_id}", "SK": "PACK"}


def rule_packs(rule_id: str) -> str:
    return f"PACKS#{rule_id}"


def pack_watch(rule_id: str, expires_after: str, customer_id: str) -> dict[str, str]:
    """GSI2 keys of a pack that may be issued again, by the last moment any of its coupons is valid."""
    return {"GSI2PK": rule_packs(rule_id), "GSI2SK": f"{expires_after}#{customer_id}"}


def pack_watch_bound(now: str) -> str:
    """Packs whose every coupon ended before `now` sort below this."""
    return f"{now}#"


# --- a merchant's customer directory and its segments ------------------------------------------------------

DIRECTORY_SHARDS = 8  # partitions of one merchant's directory, chosen by the customer id


def directory_partition(merchant_id: str, shard_index: int) -> str:
    return f"DIRECTORY#{merchant_id}#{shard_index:02d}"


def customer_entry(merchant_id: str, customer_id: str) -> dict[str, str]:
    """One customer in a merchant's directory: its shard is the customer id's CRC32 modulo 8, so a
    merchant's customers spread over 8 partitions and a listing reads them all."""
    shard_index = zlib.crc32(customer_id.encode()) % DIRECTORY_SHARDS
    return {"PK": f"DIRECTORY#{merchant_id}#{shard_index:02d}", "SK": f"{customer_id}"}


def customers_born_on(merchant_id: str, month_day: str) -> str:
    return f"BIRTHDAYS#{merchant_id}#{month_day}"


def birthday_index(merchant_id: str, month_day: str, customer_id: str) -> dict[str, str]:
    """GSI1 keys of a customer with a birthday: a merchant's customers born on one MM-DD."""
    return {"GSI1PK": customers_born_on(merchant_id, month_day), "GSI1SK": customer_id}


def tagged_customers(merchant_id: str, tag: str) -> str:
    return f"TAGGED#{merchant_id}#{tag}"


def customer_tag(merchant_id: str, tag: str, customer_id: str) -> dict[str, str]:
    """One tag of one customer: a merchant's customers with a tag are one partition's items."""
    return {"PK": f"TAGGED#{merchant_id}#{tag}", "SK": f"{customer_id}"}


def passphrase_guard(customer_id: str, coupon_id: str) -> dict[str, str]:
    """Wrong claim passphrases one customer tried on one coupon (counted like verification codes)."""
    return {"PK": f"CUSTOMER#{customer_id}", "SK": f"PASSPHRASE#{coupon_id}"}


# --- the coupon center ------------------------------------------------------------------------------------


def offers_everywhere() -> str:
    """The coupon center's partition of every listed coupon (active; not paused, draft or deleted)."""
    return "OFFERS#ALL"


def offers_of(merchant_id: str) -> str:
    """The coupon center's partition of one merchant's listed coupons (the platform's under `platform`)."""
    return f"OFFERS#MERCHANT#{merchant_id}"


def offer_everywhere(created_at: str, coupon_id: str) -> dict[str, str]:
    """A listed coupon in the center's partition of all coupons, newest first when read backwards."""
    return {"PK": "OFFERS#ALL", "SK": f"{created_at}#{coupon_id}"}


def offer_of(merchant_id: str, created_at: str, coupon_id: str) -> dict[str, str]:
    """A listed coupon in its merchant's partition of the center."""
    return {"PK": f"OFFERS#MERCHANT#{merchant_id}", "SK": f"{created_at}#{coupon_id}"}


# --- grants ---------------------------------------------------------------------------------------------


def grant(grant_id: str) -> dict[str, str]:
    return {"PK": f"GRANT#{grant_id}", "SK": "GRANT"}


def grant_ids(grant_id: str, chunk: int) -> dict[str, str]:
    """One chunk of a grant's customer ids, in the order they are issued."""
    return {"PK": f"GRANT#{grant_id}", "SK": f"IDS#{chunk:05d}"}


def grant_missed(grant_id: str, chunk: int) -> dict[str, str]:
    """The customers of one chunk the grant did not reach, with why."""
    return {"PK": f"GRANT#{grant_id}", "SK": f"MISSED#{chunk:05d}"}


def grant_missed_prefix() -> str:
    return "MISSED#"


def grant_partition(grant_id: str) -> str:
    return f"GRANT#{grant_id}"


def coupon_grants(coupon_id: str) -> str:
    return f"GRANTS#{coupon_id}"


def grant_listing(coupon_id: str, created_at: str, grant_id: str) -> dict[str, str]:
    """GSI1 keys of a grant in its coupon's grants (read newest first)."""
    return {"GSI1PK": coupon_grants(coupon_id), "GSI1SK": f"{created_at}#{grant_id}"}


def merchant_order_partition(merchant_id: str, shard_index: int) -> str:
    return f"ORDERSBY#{merchant_id}#{shard_index:02d}"


ORDER_SHARDS = 8  # partitions of a merchant's reported orders by time, chosen by the order id


def merchant_order_index(merchant_id: str, placed_at: str, order_id: str) -> dict[str, str]:
    """GSI2 keys of a reported order: a merchant's orders by the time they were placed, over 8 partitions
    (the order id's CRC32), which a segment's evaluation reads from a moment on."""
    shard_index = zlib.crc32(order_id.encode()) % ORDER_SHARDS
    return {"GSI2PK": merchant_order_partition(merchant_id, shard_index), "GSI2SK": f"{placed_at}#{order_id}"}


def segment(segment_id: str) -> dict[str, str]:
    """A merchant's saved segment: its conditions and its last evaluation."""
    return {"PK": f"SEGMENT#{segment_id}", "SK": "SEGMENT"}


def merchant_segments(merchant_id: str) -> str:
    return f"SEGMENTS#{merchant_id}"


def segment_listing(merchant_id: str, created_at: str, segment_id: str) -> dict[str, str]:
    """GSI1 keys of a segment in its merchant's listing, oldest first."""
    return {"GSI1PK": merchant_segments(merchant_id), "GSI1SK": f"{created_at}#{segment_id}"}


def segment_members(segment_id: str) -> str:
    return f"SEGMEMBERS#{segment_id}"


def segment_member(segment_id: str, customer_id: str) -> dict[str, str]:
    """One customer of a segment's membership, with the generations (evaluations) it belongs to."""
    return {"PK": f"SEGMEMBERS#{segment_id}", "SK": f"{customer_id}"}


# --- points: a customer's ledger per programme (a merchant, or the platform) -------------------------------

POINTS_EXPIRY_SHARDS = 4  # partitions of one day's expiring lots, chosen by the ledger


def points_ledger(customer_id: str, programme: str) -> str:
    return f"POINTS#{customer_id}#{programme}"


def points_balance(customer_id: str, programme: str) -> dict[str, str]:
    """A ledger's balance counter: what its entries sum to, never below zero."""
    return {"PK": f"POINTS#{customer_id}#{programme}", "SK": "BALANCE"}


def points_entry(customer_id: str, programme: str, entry_id: str) -> dict[str, str]:
    """One change of a ledger; the id is derived from its source, so a source changes a ledger once."""
    return {"PK": f"POINTS#{customer_id}#{programme}", "SK": f"ENTRY#{entry_id}"}


def points_entries(customer_id: str, programme: str) -> str:
    return f"POINTSLOG#{customer_id}#{programme}"


def points_entry_index(customer_id: str, programme: str, at: str, entry_id: str) -> dict[str, str]:
    """GSI1 keys of an entry in its ledger's listing, newest first."""
    return {"GSI1PK": points_entries(customer_id, programme), "GSI1SK": f"{at}#{entry_id}"}


def points_lot(customer_id: str, programme: str, expires_at: str) -> dict[str, str]:
    """The points a ledger earned that expire at one instant (`never`: points that do not expire)."""
    return {"PK": f"POINTS#{customer_id}#{programme}", "SK": f"LOT#{expires_at}"}


def points_lot_prefix() -> str:
    return "LOT#"


def points_due(day: str, shard_index: int) -> str:
    return f"POINTSDUE#{day}#{shard_index:02d}"


def points_due_index(customer_id: str, programme: str, expires_at: str) -> dict[str, str]:
    """GSI2 keys of an expiring lot: the lots due on a UTC day, over a few partitions (the ledger's CRC32)."""
    shard_index = zlib.crc32(f"{customer_id}#{programme}".encode()) % POINTS_EXPIRY_SHARDS
    return {
        "GSI2PK": points_due(expires_at[:10], shard_index),
        "GSI2SK": f"{expires_at}#{customer_id}#{programme}",
    }


def points_due_bound(now: str) -> str:
    return f"{now}~"


def points_settings(merchant_id: str) -> dict[str, str]:
    """A programme's points settings: expiry and earning rules."""
    return {"PK": f"MERCHANT#{merchant_id}", "SK": "POINTS"}


def points_checkpoint() -> dict[str, str]:
    """The points expiry run's checkpoint."""
    return {"PK": "POINTSEXPIRY", "SK": "CHECKPOINT"}


def birthday_programmes() -> str:
    """GSI2's partition of the programmes whose settings have a birthday rule (the birthday run's walk)."""
    return "POINTSBIRTHDAY"


def birthday_programme(merchant_id: str) -> dict[str, str]:
    """GSI2 keys of a programme's settings while they have a birthday rule."""
    return {"GSI2PK": birthday_programmes(), "GSI2SK": merchant_id}


def points_birthdays_done(merchant_id: str) -> dict[str, str]:
    """The last local day whose birthdays a programme's birthday run credited."""
    return {"PK": f"MERCHANT#{merchant_id}", "SK": "POINTSBIRTHDAYS"}
