"""API tokens are read from the database at every use (ISM 23-1-1): no process-wide cache of
token rows that threads share and mutate; a narrowed or revoked token counts at once; the
fast withdrawal path leaves a person's token to the endpoint, where their permission is
checked."""

from __future__ import annotations

import json
import threading

import pytest

from mamori.accounts.models import ApiToken
from mamori.accounts.services import tokens
from mamori.custody.fastpath import batches
from mamori.custody.services import monitor
from tests.conftest import give, make_user, monitored_btc

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_each_use_reads_the_token_as_the_database_holds_it_now() -> None:
    issued = tokens.issue("gateway", ["custody:check", "custody:read"], 30, None)
    first, second = tokens.authenticate(issued.secret), tokens.authenticate(issued.secret)
    assert first is not None and second is not None and first is not second  # not shared
    ApiToken.objects.filter(pk=issued.token.pk).update(scopes=["custody:read"])
    narrowed = tokens.authenticate(issued.secret)
    assert narrowed is not None and narrowed.scopes == ["custody:read"]
    assert first.scopes == ["custody:check", "custody:read"]  # an earlier answer is not altered
    tokens.revoke(issued.token, None)
    assert tokens.authenticate(issued.secret) is None


def test_threads_never_see_each_others_token_objects() -> None:
    issued = tokens.issue("gateway", ["custody:check"], 30, None)
    seen: list[int] = []
    lock = threading.Lock()

    def use() -> None:
        from django.db import connection

        try:
            for _ in range(20):
                token = tokens.authenticate(issued.secret)
                with lock:
                    seen.append(id(token))
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(seen) == 80


def test_the_fast_path_leaves_a_persons_token_to_the_endpoint() -> None:
    monitor.reset()
    operator = give(make_user("op-fast"), "custody_operator")
    monitored_btc(operator, [("all", "all", "halt", 20 * 10**8, 3600)])
    person_token = ApiToken.objects.create(
        name="person", prefix="abcdef012345", digest="x", scopes=["custody:check"],
        created_by=operator, expires_at=tokens.timezone.now() + tokens.timedelta(days=1),
    )  # fmt: skip
    secret = "mamori_abcdef012345_anything"
    ApiToken.objects.filter(pk=person_token.pk).update(digest=tokens._digest(secret))
    body = {"request_id": "p1", "customer": "c", "asset": "BTC", "amount": "1000", "address": "x"}
    check = batches.Check(secret, json.dumps(body).encode(), "0" * 32, None)
    assert batches.decide_batch([check]) == [None]  # Django's endpoint decides, checking who
    service = tokens.issue("gateway", ["custody:check"], 30, None)
    check = batches.Check(service.secret, json.dumps(body).encode(), "1" * 32, None)
    (answer,) = batches.decide_batch([check])
    assert answer is not None and json.loads(answer)["id"] == "p1"  # the fast path decided
    monitor.reset()
