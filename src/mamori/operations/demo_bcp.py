"""Demo data of contingency plans, drills and the CSIRT (SRM 5-2, 9-3; ISM 3, 30-3): the five
plans approved, a CSIRT roster with a weekly rotation and JPCERT/CC and JVCEA as contacts, a
drill of the crypto-asset-leak plan done last quarter with one open action."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import Role, RoleAssignment, User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.operations.models import Incident, PlanDrill, PlanVersion
from mamori.operations.services import csirt, drills, plans, reviews

SCENARIOS = {
    "system_failure": (
        "基幹システム障害 / Core system failure",
        "取引システム停止 / trading halted",
    ),
    "cyber_attack": ("サイバー攻撃 / Cyber attack", "DDoS・侵入 / DDoS or intrusion"),
    "crypto_asset_leak": (
        "暗号資産の流出 / Crypto-asset leak",
        "鍵の漏えい時対応手順（ISM 30）に従う / follow the leak-response runbook (ISM 30)",
    ),
    "data_centre_loss": (
        "データセンターの喪失 / Data-centre loss",
        "DR サイトへ切替 / fail over to DR",
    ),
    "vendor_failure": ("委託先の障害 / Vendor failure", "代替手段へ切替 / switch to the fallback"),
}
STEPS = [
    {"title": "検知と CSIRT 招集 / Detect and call the CSIRT", "minutes": 15},
    {
        "title": "対策本部の設置（代表取締役） / Set up the response HQ (representative director)",
        "minutes": 30,
    },
    {"title": "影響範囲の特定と封じ込め / Scope and contain", "minutes": 60},
    {
        "title": "当局・協会・利用者への第一報 / First report to authorities, JVCEA and users",
        "minutes": 120,
    },
]
CONTACTS = [
    {"caller": "CSIRT当番 / CSIRT on call", "callee": "takahashi", "phone": "03-5555-0101"},
    {"caller": "takahashi", "callee": "sato", "phone": "03-5555-0102"},
    {"caller": "takahashi", "callee": "JVCEA", "phone": "03-5555-0199"},
]


def _leader(people: dict[str, User]) -> User:
    """Give the demo's board member sato the representative director's role (SRM 5-2)."""
    sato = people["sato"]
    role = Role.objects.get(code="representative_director")
    if not RoleAssignment.objects.filter(user=sato, role=role, revoked_at__isnull=True).exists():
        RoleAssignment.objects.create(user=sato, role=role)
    return sato


def _plans(people: dict[str, User], director: User) -> None:
    sgm, drafter = people["takahashi"], people["ito"]
    for scenario, (title, first) in SCENARIOS.items():
        version = plans.save_version(
            scenario,
            drafter,
            text=f"# {title}\n\n- {first}\n"
            "- 連絡網に従い報告する / report along the contact tree\n",
            steps=STEPS,
            contacts=CONTACTS,
            representative_director=director,
            representative_director_role="対策本部長として指揮し、対外公表を決定する / "
            "heads the response HQ and decides public statements",
            system_general_manager=sgm,
            system_general_manager_role="復旧を指揮し、当局への連絡を行う / "
            "commands recovery and contacts the authorities",
        )
        request = plans.submit(version, drafter)
        for approver in (director, sgm):
            approvals.decide(request.pk, approver, "approve", "内容を確認 / reviewed")


def _drill(people: dict[str, User], director: User) -> None:
    sgm = people["takahashi"]
    held = timezone.localdate() - timedelta(days=90)
    drill = drills.schedule(
        "crypto_asset_leak", held, [sgm, director], [people["ito"], people["watanabe"]], sgm
    )
    drills.start(drill, sgm)
    drill.refresh_from_db()
    drills.take_command(drill, director)
    for index in range(len(drill.step_times)):
        drills.step(drill, index, "started", sgm)
        drills.step(drill, index, "finished", sgm)
        drill.refresh_from_db()
    drills.finish(
        drill,
        "第一報の文案作成に時間がかかった / The first report's draft took too long.",
        sgm,
    )
    reviews.add_action(
        "第一報のひな形を用意する / Prepare a first-report template",
        people["ito"],
        timezone.localdate() + timedelta(days=30),
        sgm,
        drill=drill,
    )
    # the drill was held last quarter: move its times back
    then = timezone.now() - timedelta(days=90)
    minutes = [12, 25, 70, 110]
    times, at = [], then
    for entry, took in zip(drill.step_times, minutes, strict=False):
        end = at + timedelta(minutes=took)
        times.append({**entry, "started_at": at.isoformat(), "finished_at": end.isoformat()})
        at = end
    PlanDrill.objects.filter(pk=drill.pk).update(started_at=then, finished_at=at, step_times=times)
    Incident.objects.filter(plan_drill=drill).update(detected_at=then, closed_at=at)
    _drill_reports_sent(drill, sgm)


def _drill_reports_sent(drill: PlanDrill, sgm: User) -> None:
    """The drill's reports run on the drill's own clock: due from its (moved) detection time,
    and sent during it by the system general manager."""
    from mamori.operations.models import Obligation
    from mamori.operations.services import obligations

    incident = Incident.objects.filter(plan_drill=drill).first()
    if incident is None:
        return
    obligations.evaluate(incident)
    for owed in Obligation.objects.filter(incident=incident, status=Obligation.Status.DUE):
        obligations.mark_sent(
            owed, sgm, incident.detected_at + timedelta(minutes=30), sgm, channel="訓練 / drill"
        )


def load(report: DemoReport) -> None:
    """Approve the five plans, fill the CSIRT roster and contacts, hold the leak drill
    (idempotent)."""
    if PlanVersion.objects.exists():
        return
    people = {u.username: u for u in User.objects.all()}
    if not {"sato", "takahashi", "ito", "watanabe", "tanaka"} <= set(people):
        return
    director = _leader(people)
    _plans(people, director)
    for position, (name, role, phone) in enumerate(
        (
            ("ito", "lead", "090-1111-2201"),
            ("tanaka", "handler", "090-1111-2202"),
            ("kobayashi", "analyst", "090-1111-2203"),
        )
    ):
        if name in people:
            csirt.add_member(people[name], role, phone, f"{name}@example.jp", position)
    csirt.set_rotation(timezone.localdate() - timedelta(days=timezone.localdate().weekday()))
    csirt.add_contact(
        "JPCERT/CC",
        "cert",
        "インシデント報告・調整 / incident reports and coordination",
        "https://www.jpcert.or.jp/form/",
    )
    csirt.add_contact(
        "JVCEA（日本暗号資産等取引業協会） / Japan Virtual and Crypto assets Exchange Association",
        "association",
        "事故等の報告 / incident reports to the association",
        "03-0000-0000",
    )
    csirt.add_contact(
        "クラウド事業者 / Cloud provider",
        "vendor",
        "障害時のエスカレーション / outage escalation",
        "support portal",
    )
    _drill(people, director)
    report.lines.append(
        "Contingency plans: five scenarios approved, CSIRT roster with rotation and JPCERT/CC, "
        "JVCEA contacts, a crypto-asset-leak drill held last quarter with one open action — "
        "see /operations/plans/, /operations/drills/, /operations/csirt/"
    )
