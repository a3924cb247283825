"""The withdrawal check at the exchange's speed (ISM 27-2, 27-3), kept in one package.

Only ``POST /api/custody/withdrawals/check`` with a service's bearer token takes this path;
everything else — every other request, every refusal, a person's token — is Django's.

- :mod:`.gateway`: the ASGI layer in front of Django that hands such a check to a decider;
- :mod:`.batches`: a batch of checks decided in one transaction (group commit);
- :mod:`.decider`, :mod:`.lease`, :mod:`.wire`: decider processes, one leading by lease and the
  others standing by, and how web workers reach them (the leader followed across a switch);
- :mod:`.companion`: the deciders ``mamori serve`` starts beside its workers;
- :mod:`.fastdb`: reads and inserts compiled once, for the journal and the checks' lookups.

Token authentication is not here: every check's token is read from the database through the
ordinary ORM path (``accounts.services.tokens``), once per batch transaction.
"""
