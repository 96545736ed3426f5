"""Issuance rules: coupons issued on events (orders, customers joining, accepted invitations, birthdays,
tier upgrades), the outside events merchants report, and the scheduled run (birthdays, packs again)."""
