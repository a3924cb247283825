"""Demo data of the configuration register (SRM 7-2, 12): さくらデジタル取引所's systems with
their servers, virtual machines, the database cluster, a Kubernetes service, the cloud
account, a licence expiring soon and a vendor contract; relations among them including the
information flows (customer personal data, order data, keys); last year's review signed by
the system general manager."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.core.demo import DemoReport
from mamori.operations.models import CmdbReview, ConfigurationItem, System
from mamori.operations.services import cmdb_register

# key, kind, name, source, system code, location, criticality, version, expires in days
ITEMS: list[tuple[str, str, str, str, str | None, str, str, str, int | None]] = [
    (
        "aws",
        "cloud_account",
        "AWS 本番アカウント / production",
        "aws_config",
        None,
        "ap-northeast-1",
        "high",
        "",
        None,
    ),
    (
        "me-vm1",
        "virtual_machine",
        "me-prod-01",
        "terraform",
        "matching-engine",
        "ap-northeast-1a",
        "high",
        "",
        None,
    ),
    (
        "me-vm2",
        "virtual_machine",
        "me-prod-02",
        "terraform",
        "matching-engine",
        "ap-northeast-1c",
        "high",
        "",
        None,
    ),
    (
        "me-app",
        "software",
        "matching-engine 2026.11",
        "manual",
        "matching-engine",
        "",
        "high",
        "2026.11",
        None,
    ),
    (
        "k8s",
        "cloud_resource",
        "EKS クラスタ / EKS cluster prod-eks",
        "terraform",
        "web",
        "ap-northeast-1",
        "high",
        "1.31",
        None,
    ),
    (
        "web-svc",
        "service",
        "web-frontend (k8s Service)",
        "kubernetes",
        "web",
        "prod-eks/web",
        "medium",
        "",
        None,
    ),
    (
        "kyc-svc",
        "service",
        "kyc-api (k8s Service)",
        "kubernetes",
        "kyc",
        "prod-eks/kyc",
        "medium",
        "",
        None,
    ),
    (
        "kyc-vendor",
        "vendor",
        "株式会社アイデンティティ確認 / eKYC vendor",
        "manual",
        "kyc",
        "東京",
        "medium",
        "",
        None,
    ),
    (
        "kyc-contract",
        "contract",
        "eKYC 業務委託契約 / outsourcing contract",
        "manual",
        "kyc",
        "",
        "medium",
        "",
        200,
    ),
    (
        "db-cluster",
        "cloud_resource",
        "Aurora PostgreSQL prod-db",
        "terraform",
        "db",
        "ap-northeast-1",
        "high",
        "16.4",
        None,
    ),
    (
        "db-licence",
        "licence",
        "DB 監査ツール ライセンス / audit tool licence",
        "manual",
        "db",
        "",
        "medium",
        "",
        40,
    ),
    (
        "wallet-hsm",
        "hardware",
        "HSM 本番 / production HSM",
        "manual",
        "wallet-service",
        "東京DC ラック A-12",
        "high",
        "",
        None,
    ),
    (
        "wallet-srv",
        "server",
        "wallet-signer-01",
        "manual",
        "wallet-service",
        "東京DC ラック A-12",
        "high",
        "",
        None,
    ),
    (
        "stray",
        "container",
        "debug-pod (namespace tmp)",
        "kubernetes",
        None,
        "prod-eks/tmp",
        "low",
        "",
        None,
    ),
]
# source key, kind, target key, data kind
RELATIONS = [
    ("me-app", "runs_on", "me-vm1", ""),
    ("me-app", "runs_on", "me-vm2", ""),
    ("me-vm1", "part_of", "aws", ""),
    ("me-app", "holds_data", "db-cluster", "注文データ / order data"),
    ("web-svc", "runs_on", "k8s", ""),
    ("web-svc", "depends_on", "me-app", ""),
    ("web-svc", "holds_data", "db-cluster", "顧客個人データ / customer personal data"),
    ("kyc-svc", "runs_on", "k8s", ""),
    ("kyc-svc", "holds_data", "kyc-vendor", "顧客個人データ / customer personal data"),
    ("kyc-contract", "part_of", "kyc-vendor", ""),
    ("k8s", "part_of", "aws", ""),
    ("db-cluster", "part_of", "aws", ""),
    ("db-licence", "part_of", "db-cluster", ""),
    ("wallet-srv", "holds_data", "wallet-hsm", "鍵 / keys"),
    ("wallet-srv", "connects_to", "db-cluster", ""),
]


def load(report: DemoReport) -> None:
    """Record the demo items, relations and last year's review (idempotent)."""
    if ConfigurationItem.objects.exists():
        return
    systems = {s.code: s for s in System.objects.all()}
    people = {u.username: u for u in User.objects.filter(username__in=["tanaka", "takahashi"])}
    if "db" not in systems or len(people) < 2:
        return
    department = Department.objects.filter(code="systems").first()
    now = timezone.now()
    today = timezone.localdate()
    found: dict[str, ConfigurationItem] = {}
    for key, kind, name, source, system, location, criticality, version, days in ITEMS:
        found[key] = ConfigurationItem.objects.create(
            kind=kind,
            name=name,
            source=source,
            external_id=f"demo:{key}",
            system=systems.get(system) if system else None,
            department=department if system or key == "aws" else None,
            system_manager=people["tanaka"] if system or key == "aws" else None,
            location=location,
            criticality=criticality,
            version=version,
            expires_on=today + timedelta(days=days) if days is not None else None,
            first_seen_at=now - timedelta(days=200),
            last_seen_at=now - timedelta(hours=6),
        )
    for source_key, kind, target_key, data_kind in RELATIONS:
        cmdb_register.add_relation(found[source_key], found[target_key], kind, data_kind)
    review = cmdb_register.sign_review(
        people["takahashi"],
        today.year - 1,
        "構成管理は有効に機能している。取込元不明のリソース1件を調査する。 / Configuration "
        "management works; one resource of unknown origin to investigate.",
    )
    signed = timezone.make_aware(datetime.combine(today.replace(month=1, day=20), time(10)))
    CmdbReview.objects.filter(pk=review.pk).update(signed_at=min(signed, now))
    report.lines.append(
        f"Configuration: {len(ITEMS)} items and {len(RELATIONS)} relations for the five "
        f"systems, the {review.year} review signed — see /operations/cmdb/, "
        "/operations/systems/matching-engine/graph/, /operations/cmdb/evaluation/"
    )
