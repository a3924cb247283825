"""The event bus: ``publish`` in a transaction, handlers idempotent by event id.

Subjects are ``mamori.<app>.<event>``. Publishing writes the event to an outbox table in the
caller's transaction, so an event exists exactly when the change that caused it was committed;
a relay then delivers it — to in-process subscribers by default, or to NATS JetStream when
``MAMORI_NATS_URL`` is set (durable consumers, at-least-once, deduplicated by event id). If the
broker is unreachable the outbox keeps the events (up to ``MAX_PENDING``, after which publishing
fails loudly) and the relay retries; nothing is dropped silently.
"""

# The API lives in mamori.events.bus (publish, subscribe, relay); importing it here would
# load models before Django's app registry is ready.
__all__: list[str] = []
