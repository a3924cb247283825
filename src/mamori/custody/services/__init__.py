"""Services of custody: the transaction edge between API, pages and the threshold engine."""
