"""Serverless coupons: the shared layer package (models, rules, the DynamoDB store, events, QR)."""
