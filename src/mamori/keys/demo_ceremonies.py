"""Demo data of key ceremonies (ISM 28-1, 28-2) and backup access detection (ISM 28-3-5):
a generation ceremony of the cold wallet completed with its public output verified, a backup
check of the hot wallet running now at Osaka DC — during which the vault was opened, as
expected — and a share checked out of the same backup two days before, which alerted."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.keys import backup_access, ceremonies
from mamori.keys.models import Backup, Ceremony, Site, Wallet

ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mG"
    "DtKsAYz2oz2AGutZYs"
)


def _approve(ceremony: Ceremony, by: User, people: dict[str, User]) -> None:
    request = ceremonies.request_approval(ceremony, by)
    for approver in ("takahashi", "watanabe"):
        approvals.decide(
            request.pk,
            people[approver],
            "approve",
            "手順書と参加者を確認 / script and people checked",
        )


def load(report: DemoReport) -> None:
    """Seed the two ceremonies and the two accesses (idempotent)."""
    if Ceremony.objects.exists() or not Backup.objects.filter(label="hot-a-bk").exists():
        return
    people = {u.username: u for u in User.objects.all()}
    if not {"yamamoto", "takahashi", "watanabe", "tanaka", "kato"} <= set(people):
        return
    now = timezone.now().replace(second=0, microsecond=0)
    sites = {s.code: s for s in Site.objects.all()}
    cold = Wallet.objects.get(name="btc-cold")
    hot = Wallet.objects.get(name="btc-hot")
    generation = ceremonies.plan(
        title="btc-cold 鍵生成 / key generation",
        kind="generation",
        wallet=cold,
        sites=[sites["tokyo-hq"]],
        starts_at=now - timedelta(days=30),
        ends_at=now - timedelta(days=30) + timedelta(hours=3),
        script="エアギャップのColdcardの封印とファームウェアのハッシュを確認 / "
        "Check the air-gapped Coldcard's seal and firmware hash\n"
        "TRNGとサイコロでシードを生成 / Generate the seed with the TRNG and dice\n"
        "アカウントのzpubをSDカードに出力 / Export the account zpub on the SD card\n"
        "スチールのバックアップを改ざん検知袋に封入 / "
        "Seal the steel backups in tamper-evident bags",
        participants=[(people["watanabe"], "operator"), (people["tanaka"], "second operator")],
        witnesses=[people["kato"]],
        by=people["yamamoto"],
    )
    _approve(generation, people["yamamoto"], people)
    ceremonies.start(generation, people["watanabe"])
    for number in range(1, 5):
        ceremonies.check_step(generation, number, people["watanabe"], "手順どおり / as scripted")
    ceremonies.record_output(
        generation,
        "xpub",
        ZPUB,
        "0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
        people["watanabe"],
    )
    ceremonies.complete(
        generation, people["watanabe"], "zpubを検証、バックアップを封印 / zpub verified, sealed"
    )
    check = ceremonies.plan(
        title="btc-hot バックアップ点検（大阪） / backup check, Osaka",
        kind="backup_check",
        wallet=hot,
        sites=[sites["osaka-dc"]],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=2),
        script="2人の立会いで保管庫を開扉 / Open the vault, two people present\n"
        "hot-a-bk の封印を確認 / Check the seal of hot-a-bk\n"
        "保管庫を閉じて施錠 / Close and lock the vault",
        participants=[(people["tanaka"], "backup holder")],
        witnesses=[people["kato"]],
        by=people["yamamoto"],
    )
    _approve(check, people["yamamoto"], people)
    ceremonies.start(check, people["tanaka"])
    ceremonies.check_step(check, 1, people["tanaka"], "開扉 / vault opened")
    backup_access.rotate_secret(sites["osaka-dc"])
    backup_access.record(
        {
            "event_id": "osaka-vault-0001",
            "backup": "hot-a-bk",
            "kind": "vault_opened",
            "actor": "tanaka",
            "at": (now - timedelta(minutes=30)).isoformat(),
        },
        "webhook",
    )
    backup_access.record(
        {
            "event_id": "osaka-vault-0000",
            "backup": "hot-a-bk",
            "kind": "share_checked_out",
            "actor": "badge 4411",
            "at": (now - timedelta(days=2)).isoformat(),
        },
        "webhook",
    )
    report.lines.append(
        "Keys: ceremonies — btc-cold generation completed (zpub verified), btc-hot backup "
        "check running at Osaka; the vault opening during it is expected, a share checked "
        "out two days before alerted (KEY-03 red) — see /keys/ceremonies/ and "
        "/keys/backup-access/findings/"
    )
