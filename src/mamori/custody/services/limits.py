"""Creating a threshold (ISM 27-2), changing its limit, and setting an asset's hot-wallet cap
policy (ISM 27-1): each only through two approvals, as switching a threshold off is.

One person could otherwise raise the very limit whose halt needs two people to lift. Each
request's snapshot holds the state it was based on; the approved change is applied only if
that state still holds (otherwise it is refused as stale), and the monitor then takes the
changed thresholds (an inconsistent set is refused, nothing changed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import pydantic
from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.models import Asset, CapPolicy, ThresholdRule
from mamori.custody.services import halts, monitor
from mamori.engines.threshold import ConfigError

__all__ = [
    "CAP_KIND",
    "CREATE_KIND",
    "IN_JPY",
    "IN_UNITS",
    "LIMIT_KIND",
    "POLICY",
    "REACHED",
    "RETENTION_DAYS",
    "CapSnapshot",
    "CapTerms",
    "LimitSnapshot",
    "ThresholdSnapshot",
    "ThresholdSpec",
    "apply_cap",
    "apply_create",
    "apply_limit",
    "cap_terms",
    "check_spec",
    "request_cap",
    "request_limit",
    "request_threshold",
]

CREATE_KIND = "custody.threshold_create"
LIMIT_KIND = "custody.threshold_limit"
CAP_KIND = "custody.cap_policy"
#: Two distinct approvers, as for lifting a halt or switching a threshold off.
POLICY = halts.POLICY

_UNITS = r"^[0-9]{1,40}$"
_JPY = r"^[0-9]{1,24}(\.[0-9]{1,6})?$"
#: How long the monitor keeps movements: no window may be longer (ISM 27-2).
RETENTION_DAYS = 31
#: What a limit means, where it is set (ISM 27-3 「基準値に達した場合」: reached means ≥).
REACHED = (
    "Applies when the total reaches this amount: a total equal to the limit is reached (≥). "
    "／合計がこの額に達した時点（基準値と等しい場合を含む）で適用されます。"
)
IN_UNITS = (
    f"{REACHED} In the asset's base units (1 BTC = 100000000 satoshi). "
    "／資産の基本単位（1 BTC = 100000000 satoshi）。"
)
IN_JPY = f"{REACHED} In JPY, up to 6 decimals. ／円建て（小数6桁まで）。"


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class ThresholdSpec(_Strict):
    """A threshold as the monitor reads it: limits as decimal strings (base units or JPY)."""

    code: str = pydantic.Field(pattern=r"^[-a-zA-Z0-9_]{1,60}$")
    direction: Literal["deposit", "withdrawal"]
    scope: Literal["single", "customer", "all"]
    level: Literal["notify", "hold", "halt"]
    asset: str | None = pydantic.Field(default=None, max_length=20)
    limit_units: str | None = pydantic.Field(default=None, pattern=_UNITS, description=IN_UNITS)
    limit_jpy: str | None = pydantic.Field(default=None, pattern=_JPY, description=IN_JPY)
    window: int | None = pydantic.Field(
        default=None,
        ge=1,
        le=400 * 86400,
        description=f"Seconds, at most {RETENTION_DAYS} days (the monitor's retention). "
        f"／秒（監視の保持期間 {RETENTION_DAYS} 日以内）。",
    )
    halt_scope: (
        Literal["customer_asset", "customer", "asset", "all_withdrawals", "market"] | None
    ) = pydantic.Field(
        default=None,
        description="What a halt by this rule stops; empty: the breaching customer's "
        "withdrawals of the asset (of every asset for a rule over all assets), the asset for "
        "all-customers rules. ／停止の範囲。空欄: 単一・顧客別の規則は当該顧客の当該資産の出金、"
        "全顧客の規則は当該資産。",
    )
    halt_expiry_minutes: int | None = pydantic.Field(
        default=None,
        ge=1,
        le=RETENTION_DAYS * 24 * 60,
        description="A halt by this rule ends by itself after this many minutes; never for "
        "all-customers rules or halts that stop everyone. ／停止を自動解除するまでの分数"
        "（全顧客の規則・全員を止める停止には不可）。",
    )


class ThresholdSnapshot(_Strict):
    """A request to create a threshold: the rule asked for (its code not yet taken)."""

    rule: ThresholdSpec


class LimitTerms(_Strict):
    """A threshold's limit: exactly one of base units or JPY."""

    limit_units: str | None = pydantic.Field(default=None, pattern=_UNITS, description=IN_UNITS)
    limit_jpy: str | None = pydantic.Field(default=None, pattern=_JPY, description=IN_JPY)


class LimitSnapshot(_Strict):
    """A request to change a threshold's limit: the rule, its limit then and the one asked."""

    rule: str = pydantic.Field(max_length=60)
    current: LimitTerms
    requested: LimitTerms


class CapTerms(_Strict):
    """A cap policy: hot balance ≤ k × expected outflow per 24 h (configured in base units,
    or learned at ``percentile``); no wallet above ``max_share`` of the asset."""

    k: str = pydantic.Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,3})?$")
    expected_units: str | None = pydantic.Field(default=None, pattern=_UNITS)
    percentile: int = pydantic.Field(ge=50, le=100)
    max_share: str = pydantic.Field(pattern=r"^(0(\.[0-9]{1,3})?|1(\.0{1,3})?)$")


class CapSnapshot(_Strict):
    """A request to create (``current`` null) or change an asset's cap policy."""

    asset: str = pydantic.Field(max_length=20)
    current: CapTerms | None
    requested: CapTerms


def _plain(value: Decimal) -> str:
    """Return ``value`` in plain digits without trailing zeros (never an exponent)."""
    return format(value.normalize(), "f")


def _refused(code: str, message: str) -> approvals.ApprovalRefused:
    """Return the refusal of a request: 409 when it meets a request waiting or a record that
    changed, 422 when the terms asked for are wrong."""
    conflict = code in {"already_requested", "stale", "exists"}
    return approvals.ApprovalRefused(code, message, status=409 if conflict else 422)


def _check_set(rules: list[dict[str, Any]]) -> None:
    """Refuse, before anything is asked or written, a set of thresholds the monitor would
    refuse (a halt below a notify level, a window longer than the retention …)."""
    data = {
        "assets": [[a.code, a.decimals] for a in Asset.objects.order_by("code")],
        "rules": rules,
    }
    try:
        monitor.engine_config(data)
    except ConfigError as exc:
        raise _refused(
            "bad_thresholds", _("Thresholds refused, nothing changed: %(e)s") % {"e": exc}
        ) from None


def _active_specs(changed: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    specs = [
        monitor.rule_data(r)
        for r in ThresholdRule.objects.filter(active=True).select_related("asset")
    ]
    if changed is not None:
        specs = [s for s in specs if s["code"] != changed["code"]] + [changed]
    return specs


def check_spec(spec: ThresholdSpec) -> None:
    """Refuse a rule whose limit, asset and window do not fit together."""
    if (spec.limit_units is None) == (spec.limit_jpy is None):
        raise _refused("bad_limit", _("Give the limit either in base units or in JPY."))
    if spec.limit_units is not None and spec.asset is None:
        raise _refused("bad_limit", _("A limit in base units needs an asset."))
    if spec.asset is not None and not Asset.objects.filter(code=spec.asset).exists():
        raise _refused("unknown_asset", _("unknown asset %(code)r") % {"code": spec.asset})
    limit = Decimal(spec.limit_units if spec.limit_units is not None else str(spec.limit_jpy))
    if limit <= 0:
        raise _refused(
            "zero_limit",
            _(
                "A limit of 0 is reached by every movement: give an amount above 0 (the "
                "threshold applies when the total reaches it)."
            ),
        )
    if spec.scope == "single" and spec.window:
        raise _refused("bad_window", _("A single-instruction threshold has no window."))
    if spec.scope != "single" and not spec.window:
        raise _refused("bad_window", _("This threshold needs a window in seconds."))
    if spec.window and spec.window > RETENTION_DAYS * 86400:
        raise _refused(
            "bad_window",
            _(
                "A window can be at most %(days)s days: the monitor keeps movements that long "
                "(got %(seconds)s seconds)."
            )
            % {"days": RETENTION_DAYS, "seconds": spec.window},
        )
    _check_halt(spec)


def _check_halt(spec: ThresholdSpec) -> None:
    """Refuse a halt scope or an expiry the rule cannot have, saying why."""
    scope = spec.halt_scope or ""
    if spec.scope == "all" and scope in ("customer", "customer_asset"):
        raise _refused(
            "bad_halt_scope",
            _(
                "An all-customers threshold halts the asset, all withdrawals or the market, "
                "not one customer."
            ),
        )
    if scope == "customer_asset" and spec.asset is None:
        raise _refused(
            "bad_halt_scope",
            _("A halt of the customer's withdrawals of one asset needs the threshold's asset."),
        )
    if spec.halt_expiry_minutes is None:
        return
    if spec.level != "halt":
        raise _refused("no_expiry", _("Only a halt threshold's halt can end by itself."))
    everyone = scope in ("asset", "all_withdrawals", "market")
    if spec.scope == "all" or everyone:
        raise _refused(
            "no_expiry",
            _(
                "A halt that stops every customer never ends by itself: two people lift it. "
                "Only a halt of one customer may expire."
            ),
        )


def _pending(kind: str, key: str, value: str) -> ApprovalRequest | None:
    for request in ApprovalRequest.objects.filter(
        kind=kind, status=ApprovalRequest.Status.PENDING
    ).order_by("pk"):
        found = request.snapshot.get(key)
        if (found.get("code") if isinstance(found, dict) else found) == value:
            return request
    return None


def _already(request: ApprovalRequest | None, what: str) -> None:
    if request is not None:
        raise _refused(
            "already_requested",
            _("A change of %(what)s already waits for approval: request #%(id)s.")
            % {"what": what, "id": request.pk},
        )


def request_threshold(spec: ThresholdSpec, by: User) -> ApprovalRequest:
    """Ask for the threshold ``spec`` to be created; it exists once two people approve."""
    check_spec(spec)
    with transaction.atomic():
        if ThresholdRule.objects.filter(code=spec.code).exists():
            raise _refused("exists", _("Threshold %(code)s already exists.") % {"code": spec.code})
        _already(_pending(CREATE_KIND, "rule", spec.code), spec.code)
        _check_set(_active_specs(spec.model_dump()))
        title = f"Create threshold {spec.code}"
        return approvals.submit(CREATE_KIND, title, {"rule": spec.model_dump()}, by)


def apply_create(request: ApprovalRequest) -> None:
    """Create the approved threshold unless its code was taken meanwhile; apply the set."""
    spec = ThresholdSpec.model_validate(request.snapshot["rule"])
    if ThresholdRule.objects.select_for_update().filter(code=spec.code).exists():
        raise _refused(
            "stale",
            _("Threshold %(code)s was created meanwhile; nothing changed.") % {"code": spec.code},
        )
    asset = None
    if spec.asset is not None:
        asset = Asset.objects.filter(code=spec.asset).first()
        if asset is None:
            raise _refused("stale", _("unknown asset %(code)r") % {"code": spec.asset})
    ThresholdRule.objects.create(
        code=spec.code,
        direction=spec.direction,
        scope=spec.scope,
        level=spec.level,
        asset=asset,
        limit_units=int(spec.limit_units) if spec.limit_units is not None else None,
        limit_jpy=Decimal(spec.limit_jpy) if spec.limit_jpy is not None else None,
        window_seconds=spec.window,
        halt_scope=spec.halt_scope or "",
        halt_expiry_minutes=spec.halt_expiry_minutes,
    )
    _take_thresholds()


def _take_thresholds() -> None:
    try:
        monitor.apply_thresholds()
    except ConfigError as exc:
        raise _refused(
            "bad_thresholds", _("Thresholds refused, nothing changed: %(e)s") % {"e": exc}
        ) from None


def _limit_of(rule: ThresholdRule) -> dict[str, str | None]:
    spec = monitor.rule_data(rule)
    return {"limit_units": spec["limit_units"], "limit_jpy": spec["limit_jpy"]}


def request_limit(rule: ThresholdRule, terms: LimitTerms, by: User) -> ApprovalRequest:
    """Ask for ``rule``'s limit to become ``terms`` (in the same unit kind or the other)."""
    with transaction.atomic():
        rule = (
            ThresholdRule.objects.select_for_update(of=("self",))
            .select_related("asset")
            .get(pk=rule.pk)
        )
        changed = {**monitor.rule_data(rule), **terms.model_dump()}
        check_spec(ThresholdSpec.model_validate(changed))
        current = _limit_of(rule)
        if current == terms.model_dump():
            raise _refused(
                "unchanged", _("Threshold %(code)s already has this limit.") % {"code": rule.code}
            )
        _already(_pending(LIMIT_KIND, "rule", rule.code), rule.code)
        if rule.active:
            _check_set(_active_specs(changed))
        snapshot = {"rule": rule.code, "current": current, "requested": terms.model_dump()}
        return approvals.submit(
            LIMIT_KIND, f"Change the limit of threshold {rule.code}", snapshot, by
        )


def apply_limit(request: ApprovalRequest) -> None:
    """Change the limit if it is still what the request was based on; apply the set."""
    snapshot = LimitSnapshot.model_validate(request.snapshot)
    rule = (
        ThresholdRule.objects.select_for_update(of=("self",))
        .select_related("asset")
        .filter(code=snapshot.rule)
        .first()
    )
    if rule is None:
        raise _refused("stale", _("Threshold %(code)s no longer exists.") % {"code": snapshot.rule})
    if _limit_of(rule) != snapshot.current.model_dump():
        raise _refused(
            "stale",
            _(
                "Threshold %(code)s changed since the request was made; "
                "ask again from its current state."
            )
            % {"code": rule.code},
        )
    units, jpy = snapshot.requested.limit_units, snapshot.requested.limit_jpy
    rule.limit_units = int(units) if units is not None else None
    rule.limit_jpy = Decimal(jpy) if jpy is not None else None
    rule.save(update_fields=["limit_units", "limit_jpy"])
    _take_thresholds()


def cap_terms(policy: CapPolicy | None) -> dict[str, Any] | None:
    """Return ``policy``'s terms as a snapshot holds them (None without one)."""
    if policy is None:
        return None
    return {
        "k": _plain(policy.k),
        "expected_units": (
            str(int(policy.expected_units)) if policy.expected_units is not None else None
        ),
        "percentile": policy.percentile,
        "max_share": _plain(policy.max_share),
    }


def _normal(terms: CapTerms) -> dict[str, Any]:
    """Return ``terms`` with its decimals written as stored ones read back."""
    data = terms.model_dump()
    data["k"] = _plain(Decimal(terms.k))
    data["max_share"] = _plain(Decimal(terms.max_share))
    return data


def request_cap(asset: Asset, terms: CapTerms, by: User) -> ApprovalRequest:
    """Ask for ``asset``'s cap policy to be created or changed to ``terms``."""
    if Decimal(terms.k) <= 0:
        raise _refused("bad_cap", _("k must be greater than zero."))
    if Decimal(terms.max_share) <= 0:
        raise _refused("bad_cap", _("The largest share of one wallet must be above zero."))
    with transaction.atomic():
        current = cap_terms(CapPolicy.objects.select_for_update().filter(asset=asset).first())
        requested = _normal(terms)
        if current == requested:
            raise _refused(
                "unchanged",
                _("The cap policy of %(code)s already has these terms.") % {"code": asset.code},
            )
        _already(_pending(CAP_KIND, "asset", asset.code), asset.code)
        verb = "Set" if current is None else "Change"
        snapshot = {"asset": asset.code, "current": current, "requested": requested}
        return approvals.submit(CAP_KIND, f"{verb} the cap policy of {asset.code}", snapshot, by)


def apply_cap(request: ApprovalRequest) -> None:
    """Create or change the cap policy if it is still as the request found it."""
    snapshot = CapSnapshot.model_validate(request.snapshot)
    asset = Asset.objects.filter(code=snapshot.asset).first()
    if asset is None:
        raise _refused("stale", _("unknown asset %(code)r") % {"code": snapshot.asset})
    policy = CapPolicy.objects.select_for_update().filter(asset=asset).first()
    base = snapshot.current.model_dump() if snapshot.current is not None else None
    if cap_terms(policy) != base:
        raise _refused(
            "stale",
            _(
                "The cap policy of %(code)s changed since the request was made; "
                "ask again from its current state."
            )
            % {"code": asset.code},
        )
    terms = snapshot.requested
    values = {
        "k": Decimal(terms.k),
        "expected_units": int(terms.expected_units) if terms.expected_units is not None else None,
        "percentile": terms.percentile,
        "max_share": Decimal(terms.max_share),
    }
    CapPolicy.objects.update_or_create(asset=asset, defaults=values)
