"""Demo data of leak response (ISM 30): runbook v1 approved, then flagged for revision by a
demo change (a second address registered for the hot wallet); one drill held three months ago
with each step's time; an approved compensation policy."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.keys import editing, leak
from mamori.keys.models import ResponseDocument, ResponseVersion, Wallet

RUNBOOK = """# 暗号資産漏えい時対応手順 / Leak-response runbook

1. 検知・初動: 異常な出金を検知したら CSIRT とCISOに即時連絡する。
2. 影響範囲の特定: 対象ウォレット・鍵・アドレスを特定し、証跡を保全する。
3. 出金停止: 影響ウォレットからの出金を停止する（custody の停止機能）。
4. 残高の退避: 未侵害の鍵で新しいウォレットへ残高を移す。
5. 報告: 当局・協会・利用者へ報告し、損害賠償方針に従い対応する。
"""

STEPS = [
    {"title": "CSIRT と CISO への連絡 / Alert the CSIRT and the CISO", "minutes": 15},
    {
        "title": "影響を受けたウォレット・鍵・アドレスの特定と証跡保全 / "
        "Identify affected wallets, keys and addresses; preserve evidence",
        "minutes": 60,
    },
    {
        "title": "影響を受けたウォレットからの出金停止 / "
        "Halt withdrawals from the affected wallets",
        "minutes": 30,
    },
    {
        "title": "残高を漏えいしていない鍵の新しいウォレットへ移転 / "
        "Move remaining funds to a fresh wallet with uncompromised keys",
        "minutes": 240,
    },
    {
        "title": "金融庁・JVCEA・利用者への報告 / Report to the FSA, the JVCEA and users",
        "minutes": 1440,
    },
]

COMPENSATION = """# 利用者への損害賠償方針 / Compensation policy (ISM 30-4)

当社の責めに帰すべき事由により、利用者から預託を受けた暗号資産が漏えいした場合、当社は利用者に生じた損害を賠償します。
賠償は原則として漏えいした暗号資産と同種・同量で行い、漏えい判明から30日以内に方針と時期を公表します。

If crypto-assets deposited by users leak for reasons attributable to us, we compensate the damage,
in principle in the same asset and amount, and announce how and when within 30 days.
"""


def _approve(version: ResponseVersion, by: User, approver: User) -> None:
    request = leak.submit(version, by)
    approvals.decide(request.pk, approver, "approve", "内容を確認 / reviewed")


def load(report: DemoReport) -> None:
    """Approve runbook v1 and the compensation policy, hold one drill, then flag the runbook
    with a demo change (idempotent)."""
    if ResponseVersion.objects.exists() or not Wallet.objects.exists():
        return
    people = {u.username: u for u in User.objects.all()}
    if not {"watanabe", "yamamoto", "takahashi"} <= set(people):
        return
    drafter, approver = people["watanabe"], people["takahashi"]
    runbook = leak.save_version(
        ResponseDocument.Kind.RUNBOOK,
        drafter,
        text=RUNBOOK,
        steps=STEPS,
        wallets=Wallet.objects.all(),
    )
    _approve(runbook, drafter, approver)
    policy = leak.save_version(ResponseDocument.Kind.COMPENSATION, drafter, text=COMPENSATION)
    _approve(policy, drafter, approver)
    today = timezone.localdate()
    drill = leak.schedule_drill(
        today - timedelta(days=90),
        "ホットウォレットの鍵 hot-a の漏えい疑い：停止し hot-b と hot-c で移転 / "
        "Hot wallet key hot-a suspected leaked: halt, sweep with hot-b and hot-c",
        [people["watanabe"], people["yamamoto"]],
        drafter,
    )
    leak.record_drill(
        drill,
        today - timedelta(days=90),
        [people["watanabe"], people["yamamoto"]],
        "12\n75\n20\n200\n-",
        "Identification took 75 min against 60: the address list was not at hand. "
        "Reporting was not rehearsed.",
    )
    hot = Wallet.objects.get(name="btc-hot")
    hot.addresses = [*hot.addresses, "bc1q9h7garjdmghx0ha4lklwfuf4ksx8yhc8sdt6q3"]
    editing.save_wallet(hot, drafter)
    report.lines.append(
        "Keys leak response: runbook v1 approved then flagged for revision (btc-hot address "
        "added), one drill held 90 days ago, compensation policy approved — see /keys/leak/"
    )
