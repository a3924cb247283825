"""Checkpoints leave mamori — witnesses (a real `mamori witness serve` process), a directory, an
S3-compatible store (moto's HTTP server), the auditors' mail — and a log rewritten consistently
with its later checkpoints deleted is caught against them (issue 24.6)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from mamori.auditlog import publish, services
from mamori.auditlog.models import Checkpoint, Publication
from mamori.auditlog.verify import verify
from mamori.engines import merkle
from mamori.engines.merkle.cosignature import verify_cosignature
from mamori.engines.witness import origin_hash
from tests.auditlog.test_auditlog_signer import grow, rewrite_from, watchers  # noqa: F401 - fixture
from tests.installs import Installs
from tests.witness_process import witness_process

pytestmark = pytest.mark.django_db


def configure(settings, **values) -> None:
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, **values)


def verify_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("log", "verify", *args, stdout=out)
    return out.getvalue()


def test_an_auditor_with_a_published_checkpoint_catches_a_consistent_rewrite(
    settings, tmp_path: Path
) -> None:
    """Regression (issue 24.6): the rewrite also deletes the later checkpoints, so the
    database verifies against itself; the published copy and the witness still hold the
    older checkpoint, and `log verify --trusted-checkpoint` names the divergence."""
    grow(300)
    key = services.log_key().verifier()
    published = tmp_path / "published"
    with witness_process(tmp_path / "witness", key) as witness:
        configure(settings, publish_dir=published, witnesses=((witness.url, witness.verifier),))
        services.issue_checkpoint()
        assert all(o.ok for o in publish.publish_latest())
        grow(100)
        signed = services.issue_checkpoint()
        outcomes = publish.publish_latest()
        assert [o.ok for o in outcomes] == [True, True], outcomes
        kept = (published / "checkpoint").read_text()
        assert merkle.parse_checkpoint(kept, key).size == signed.size
        assert verify_cosignature(kept, witness.verifier).name == "witness.test/w1"
        assert (published / "checkpoints" / str(signed.size)).read_text() == kept
        witness_url = f"{witness.url}/{origin_hash(merkle.parse_checkpoint(kept, key).origin)}"
        said = verify_command(
            "--trusted-checkpoint", str(published / "checkpoint"), "--key", key,
            "--witness", witness.verifier,
        )  # fmt: skip
        assert "cosigned by witness.test/w1" in said and "audit log verified" in said

        rewrite_from(signed.size - 60, 150)  # consistent, and checkpoint `signed` is deleted
        assert not Checkpoint.objects.filter(size=signed.size).exists()
        assert verify(key).ok  # the database alone verifies clean: the gap this closes

        with pytest.raises(CommandError) as caught:
            verify_command(
                "--trusted-checkpoint",
                str(published / "checkpoint"),
                "--key",
                key,
                "--witness",
                witness.verifier,
            )
        message = str(caught.value)
        assert f"diverges at size {signed.size}" in message
        assert bytes(signed.root).hex() in message  # the signed root, and the log's
        with pytest.raises(CommandError, match=f"diverges at size {signed.size}"):
            verify_command("--trusted-checkpoint", f"{witness_url}/checkpoint", "--key", key)


def test_the_witness_refuses_a_fork_mamori_signed_and_mamori_alerts(
    settings,
    tmp_path: Path,
    watchers,  # noqa: F811 - fixture
) -> None:
    """A copy of the database, grown differently, signed by a signer without a state file:
    the witness holds the older checkpoint and refuses to cosign the fork."""
    from mamori.notifications.models import Notification

    grow(300)
    key = services.log_key().verifier()
    with witness_process(tmp_path / "witness", key) as witness:
        configure(settings, witnesses=((witness.url, witness.verifier),))
        first = services.issue_checkpoint()
        assert publish.publish_latest()[0].ok
        rewrite_from(first.size - 40, 100)  # and the checkpoint deleted: a copy grown apart
        forged = services.issue_checkpoint()  # no state file: the signer only sees the DB
        assert forged is not None and forged.size > first.size
        outcomes = publish.publish_latest()
        assert len(outcomes) == 1 and outcomes[0].refused, outcomes
        assert f"not consistent with checkpoint {first.size}" in outcomes[0].detail
        alert = Notification.objects.get(topic=publish.REFUSED_TOPIC)
        assert alert.severity == "critical"
        held = httpx.get(f"{witness.url}/{origin_hash(services.origin())}/checkpoint").text
        assert merkle.parse_checkpoint(held, key).size == first.size
        assert list((witness.state / "refused").iterdir())  # the signed fork, as evidence


def test_checkpoints_go_to_an_s3_compatible_store(settings, tmp_path: Path) -> None:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        credentials = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "s3cr3t-value"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
        s3.create_bucket(Bucket="audit-checkpoints")
        configure(
            settings,
            publish_s3_endpoint=endpoint,
            publish_s3_bucket="audit-checkpoints",
            publish_s3_prefix="mamori/",
            publish_s3_region="us-east-1",
            publish_s3_access_key="AKIDTEST",
            publish_s3_secret_key="s3cr3t-value",
        )
        grow(5)
        signed = services.issue_checkpoint()
        outcomes = publish.publish_latest()
        assert [o.ok for o in outcomes] == [True], outcomes
        held = s3.get_object(Bucket="audit-checkpoints", Key=f"mamori/checkpoints/{signed.size}")
        assert held["Body"].read().decode() == signed.note
        latest = s3.get_object(Bucket="audit-checkpoints", Key="mamori/checkpoint")
        assert latest["Body"].read().decode() == signed.note
        assert publish.publish_latest() == []  # already there: not sent again
        assert "s3cr3t-value" not in repr(settings.CONFIG)
        assert "s3cr3t-value" not in "".join(Publication.objects.values_list("detail", flat=True))
    finally:
        server.stop()


def test_checkpoints_are_mailed_to_the_auditors_at_most_once_a_period(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    configure(settings, publish_emails=("auditor@audit.example", "jvcea@example.jp"))
    grow(5)
    signed = services.issue_checkpoint()
    assert [o.ok for o in publish.publish_latest()] == [True]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["auditor@audit.example", "jvcea@example.jp"]
    assert message.attachments[0][0] == f"checkpoint-{signed.size}.note"
    assert message.attachments[0][1] == signed.note
    grow(5)
    services.issue_checkpoint()
    assert publish.publish_latest() == []  # within MAMORI_PUBLISH_EMAIL_HOURS
    assert len(mail.outbox) == 1


def test_a_directory_never_takes_another_tree_of_the_same_size(settings, tmp_path: Path) -> None:
    configure(settings, publish_dir=tmp_path)
    grow(5)
    signed = services.issue_checkpoint()
    (tmp_path / "checkpoints").mkdir()
    other = merkle.LogKey.generate(services.origin()).sign(
        merkle.Checkpoint(services.origin(), signed.size, bytes(32))
    )
    (tmp_path / "checkpoints" / str(signed.size)).write_text(other)
    outcomes = publish.publish_latest()
    assert outcomes[0].refused and "a fork" in outcomes[0].detail
    assert (tmp_path / "checkpoints" / str(signed.size)).read_text() == other


def test_the_commands_sign_publish_and_verify_against_a_witness_as_an_operator_would(
    tmp_path: Path, installs: Installs
) -> None:
    """`mamori log checkpoint` (a process) signs, remembers, publishes to a directory and a
    witness process; `mamori log verify --trusted-checkpoint` (a process) checks against it."""
    from tests.core.test_config import run_mamori

    data = tmp_path / "data"
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    env = {
        "MAMORI_DATA_DIR": str(data),
        "MAMORI_SIGNING_KEY_DIR": str(keys),
        "MAMORI_SIGNER_STATE": str(tmp_path / "signer" / "state.json"),
        "MAMORI_PUBLISH_DIR": str(tmp_path / "published"),
    }
    installs.migrated(data)
    made = run_mamori("keys", "init", "log", env=env, timeout=180)
    assert made.returncode == 0, made.stderr
    key = run_mamori("log", "key", env=env).stdout.strip()
    with witness_process(tmp_path / "witness", key) as witness:
        env["MAMORI_WITNESSES"] = f"{witness.url} {witness.verifier}"
        signed = run_mamori("log", "checkpoint", env=env)
        assert signed.returncode == 0, signed.stderr
        assert f"witness {witness.url}: ok, cosigned" in signed.stdout
        note = (tmp_path / "published" / "checkpoint").read_text()
        assert verify_cosignature(note, witness.verifier).name == "witness.test/w1"
        assert (tmp_path / "signer" / "state.json").exists()
        args = ["--key", key, "--witness", witness.verifier]
        checked = run_mamori(
            "log", "verify", "--trusted-checkpoint", str(tmp_path / "published" / "checkpoint"),
            "--trusted-checkpoint", f"{witness.url}/{origin_hash(key.split('+')[0])}/checkpoint",
            *args, env=env,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.count("cosigned by witness.test/w1") == 2
        foreign = merkle.LogKey.generate(key.split("+")[0]).verifier()
        refused = run_mamori(
            "log", "verify", "--trusted-checkpoint", str(tmp_path / "published" / "checkpoint"),
            "--key", foreign, env=env,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "no signature by key" in refused.stderr


def test_a_place_that_is_down_is_tried_again_a_minute_later_and_told_once(
    settings,
    tmp_path: Path,
    watchers,  # noqa: F811 - fixture
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from mamori.notifications.models import Notification

    with witness_process(tmp_path / "witness", services.log_key().verifier()) as witness:
        down = witness.url  # stopped below: nothing listens there any more
        verifier = witness.verifier
    configure(settings, witnesses=((down, verifier),))
    grow(5)
    services.issue_checkpoint()
    first = publish.publish_latest()
    assert len(first) == 1 and not first[0].ok and not first[0].refused
    assert publish.publish_latest() == []  # not again at once
    Publication.objects.update(published_at=timezone.now() - timedelta(minutes=2))
    assert not publish.publish_latest()[0].ok  # a minute later: tried again
    assert Notification.objects.filter(topic=publish.FAILED_TOPIC).count() == 1


def test_the_audit_page_shows_where_the_latest_checkpoint_went(settings, tmp_path: Path) -> None:
    from django.test import Client

    from mamori.accounts.models import Role, RoleAssignment
    from tests.conftest import make_user, sign_in

    configure(settings, publish_dir=tmp_path / "published")
    grow(5)
    signed = services.issue_checkpoint()
    publish.publish_latest()
    auditor = make_user("audi")
    RoleAssignment.objects.create(user=auditor, role=Role.objects.get(code="internal_auditor"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, auditor)
    page = client.get("/audit/").content.decode()
    assert f"directory {tmp_path / 'published'}: checkpoint {signed.size} published" in page


def test_a_copy_made_after_the_witnesses_answered_still_carries_their_cosignature(
    settings, tmp_path: Path
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the directory should be")
    key = services.log_key().verifier()
    with witness_process(tmp_path / "witness", key) as witness:
        configure(settings, publish_dir=blocked, witnesses=((witness.url, witness.verifier),))
        grow(5)
        services.issue_checkpoint()
        assert [o.ok for o in publish.publish_latest()] == [True, False]
        blocked.unlink()  # the mount is back
        Publication.objects.update(published_at=timezone.now() - timedelta(minutes=2))
        assert [o.ok for o in publish.publish_latest()] == [True]  # the directory only
        kept = (blocked / "checkpoint").read_text()
        assert verify_cosignature(kept, witness.verifier).name == "witness.test/w1"
