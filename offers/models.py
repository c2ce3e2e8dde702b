"""Offer day, letters and the notification outbox (issue 7)."""
