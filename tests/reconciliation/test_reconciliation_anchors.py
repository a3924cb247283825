"""Statement figures anchored in the audit log (issue 24, last point): each run writes every
asset's figures to the log; a statement carries each entry's body, its inclusion proof and the
signed checkpoint; the auditor's `verify-statement --key --log-key --trusted-checkpoint`
refuses a statement an insider changed — even one re-signed with a key of their own, even one
whose anchors were recomputed from a rewritten log — and the honest statement verifies."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.utils import translation

from mamori.auditlog import publish, services, store
from mamori.auditlog.models import Checkpoint, SigningKey
from mamori.engines import merkle
from mamori.engines import reconcile as engine
from mamori.reconciliation.models import AssetResult, Run
from mamori.reconciliation.services import books, runs, statements
from tests.auditlog.test_auditlog_signer import rewrite_from, signer_state, watchers
from tests.reconciliation.test_reconciliation import ETH, exchange, steal

__all__ = ["exchange", "signer_state", "watchers"]  # fixtures shared with other test files

pytestmark = pytest.mark.django_db
SHORT = 3 * ETH


def _rpc(exchange: dict[str, Any]) -> list[str]:
    return ["--rpc", f"ethereum={exchange['node'].url}", "--rpc", f"bitcoin={exchange['btc_url']}"]


def _verify(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("reconcile", "verify-statement", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _refused(path: Path, *args: str) -> str:
    with pytest.raises(CommandError) as failed:
        _verify(path, *args)
    return str(failed.value)


@pytest.fixture
def short_run(exchange, settings, tmp_path):
    """A run that finds 3 ETH missing, its statement written, and the statement's checkpoint
    published to a directory outside mamori (as the auditor would hold it)."""
    books.import_file(exchange["book"], "test")
    steal(exchange, "ETH", SHORT)
    run = runs.run("manual")
    assert run.status == "difference"
    out = tmp_path / "statement.json"
    call_command("reconcile", "statement", str(run.pk), "--output", str(out), stdout=StringIO())
    published = tmp_path / "published"
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, publish_dir=published)
    assert all(o.ok for o in publish.publish_latest())
    return {
        "run": run,
        "out": out,
        "published": published,
        "statement_key": statements.verifier(),  # the auditor took these at installation
        "log_key": services.log_key().verifier(),
    }


def _auditor(exchange, short_run) -> list[str]:
    return [
        *_rpc(exchange),
        "--key",
        short_run["statement_key"],
        "--log-key",
        short_run["log_key"],
        "--trusted-checkpoint",
        str(short_run["published"]),
    ]


def _hide_shortfall(statement: dict[str, Any]) -> dict[str, Any]:
    """Change the ETH figures so the 3 ETH shortfall disappears and the chain still agrees
    (the book goes down by 3 ETH: every on-chain figure stays true)."""
    eth = next(a for a in statement["assets"] if a["asset"] == "ETH")
    eth["book"] = str(int(eth["book"]) - SHORT)
    eth["difference"] = "0"
    eth["status"] = "matched"
    for wallet in eth["wallets"]:
        if wallet["difference"] not in (None, "0"):
            wallet["book"] = str(int(wallet["book"]) + int(wallet["difference"]))
            wallet["difference"] = "0"
    statement["status"] = "matched"
    return statement


def _insider_key() -> merkle.LogKey:
    """A statement key the insider made and registered (the key table allows inserts)."""
    key = merkle.LogKey.generate(SigningKey.objects.filter(purpose="statement").first().name)
    SigningKey.objects.create(
        purpose="statement",
        name=key.name,
        key_id=key.key_id.hex(),
        public_key=key.public_key,
        store="file",
        created_by="system:cli",
    )
    return key


def test_each_run_writes_every_asset_figures_to_the_audit_log(short_run) -> None:
    run = short_run["run"]
    bodies = {}
    for position, body, _ in store.entries(store.raw_cursor(), 0):
        entry = json.loads(body)
        if entry["action"] == "reconciliation.figures":
            bodies[entry["details"]["asset"]] = entry["details"]
    eth = AssetResult.objects.get(run=run, asset="ETH")
    assert bodies["ETH"] == {
        "run": run.pk,
        "asset": "ETH",
        "chain": "ethereum",
        "block": {"number": eth.block_number, "hash": eth.block_hash},
        "status": "difference",
        "book": str(100 * ETH),
        "in_flight": "0",
        "on_chain": str(100 * ETH - SHORT),
        "difference": str(-SHORT),
        "assets": sorted(bodies),
    }
    assert sorted(bodies) == ["BTC", "ETH", "USDC"]


def test_the_honest_statement_verifies_with_the_keys_and_checkpoint_the_auditor_holds(
    exchange, short_run
) -> None:
    out = short_run["out"]
    document = json.loads(out.read_text())
    anchors = document["statement"]["anchors"]
    size = anchors["size"]
    assert Checkpoint.objects.filter(size=size, note=anchors["checkpoint"]).exists()
    for anchor in anchors["entries"]:  # the leaf body is exactly the bytes hashed
        assert anchor["body"].encode() == store.body_of(anchor["position"])
        assert anchor["position"] < size
    said = _verify(out, *_auditor(exchange, short_run))
    assert "signature valid for the key given" in said
    assert f"equal to the trusted checkpoint {short_run['published']}/checkpoints/{size}" in said
    published_note = str(short_run["published"] / "checkpoints" / str(size))
    args = [*_rpc(exchange), "--key", short_run["statement_key"], "--log-key"]
    said = _verify(out, *args, short_run["log_key"], "--trusted-checkpoint", published_note)
    assert "equal to the trusted checkpoint" in said
    said = _verify(out, *_rpc(exchange), "--key", short_run["statement_key"])
    assert "the audit-log anchors were NOT checked (no --log-key)" in said
    with translation.override("ja"):  # the PDF for people names the anchors too
        html = render_to_string(
            "reconciliation/statement_pdf.html",
            {**document, "statement": document["statement"], "time_zone": "Asia/Tokyo"},
        )
    assert "監査ログへの記録" in html and f"チェックポイント（サイズ {size}）" in html
    assert "ETH #" in html and "--log-key LOG_KEY" in html
    with _serving(short_run["published"]) as url:  # the publish directory over HTTP
        said = _verify(out, *args, short_run["log_key"], "--trusted-checkpoint", f"{url}/")
    assert f"equal to the trusted checkpoint {url}/checkpoints/{size}" in said


@contextmanager
def _serving(folder: Path) -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_insider_who_hides_a_shortfall_and_re_signs_is_refused(exchange, short_run) -> None:
    out = short_run["out"]
    document = json.loads(out.read_text())
    statement = _hide_shortfall(document["statement"])
    statement.pop("signing_key")
    forged = engine.sign_statement(statement, _insider_key())
    tampered = out.with_name("forged.json")
    tampered.write_text(json.dumps(forged, ensure_ascii=False))

    # against the database alone (the insider's key row) it looks fine: the gap closed here
    said = _verify(tampered, *_rpc(exchange))
    assert "NOT verified: no --key" in said and "anchors were NOT checked" in said

    message = _refused(tampered, *_auditor(exchange, short_run))
    assert "a foreign key" in message
    eth = next(a for a in document["statement"]["anchors"]["entries"] if a["asset"] == "ETH")
    at = eth["position"]
    assert (
        f'ETH: book: the statement says "{97 * ETH}", the audit log (entry {at}) says '
        f'"{100 * ETH}"' in message
    )
    assert f'ETH: difference: the statement says "0", the audit log (entry {at}) says ' in message
    assert 'ETH: status: the statement says "matched"' in message
    # the chain cannot see it: every on-chain figure is still true
    assert "the chain says" not in message and "is not on-chain" not in message


def test_figures_changed_in_the_database_before_the_statement_are_refused(
    exchange, short_run, tmp_path
) -> None:
    """The insider rewrites the stored result, and mamori itself builds and signs the
    statement with the genuine key: the figures differ from the entry the run wrote."""
    run = short_run["run"]
    AssetResult.objects.filter(run=run, asset="ETH").update(
        book=100 * ETH - SHORT, difference=0, status="matched"
    )
    Run.objects.filter(pk=run.pk).update(status="matched")
    out = tmp_path / "rebuilt.json"
    call_command("reconcile", "statement", str(run.pk), "--output", str(out), stdout=StringIO())
    message = _refused(out, *_auditor(exchange, short_run)[:-2])  # genuine key signs it
    assert "does not verify" not in message and "foreign key" not in message
    assert f'ETH: book: the statement says "{97 * ETH}"' in message
    assert f'says "{100 * ETH}"' in message


def test_figures_changed_with_their_anchors_left_are_refused(exchange, short_run) -> None:
    out = short_run["out"]
    document = json.loads(out.read_text())
    _hide_shortfall(document["statement"])
    tampered = out.with_name("tampered.json")
    tampered.write_text(json.dumps(document, ensure_ascii=False))
    message = _refused(tampered, *_auditor(exchange, short_run))
    assert "does not verify" in message
    assert "ETH: book: the statement says" in message


class _Tree:
    """The insider's copy of the log, as a node reader (they can read every body)."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.leaves = [merkle.leaf_hash(b) for b in bodies]

    def node(self, level: int, index: int) -> bytes:
        leaves = self.leaves[index << level : (index + 1) << level]
        if len(leaves) != 1 << level:
            raise KeyError((level, index))
        return _root(leaves)


def _root(leaves: list[bytes]) -> bytes:
    while len(leaves) > 1:
        leaves = [merkle.node_hash(a, b) for a, b in zip(leaves[::2], leaves[1::2], strict=True)]
    return leaves[0]


def _rewritten_anchors(document: dict[str, Any]) -> tuple[dict[str, Any], list[bytes], int]:
    """Rewrite the ETH figures entry as the insider would, recompute every anchor's proof
    from the rewritten log; return the statement, the new bodies and the size."""
    statement = _hide_shortfall(document["statement"])
    anchors = statement["anchors"]
    size = anchors["size"]
    bodies = [body for _, body, _ in store.entries(store.raw_cursor(), 0, size)]
    eth = next(a for a in anchors["entries"] if a["asset"] == "ETH")
    entry = json.loads(bodies[eth["position"]])
    entry["details"].update(engine.figures(statement["run"], next(
        a for a in statement["assets"] if a["asset"] == "ETH"
    )))  # fmt: skip
    bodies[eth["position"]] = store.canonical(entry)
    tree = _Tree(bodies)
    for anchor in anchors["entries"]:
        anchor["body"] = bodies[anchor["position"]].decode()
        anchor["proof"] = [h.hex() for h in merkle.inclusion_proof(tree, anchor["position"], size)]
    return statement, bodies, size


def test_anchors_recomputed_from_a_rewritten_log_are_refused(exchange, short_run) -> None:
    out = short_run["out"]
    document = json.loads(out.read_text())
    statement, bodies, size = _rewritten_anchors(document)
    statement.pop("signing_key")
    key = _insider_key()
    genuine_note = statement["anchors"]["checkpoint"]

    # (a) the genuine checkpoint kept: the rewritten entry does not lead to its root
    kept = out.with_name("kept.json")
    kept.write_text(json.dumps(engine.sign_statement(statement, key), ensure_ascii=False))
    message = _refused(kept, *_auditor(exchange, short_run))
    assert "ETH: book" not in message  # the figures equal the rewritten entry ...
    assert f"is not in the checkpoint of size {size}: root mismatch" in message  # ... but

    # (b) a checkpoint of the rewritten log, signed with a log key the insider made
    origin = merkle.parse_checkpoint(genuine_note, short_run["log_key"]).origin
    fake_log = merkle.LogKey.generate(origin)
    root = merkle.root_from_leaves(bodies)
    statement["anchors"]["checkpoint"] = fake_log.sign(merkle.Checkpoint(origin, size, root))
    assert not engine.check_anchors(statement, [fake_log.verifier()])  # self-consistent
    resigned = out.with_name("resigned.json")
    resigned.write_text(json.dumps(engine.sign_statement(statement, key), ensure_ascii=False))
    message = _refused(resigned, *_auditor(exchange, short_run))
    assert "the statement's audit-log checkpoint: no signature by key" in message
    assert "a foreign key" in message


def test_a_statement_checkpoint_is_compared_with_the_published_one_of_its_size(
    exchange, short_run, tmp_path
) -> None:
    out, size = (
        short_run["out"],
        json.loads(short_run["out"].read_text())["statement"]["anchors"]["size"],
    )
    services.record("test.more", "", "", {})
    later = services.issue_checkpoint()
    assert later.size > size
    other = tmp_path / "later.note"
    other.write_text(later.note)
    args = [*_rpc(exchange), "--key", short_run["statement_key"], "--log-key"]
    message = _refused(out, *args, short_run["log_key"], "--trusted-checkpoint", str(other))
    assert (
        f"was signed at size {later.size}, the statement's at size {size}: give the published "
        f"checkpoint of size {size}"
    ) in message
    # a published copy signed by another key is not trusted
    forged = tmp_path / "forged" / "checkpoints"
    forged.mkdir(parents=True)
    fake = merkle.LogKey.generate("someone")
    (forged / str(size)).write_text(fake.sign(merkle.Checkpoint("someone", size, b"\0" * 32)))
    message = _refused(out, *args, short_run["log_key"], "--trusted-checkpoint", str(forged.parent))
    assert "the trusted checkpoint" in message and "no signature by key" in message
    again = statements.build(short_run["run"])["anchors"]
    assert again["size"] == size  # the published checkpoint, not the later one
    assert again["checkpoint"] == (short_run["published"] / "checkpoints" / str(size)).read_text()
    with pytest.raises(CommandError, match="--trusted-checkpoint needs --log-key"):
        _verify(out, *_rpc(exchange), "--trusted-checkpoint", str(other))


def test_a_second_figures_entry_for_a_run_stops_the_statement(short_run, tmp_path) -> None:
    """Whoever can write the log could append figures of their own for the run; the
    statement is then refused rather than anchored to either."""
    run = short_run["run"]
    eth = next(
        a for a in statements.build(run)["assets"] if a["asset"] == "ETH"
    )  # the honest figures, then the insider's
    services.record(
        engine.FIGURES_ACTION,
        "reconciliation.run",
        str(run.pk),
        {**engine.figures(run.pk, eth), "book": str(97 * ETH), "assets": ["BTC", "ETH", "USDC"]},
    )
    with pytest.raises(CommandError, match=r"実行 \d+ の ETH の数値の記録が2件あります"):
        call_command(
            "reconcile", "statement", str(run.pk), "--output", str(tmp_path / "s.json"),
            stdout=StringIO(),
        )  # fmt: skip


def test_no_statement_is_anchored_to_a_log_the_signer_refuses(
    signer_state, watchers, short_run, tmp_path
) -> None:
    """The insider rewrites the log consistently (and deletes the checkpoints that betray
    it); a later run's statement needs a new checkpoint, the signer refuses, no statement."""
    size = json.loads(short_run["out"].read_text())["statement"]["anchors"]["size"]
    rewrite_from(size - 3, 5)
    later = runs.run("manual")
    with pytest.raises(CommandError, match="署名者が監査ログのチェックポイントへの署名を拒否"):
        call_command(
            "reconcile", "statement", str(later.pk), "--output", str(tmp_path / "s.json"),
            stdout=StringIO(),
        )  # fmt: skip
    assert not (tmp_path / "s.json").exists()


def test_the_api_answers_a_refused_statement_409_with_its_code(exchange, monkeypatch) -> None:
    """A statement that cannot be anchored is refused on the API with its code, not a 500."""
    from django.test import Client

    from mamori.accounts.services import tokens
    from mamori.reconciliation.services import statements

    books.import_file(exchange["book"])
    run = runs.run("manual")

    def refused(_: object) -> None:
        raise statements.StatementRefused("No checkpoint covers the audit log's first 1 entries.")

    monkeypatch.setattr(statements, "build", refused)
    secret = tokens.issue("audit", ["reconciliation:read"], 30, exchange["ciso"]).secret
    answer = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(
        f"/api/reconciliation/runs/{run.pk}/statement"
    )
    assert answer.status_code == 409 and answer.json()["code"] == "statement_refused"
