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

from collections import deque
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
    HaltOrder,
    HaltScope,
    Price,
    Reason,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)
from mamori.engines.threshold.window import SlidingSum

__all__ = ["MICRO_YEN", "Monitor", "from_micro_yen", "from_micros", "micros", "to_micro_yen"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
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


def from_micros(value: int) -> datetime:
    """Return integer microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def micros(at: datetime) -> int:
    """Return ``at`` as integer microseconds since the epoch (no float)."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return (at - _EPOCH) // _MICRO


#: What a window adds up: (direction, asset or None for all assets, in JPY?, scope).
Measure = tuple[Direction, str | None, bool, Scope]


def _measure(rule: Rule) -> Measure:
    return (rule.direction, rule.asset, rule.in_jpy, rule.scope)


#: One rule to evaluate: rule, per customer?, in JPY?, limit, window length, its windows.
_Step = tuple[Rule, bool, bool, int, int, "dict[str, SlidingSum] | None"]
#: One measure to count into: its windows by key, in JPY?, per customer?
_Into = tuple["dict[str, SlidingSum]", bool, bool]


@dataclass(slots=True)
class _Movement:
    """A counted deposit or withdrawal, kept for ``retention`` to rebuild windows."""

    id: str
    time: int
    direction: Direction
    asset: str
    customer: str
    units: int
    jpy: int | None
    state: str = "requested"  # requested | sent | cancelled (withdrawals)
    wallet: str = ""  # the wallet a sent withdrawal left from, if reported


class Monitor:
    """Exact sliding-window threshold monitor; state is rebuilt by replaying its journal."""

    def __init__(self, config: Config, halt_id: Callable[[str, int], str] | None = None) -> None:
        self._windows: dict[Measure, dict[str, SlidingSum]] = {}
        self._history: deque[_Movement] = deque()
        self._prices_micro: dict[str, int] = {}
        self._configure(config)
        self._seen: dict[str, tuple[Event, Decision]] = {}
        self._counted: dict[str, _Movement] = {}
        self.prices: dict[str, Decimal] = {}
        self.balances: dict[tuple[str, str], int] = {}
        self.halts: dict[str, Halt] = {}
        self._latest = -(2**62)
        self._last_forget = -(2**62)
        self._halt_id = halt_id or (lambda event, n: f"halt-{event}-{n}")

    def _configure(self, config: Config) -> None:
        self.config = config
        self._decimals = {a.code: a.decimals for a in config.assets}
        self._measures = {_measure(r) for r in config.rules if r.scope is not Scope.SINGLE}
        for kind in self._measures:
            self._windows.setdefault(kind, {})
        # per (direction, asset): the rules to evaluate and the windows to count into
        self._plan: dict[
            tuple[Direction, str],
            list[tuple[Rule, bool, bool, int, int, dict[str, SlidingSum] | None]],
        ] = {}
        self._counts: dict[
            tuple[Direction, str], list[tuple[dict[str, SlidingSum], bool, bool]]
        ] = {}
        for direction in Direction:
            for asset in config.assets:
                key = (direction, asset.code)
                self._plan[key] = [
                    (
                        r,
                        r.scope is Scope.CUSTOMER,
                        r.in_jpy,
                        self._limit(r),
                        micros(_EPOCH + r.window) if r.window else 0,
                        self._windows[_measure(r)] if r.scope is not Scope.SINGLE else None,
                    )
                    for r in config.rules
                    if r.direction is direction and (r.asset is None or r.asset == asset.code)
                ]
                self._counts[key] = [
                    (self._windows[kind], kind[2], kind[3] is Scope.CUSTOMER)
                    for kind in sorted(self._measures, key=str)
                    if kind[0] is direction and (kind[1] is None or kind[1] == asset.code)
                ]
        self._retention = micros(_EPOCH + config.retention)
        self._lateness = micros(_EPOCH + config.max_lateness)
        self._future = micros(_EPOCH + config.max_future)
        self._forget_every = self._retention // 8

    @staticmethod
    def _limit(rule: Rule) -> int:
        if rule.limit_jpy is not None:
            return to_micro_yen(rule.limit_jpy)
        assert rule.limit_units is not None
        return rule.limit_units

    def reconfigure(self, config: Config) -> None:
        """Apply edited thresholds; windows a new rule needs are rebuilt from the history
        kept for ``retention``, so the edit is exact, not a fresh start."""
        added = {_measure(r) for r in config.rules if r.scope is not Scope.SINGLE} - self._measures
        for kind in added:
            self._windows[kind] = {}  # stale if it existed: not kept up to date while unused
        self._configure(config)
        for movement in self._history if added else ():
            if movement.state != "cancelled":
                self._count(movement, only=added)

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
        try:
            t = micros(event.at)
        except (TypeError, ValueError, AttributeError) as exc:
            return _reject(event.id, "bad_time", f"event time is not usable: {exc}")
        problem = self._invalid(event, now, t)
        if problem is not None:
            self._seen[event.id] = (event, problem)
            return problem
        kind = type(event)
        if kind is WithdrawalRequest or kind is Deposit:
            decision = self._movement(event, t)  # type: ignore[arg-type]
        elif isinstance(event, WithdrawalCancelled):
            decision = self._cancel(event)
        elif isinstance(event, WithdrawalSent):
            decision = self._sent(event)
        elif isinstance(event, Price):
            self.prices[event.asset] = event.jpy
            self._prices_micro[event.asset] = to_micro_yen(event.jpy)
            decision = Decision(event.id, Action.ALLOW)
        elif isinstance(event, Balance):
            self.balances[(event.wallet, event.asset)] = event.amount
            decision = Decision(event.id, Action.ALLOW)
        elif isinstance(event, HaltOrder):
            decision = self._order_halt(event)
        else:  # pragma: no cover - every event type is handled above
            raise TypeError(f"not an event: {event!r}")
        self._seen[event.id] = (event, decision)
        if t > self._latest:
            self._latest = t
        return decision

    def outflows(self, asset: str) -> list[tuple[int, int]]:
        """Return ``(time µs, units)`` of the withdrawals of ``asset`` still counted (not
        cancelled), over the retained history — the input of the hot-wallet cap."""
        return [
            (m.time, m.units)
            for m in self._history
            if m.direction is Direction.WITHDRAWAL and m.asset == asset and m.state != "cancelled"
        ]

    def outflows_by_wallet(self, asset: str) -> dict[str, list[tuple[int, int]]]:
        """Return, per wallet, ``(time µs of the request, units)`` of the sent withdrawals of
        ``asset`` whose wallet was reported, over the retained history."""
        flows: dict[str, list[tuple[int, int]]] = {}
        for m in self._history:
            if m.wallet and m.asset == asset and m.state == "sent":
                flows.setdefault(m.wallet, []).append((m.time, m.units))
        return flows

    def knows(self, event_id: str) -> bool:
        """Return whether ``event_id`` was decided before (a resend: no need to journal it)."""
        return event_id in self._seen

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
        window = self._windows.get(_measure(rule), {}).get(key)
        t = micros(at)
        total = window.total(t - micros(_EPOCH + rule.window), t) if window else 0
        return from_micro_yen(total) if rule.in_jpy else total

    # -- validation ----------------------------------------------------------------------
    def _invalid(self, event: Event, now: datetime | None, t: int) -> Decision | None:
        kind = type(event)
        if (
            (kind is WithdrawalRequest or kind is Deposit)
            and now is None
            and t >= self._latest - self._lateness
            and type(event.amount) is int  # type: ignore[union-attr]
            and event.amount > 0  # type: ignore[union-attr]
            and event.customer  # type: ignore[union-attr]
            and event.asset in self._decimals  # type: ignore[union-attr]
        ):
            return None  # the common case, checked in one go
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
        if isinstance(event, HaltOrder):
            if not isinstance(event.scope, HaltScope):
                return _reject(event.id, "bad_scope", f"unknown halt scope {event.scope!r}")
            if event.scope is not HaltScope.ALL_WITHDRAWALS and not event.key:
                return _reject(event.id, "no_key", f"a {event.scope} halt needs its key")
            if event.scope is HaltScope.ASSET and event.key not in self._decimals:
                return _reject(event.id, "unknown_asset", f"unknown asset {event.key!r}")
            if not event.source or not event.reason:
                return _reject(event.id, "no_reason", "an ordered halt needs its source and reason")
        if isinstance(event, Price):
            if not isinstance(event.jpy, Decimal) or not event.jpy.is_finite() or event.jpy <= 0:
                return _reject(
                    event.id, "bad_price", f"price must be a positive Decimal: {event.jpy!r}"
                )
            if event.jpy.scaleb(6) != event.jpy.scaleb(6).to_integral_value():
                return _reject(event.id, "bad_price", f"price {event.jpy} has more than 6 decimals")
        return None

    # -- movements -------------------------------------------------------------------------
    def _halted(self, event: WithdrawalRequest) -> Decision | None:
        for halt in self.halts.values():
            if halt.matches(event):
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
        return None

    def _movement(self, event: Deposit | WithdrawalRequest, t: int) -> Decision:
        withdrawal = type(event) is WithdrawalRequest
        if withdrawal and self.halts:
            refused = self._halted(event)  # type: ignore[arg-type]
            if refused is not None:
                return refused
        direction = Direction.WITHDRAWAL if withdrawal else Direction.DEPOSIT
        if t - self._last_forget > self._forget_every:
            self._forget(t)
        asset, customer, units = event.asset, event.customer, event.amount
        price = self._prices_micro.get(asset)
        jpy = units * price // 10 ** self._decimals[asset] if price is not None else None
        reasons: list[Reason] = []
        worst = 0
        halting: list[Rule] = []
        for rule, per_customer, in_jpy, limit, length, windows in self._plan[(direction, asset)]:
            if in_jpy:
                if jpy is None:
                    reasons.append(
                        Reason(
                            "no_price",
                            f"no JPY price of {asset} yet: rule {rule.code} cannot be "
                            "evaluated; held",
                            rule.code,
                        )
                    )
                    worst = max(worst, 2)
                    continue
                observed = jpy
            else:
                observed = units
            if windows is not None:
                window = windows.get(customer if per_customer else "")
                if window is not None:
                    observed += window.total(t - length, t)
            if observed >= limit:
                reasons.append(_reached(rule, direction, asset, observed))
                level = LEVEL_ORDER[rule.level]
                if level > worst:
                    worst = level
                if level == 3:
                    halting.append(rule)
        action = _ACTIONS[worst]
        halts = self._start_halts(event, halting) if halting else ()
        if not (withdrawal and worst == 3):
            movement = _Movement(event.id, t, direction, asset, customer, units, jpy)
            self._history.append(movement)
            for windows, in_jpy, per_customer in self._counts[(direction, asset)]:
                value = jpy if in_jpy else units
                if value is None:
                    continue
                key = customer if per_customer else ""
                window = windows.get(key)
                if window is None:
                    window = windows[key] = SlidingSum()
                window.add(t, value)
            if withdrawal:
                self._counted[event.id] = movement
        return Decision(event.id, action, tuple(reasons) if reasons else (), halts)

    def _count(
        self, movement: _Movement, only: set[Measure] | None = None, cancel: bool = False
    ) -> None:
        if only is not None:
            for kind in only:
                if kind[0] is not movement.direction:
                    continue
                if kind[1] is not None and kind[1] != movement.asset:
                    continue
                self._count_into(
                    movement, self._windows[kind], kind[2], kind[3] is Scope.CUSTOMER, cancel
                )
            return
        for windows, in_jpy, per_customer in self._counts[(movement.direction, movement.asset)]:
            self._count_into(movement, windows, in_jpy, per_customer, cancel)

    @staticmethod
    def _count_into(
        movement: _Movement,
        windows: dict[str, SlidingSum],
        in_jpy: bool,
        per_customer: bool,
        cancel: bool,
    ) -> None:
        value = movement.jpy if in_jpy else movement.units
        if value is None:
            return
        key = movement.customer if per_customer else ""
        window = windows.get(key)
        if window is None:
            window = windows[key] = SlidingSum()
        if cancel:
            window.cancel(movement.time, value)
        else:
            window.add(movement.time, value)

    def _start_halts(
        self, event: Deposit | WithdrawalRequest, rules: list[Rule]
    ) -> tuple[Halt, ...]:
        started = []
        for n, rule in enumerate(rules):
            scope = rule.effective_halt_scope()
            key = (
                ""
                if scope is HaltScope.ALL_WITHDRAWALS
                else (event.customer if scope is HaltScope.CUSTOMER else event.asset)
            )
            if any(h.scope is scope and h.key == key for h in self.halts.values()):
                continue
            halt = Halt(self._halt_id(event.id, n), scope, key, rule.code, event.id, event.at)
            self.halts[halt.id] = halt
            started.append(halt)
        return tuple(started)

    def _order_halt(self, event: HaltOrder) -> Decision:
        reason = Reason("halt_ordered", event.reason, rule=event.source)
        if any(h.scope is event.scope and h.key == event.key for h in self.halts.values()):
            return Decision(event.id, Action.HALT, (reason,))
        halt = Halt(
            self._halt_id(event.id, 0), event.scope, event.key, event.source, event.id, event.at
        )
        self.halts[halt.id] = halt
        return Decision(event.id, Action.HALT, (reason,), (halt,))

    def _cancel(self, event: WithdrawalCancelled) -> Decision:
        movement = self._counted.get(event.withdrawal)
        if movement is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        if movement.state != "requested":
            return _reject(
                event.id,
                "not_cancellable",
                f"withdrawal {event.withdrawal} is already {movement.state}",
            )
        self._count(movement, cancel=True)
        movement.state = "cancelled"
        return Decision(event.id, Action.ALLOW)

    def _sent(self, event: WithdrawalSent) -> Decision:
        movement = self._counted.get(event.withdrawal)
        if movement is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        if movement.state != "requested":
            return _reject(
                event.id, "not_sendable", f"withdrawal {event.withdrawal} is {movement.state}"
            )
        movement.state = "sent"
        movement.wallet = event.wallet
        return Decision(event.id, Action.ALLOW)

    def _forget(self, t: int) -> None:
        """Drop what no accepted event's window can reach any more (bounded memory)."""
        self._last_forget = t
        boundary = max(t, self._latest) - self._lateness - self._retention
        history = self._history
        while history and history[0].time <= boundary:
            history.popleft()
        for windows in self._windows.values():
            for window in windows.values():
                window.forget(boundary)


def _reached(rule: Rule, direction: Direction, asset: str, observed: int) -> Reason:
    shown: int | Decimal = from_micro_yen(observed) if rule.in_jpy else observed
    unit = "JPY" if rule.in_jpy else f"{asset} base units"
    return Reason(
        f"threshold.{rule.level}",
        f"{rule.scope} {direction} {shown} {unit} reached {rule.limit} "
        f"(rule {rule.code}, {rule.level})",
        rule.code,
        shown,
        rule.limit,
    )


_ACTIONS = {0: Action.ALLOW, 1: Action.ALLOW, 2: Action.HOLD, 3: Action.HALT}


def _reject(event_id: str, code: str, message: str) -> Decision:
    return Decision(event_id, Action.REJECT, (Reason(code, message),))
