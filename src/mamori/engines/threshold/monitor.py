"""The threshold monitor: one decision per event, exactly, in memory (ISM 27-2, 27-3).

:meth:`Monitor.process` takes deposits, withdrawal requests, cancellations, sends, prices and
balances in processing order and returns a :class:`~.model.Decision`:

- invalid input is rejected with the reason and changes nothing: unknown asset, an amount
  that is not a positive integer of base units, an event later than ``now + max_future``, an
  event earlier than the latest accepted time minus ``max_lateness``, an id seen before with
  different content (possible tampering);
- an id seen before with the same content returns the first decision and changes nothing;
- a withdrawal matching an active halt is rejected;
- otherwise every rule for the event's direction and asset is evaluated: the single amount,
  or the sum of counted events in the rule's window (t − W, t] including this one, against the
  limit (reached when ≥). The strictest level reached decides: notify → allow with reasons,
  hold → hold, halt → halt (and a halt starts). A withdrawal that halts is not counted;
  anything else that is accepted is counted. Deposits that halt are counted (they happened).
- a cancelled withdrawal leaves every window it was counted in.

JPY values use the latest price processed before the event, and are kept as integers of one
millionth of a yen (the amount times the price, rounded down), so window sums are exact; they
are reported as ``Decimal``. A JPY rule that cannot be valued (no price yet) holds the event,
saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from mamori.engines.threshold.model import (
    LEVEL_ORDER,
    Action,
    Balance,
    Config,
    Decision,
    Deposit,
    Direction,
    Event,
    Halt,
    HaltScope,
    Level,
    Price,
    Reason,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)
from mamori.engines.threshold.window import SlidingSum

__all__ = ["MICRO_YEN", "Monitor", "from_micro_yen", "micros", "to_micro_yen"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_ACTION_FOR = {Level.NOTIFY: Action.ALLOW, Level.HOLD: Action.HOLD, Level.HALT: Action.HALT}
#: JPY values are counted in millionths of a yen.
MICRO_YEN = 1_000_000


def to_micro_yen(jpy: Decimal) -> int:
    """Return ``jpy`` in millionths of a yen, refusing finer amounts (no silent rounding)."""
    scaled = jpy.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{jpy} JPY has more than 6 decimals")
    return int(scaled)


def from_micro_yen(value: int) -> Decimal:
    """Return millionths of a yen as a JPY ``Decimal``."""
    return Decimal(value).scaleb(-6).normalize() if value else Decimal(0)


def micros(at: datetime) -> int:
    """Return ``at`` as integer microseconds since the epoch (no float)."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return (at - _EPOCH) // _MICRO


@dataclass
class _Counted:
    """Where a withdrawal was counted, so a cancellation can take it out again."""

    time: int
    entries: list[tuple[SlidingSum, int]]
    state: str = "requested"  # requested | sent | cancelled


class Monitor:
    """Exact sliding-window threshold monitor; state is rebuilt by replaying its journal."""

    def __init__(self, config: Config, halt_id: Callable[[str, int], str] | None = None) -> None:
        self.config = config
        self._decimals = {a.code: a.decimals for a in config.assets}
        self._rules: dict[tuple[Direction, str], list[Rule]] = {}
        for direction in Direction:
            for asset in config.assets:
                self._rules[(direction, asset.code)] = [
                    r
                    for r in config.rules
                    if r.direction is direction and (r.asset is None or r.asset == asset.code)
                ]
        self._windows: dict[tuple[str, str], SlidingSum] = {}
        self._limits = {
            r.code: to_micro_yen(r.limit_jpy) if r.limit_jpy is not None else r.limit
            for r in config.rules
        }
        self._prices_micro: dict[str, int] = {}
        self._widest = max(
            (micros(_EPOCH + r.window) for r in config.rules if r.window), default=0
        )
        self._lateness = micros(_EPOCH + config.max_lateness)
        self._future = micros(_EPOCH + config.max_future)
        self._seen: dict[str, tuple[Event, Decision]] = {}
        self._counted: dict[str, _Counted] = {}
        self.prices: dict[str, Decimal] = {}
        self.balances: dict[tuple[str, str], int] = {}
        self.halts: dict[str, Halt] = {}
        self._latest = -(2**62)
        self._forgotten_upto = -(2**62)
        self._halt_id = halt_id or (lambda event, n: f"halt-{event}-{n}")

    # -- public ------------------------------------------------------------------------
    def process(self, event: Event, now: datetime | None = None) -> Decision:
        """Decide ``event`` (see the module docstring); ``now`` bounds future times."""
        earlier = self._seen.get(event.id)
        if earlier is not None:
            if earlier[0] == event:
                return earlier[1]
            return _reject(
                event.id,
                "duplicate_conflict",
                f"event id {event.id} was seen before with different content "
                "(possible tampering); refused",
            )
        problem = self._invalid(event, now)
        if problem is not None:
            self._seen[event.id] = (event, problem)
            return problem
        if isinstance(event, Deposit | WithdrawalRequest):
            decision = self._movement(event)
        elif isinstance(event, WithdrawalCancelled):
            decision = self._cancel(event)
        elif isinstance(event, WithdrawalSent):
            decision = self._sent(event)
        elif isinstance(event, Price):
            self.prices[event.asset] = event.jpy
            self._prices_micro[event.asset] = to_micro_yen(event.jpy)
            decision = Decision(event.id, Action.ALLOW)
        else:
            self.balances[(event.wallet, event.asset)] = event.amount
            decision = Decision(event.id, Action.ALLOW)
        self._seen[event.id] = (event, decision)
        t = micros(event.at)
        if t > self._latest:
            self._latest = t
        return decision

    def lift(self, halt_id: str) -> Halt:
        """End an active halt (the application calls this once two people approved)."""
        halt = self.halts.pop(halt_id, None)
        if halt is None:
            raise KeyError(f"no active halt {halt_id!r}")
        return halt

    def active_halts(self) -> list[Halt]:
        """Return the active halts, oldest first."""
        return sorted(self.halts.values(), key=lambda h: (h.at, h.id))

    def window_total(self, rule_code: str, key: str, at: datetime) -> int | Decimal:
        """Return the counted total of ``rule_code``'s window for ``key`` ending at ``at``
        (base units, or JPY as ``Decimal``)."""
        rule = next(r for r in self.config.rules if r.code == rule_code)
        assert rule.window is not None
        window = self._windows.get((rule.code, key))
        t = micros(at)
        total = window.total(t - micros(_EPOCH + rule.window), t) if window else 0
        return from_micro_yen(total) if rule.in_jpy else total

    # -- validation ----------------------------------------------------------------------
    def _invalid(self, event: Event, now: datetime | None) -> Decision | None:
        try:
            t = micros(event.at)
        except (TypeError, ValueError, AttributeError) as exc:
            return _reject(event.id, "bad_time", f"event time is not usable: {exc}")
        if now is not None and t > micros(now) + self._future:
            return _reject(
                event.id,
                "future",
                f"event time {event.at.isoformat()} is more than {self.config.max_future} "
                "ahead of now",
            )
        if t < self._latest - self._lateness:
            return _reject(
                event.id,
                "late",
                f"event time {event.at.isoformat()} is more than {self.config.max_lateness} "
                "behind the latest accepted event",
            )
        asset = getattr(event, "asset", None)
        if asset is not None and asset not in self._decimals:
            return _reject(event.id, "unknown_asset", f"unknown asset {asset!r}")
        if isinstance(event, Deposit | WithdrawalRequest | Balance):
            amount = event.amount
            if not isinstance(amount, int) or isinstance(amount, bool):
                return _reject(
                    event.id,
                    "bad_amount",
                    f"amount must be an integer number of {asset} base units "
                    f"({self._decimals[asset or '']} decimals), got {amount!r}",
                )
            if amount <= 0 and not isinstance(event, Balance):
                return _reject(event.id, "bad_amount", f"amount must be positive, got {amount}")
            if isinstance(event, Balance) and amount < 0:
                return _reject(event.id, "bad_amount", f"a balance cannot be negative: {amount}")
        if isinstance(event, Deposit | WithdrawalRequest) and not event.customer:
            return _reject(event.id, "no_customer", "the customer is missing")
        if isinstance(event, Price):
            if not isinstance(event.jpy, Decimal) or not event.jpy.is_finite() or event.jpy <= 0:
                return _reject(
                    event.id, "bad_price", f"price must be a positive Decimal: {event.jpy!r}"
                )
            if event.jpy.scaleb(6) != event.jpy.scaleb(6).to_integral_value():
                return _reject(
                    event.id, "bad_price", f"price {event.jpy} has more than 6 decimals"
                )
        return None

    # -- movements -------------------------------------------------------------------------
    def _movement(self, event: Deposit | WithdrawalRequest) -> Decision:
        withdrawal = isinstance(event, WithdrawalRequest)
        if withdrawal:
            for halt in self.halts.values():
                if halt.matches(event):  # type: ignore[arg-type]
                    return Decision(
                        event.id,
                        Action.REJECT,
                        (
                            Reason(
                                "halted",
                                f"withdrawals are halted ({halt.scope} {halt.key}) since "
                                f"{halt.at.isoformat()} by rule {halt.rule}",
                                halt.rule,
                            ),
                        ),
                    )
        direction = Direction.WITHDRAWAL if withdrawal else Direction.DEPOSIT
        t = micros(event.at)
        self._forget(t)
        reasons: list[Reason] = []
        worst: Level | None = None
        halting: list[Rule] = []
        pending: list[tuple[SlidingSum, int]] = []
        jpy: int | None = None
        limits = self._limits
        for rule in self._rules[(direction, event.asset)]:
            if rule.in_jpy:
                if jpy is None:
                    price = self._prices_micro.get(event.asset)
                    if price is None:
                        reasons.append(
                            Reason(
                                "no_price",
                                f"no JPY price of {event.asset} yet: rule {rule.code} cannot "
                                "be evaluated; held",
                                rule.code,
                            )
                        )
                        worst = _stricter(worst, Level.HOLD)
                        continue
                    jpy = event.amount * price // 10 ** self._decimals[event.asset]
                value = jpy
            else:
                value = event.amount
            if rule.scope is Scope.SINGLE:
                observed = value
            else:
                key = event.customer if rule.scope is Scope.CUSTOMER else ""
                window = self._windows.get((rule.code, key))
                if window is None:
                    window = SlidingSum()
                    self._windows[(rule.code, key)] = window
                assert rule.window is not None
                observed = window.total(t - micros(_EPOCH + rule.window), t) + value
                pending.append((window, value))
            if observed >= limits[rule.code]:
                shown = from_micro_yen(observed) if rule.in_jpy else observed
                unit = "JPY" if rule.in_jpy else f"{event.asset} base units"
                reasons.append(
                    Reason(
                        f"threshold.{rule.level}",
                        f"{rule.scope} {direction} {shown} {unit} reached {rule.limit} "
                        f"(rule {rule.code}, {rule.level})",
                        rule.code,
                        shown,
                        rule.limit,
                    )
                )
                worst = _stricter(worst, rule.level)
                if rule.level is Level.HALT:
                    halting.append(rule)
        action = _ACTION_FOR[worst] if worst is not None else Action.ALLOW
        halts = self._start_halts(event, halting) if halting else ()
        if not (withdrawal and action is Action.HALT):
            for window, value in pending:
                window.add(t, value)
            if withdrawal:
                self._counted[event.id] = _Counted(t, pending)
        return Decision(event.id, action, tuple(reasons), halts)

    def _start_halts(self, event: Deposit | WithdrawalRequest, rules: list[Rule]) -> tuple[Halt, ...]:
        started = []
        for n, rule in enumerate(rules):
            scope = rule.effective_halt_scope()
            key = {
                HaltScope.ALL_WITHDRAWALS: "",
                HaltScope.ASSET: event.asset,
                HaltScope.CUSTOMER: event.customer,
                HaltScope.MARKET: event.asset,
            }[scope]
            if any(h.scope is scope and h.key == key for h in self.halts.values()):
                continue
            halt = Halt(self._halt_id(event.id, n), scope, key, rule.code, event.id, event.at)
            self.halts[halt.id] = halt
            started.append(halt)
        return tuple(started)

    def _cancel(self, event: WithdrawalCancelled) -> Decision:
        counted = self._counted.get(event.withdrawal)
        if counted is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        if counted.state != "requested":
            return _reject(
                event.id,
                "not_cancellable",
                f"withdrawal {event.withdrawal} is already {counted.state}",
            )
        for window, value in counted.entries:
            window.cancel(counted.time, value)
        counted.state = "cancelled"
        return Decision(event.id, Action.ALLOW)

    def _sent(self, event: WithdrawalSent) -> Decision:
        counted = self._counted.get(event.withdrawal)
        if counted is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        if counted.state != "requested":
            return _reject(
                event.id, "not_sendable", f"withdrawal {event.withdrawal} is {counted.state}"
            )
        counted.state = "sent"
        return Decision(event.id, Action.ALLOW)

    def _forget(self, t: int) -> None:
        """Drop window entries no accepted event can reach any more (bounded memory)."""
        boundary = max(t, self._latest) - self._lateness - self._widest
        if boundary - self._forgotten_upto < self._widest // 4 + 1:
            return
        self._forgotten_upto = boundary
        for window in self._windows.values():
            window.forget(boundary)


def _stricter(current: Level | None, level: Level) -> Level:
    if current is None or LEVEL_ORDER[level] > LEVEL_ORDER[current]:
        return level
    return current


def _reject(event_id: str, code: str, message: str) -> Decision:
    return Decision(event_id, Action.REJECT, (Reason(code, message),))
