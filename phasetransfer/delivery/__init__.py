"""Delivery: what happened to each message after it left (GOV.UK Notify's delivery
receipts), and the caseworker's list of contacts whose messages did not arrive."""
