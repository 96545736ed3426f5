"""Figures per coupon and per merchant, kept as events happen: the aggregator, its pure records, the
reads behind the figures routes, and the reconciliation."""
