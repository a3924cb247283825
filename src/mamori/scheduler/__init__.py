"""Periodic jobs with a record of every run, so "at least once a day" can be proved (ISM 34-1)."""
