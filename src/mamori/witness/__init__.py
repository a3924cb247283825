"""``mamori witness``: a tlog-witness for mamori's audit log, run on another machine.

Needs no Django and no database: a key file, a state directory and the logs' verifier keys.
"""

__all__: list[str] = []
