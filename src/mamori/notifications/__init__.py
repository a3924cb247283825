"""Notifications with delivery records, retries and escalation (ISM 27-3, SRM 7-3, ISM 9-3)."""
