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
    delta = at - _EPOCH  # exact: days, seconds and microseconds are integers
    days = delta.days
    if days != _DAY[0]:  # the day's microseconds, kept: events mostly share their day
        _DAY[0], _DAY[1] = days, days * 86_400_000_000
    return _DAY[1] + delta.seconds * 1_000_000 + delta.microseconds


#: The last day :func:`micros` converted, and its microseconds since the epoch.
_DAY = [0, 0]


#: What a window adds up: (direction, asset or None for all assets, in JPY?, scope).
Measure = tuple[Direction, str | None, bool, Scope]


def _measure(rule: Rule) -> Measure:
    return (rule.direction, rule.asset, rule.in_jpy, rule.scope)


class _Step:
    """One rule to evaluate for a movement, with everything its evaluation needs computed
    once per configuration (the hot path formats no enum and converts no limit)."""

    __slots__ = (
        "after",
        "before",
        "code",
        "in_jpy",
        "length",
        "level",
        "limit",
        "per_customer",
        "rule",
        "shown_limit",
        "windows",
    )

    def __init__(self, rule: Rule, windows: dict[str, SlidingSum] | None) -> None:
        self.rule = rule.code
        self.per_customer = rule.scope is Scope.CUSTOMER
        self.in_jpy = rule.in_jpy
        # base units, or millionths of a yen
        self.limit = to_micro_yen(rule.limit_jpy) if rule.limit_jpy is not None else int(rule.limit)
        self.length = micros(_EPOCH + rule.window) if rule.window else 0  # µs; 0: single
        self.windows = windows
        self.level = LEVEL_ORDER[rule.level]
        self.code = f"threshold.{rule.level}"
        unit = "JPY" if rule.in_jpy else f"{rule.asset} base units"
        self.before = f"{rule.scope} {rule.direction} "  # the message around the amount
        self.after = f" {unit} reached {rule.limit} (rule {rule.code}, {rule.level})"
        self.shown_limit: int | Decimal = rule.limit


#: One measure to count into: its windows by key, in JPY?, per customer?
_Into = tuple["dict[str, SlidingSum]", bool, bool]


class _Route:
    """What a movement of one asset in one direction goes through: the rules to evaluate and
    the windows to count it into (one lookup per event instead of one per table)."""

    __slots__ = ("counts", "scale", "steps")

    def __init__(self, steps: list[_Step], counts: list[_Into], scale: int) -> None:
        self.steps = steps
        self.counts = counts
        self.scale = scale  # base units per whole unit, for JPY values


class _Movement:
    """A counted deposit or withdrawal, kept for ``retention`` to rebuild windows (what
    happened to a withdrawal later — sent, cancelled — is kept beside it, by id)."""

    __slots__ = ("asset", "customer", "id", "jpy", "time", "units", "withdrawal")

    def __init__(
        self,
        id: str,
        time: int,
        withdrawal: bool,
        asset: str,
        customer: str,
        units: int,
        jpy: int | None,
    ) -> None:
        self.id = id
        self.time = time
        self.withdrawal = withdrawal
        self.asset = asset
        self.customer = customer
        self.units = units
        self.jpy = jpy

    @property
    def direction(self) -> Direction:
        """Return which way the movement went."""
        return Direction.WITHDRAWAL if self.withdrawal else Direction.DEPOSIT


class Monitor:
    """Exact sliding-window threshold monitor; state is rebuilt by replaying its journal."""

    def __init__(self, config: Config, halt_id: Callable[[str, int], str] | None = None) -> None:
        self._windows: dict[Measure, dict[str, SlidingSum]] = {}
        self._history: deque[_Movement] = deque()
        self._prices_micro: dict[str, int] = {}
        self._configure(config)
        # every event by id: the event, its decision and, for a counted withdrawal, its
        # movement (one map: a second one of a million ids cost a cache miss per withdrawal)
        self._seen: dict[str, tuple[Event, Decision, _Movement | None]] = {}
        self._counted: _Movement | None = None  # set by _movement for a counted withdrawal
        self._state: dict[str, str] = {}  # withdrawals no longer only requested: sent, cancelled
        self._wallet: dict[str, str] = {}  # the wallet a sent withdrawal left from, if reported
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
        # per asset, for withdrawals and for deposits (keyed without enums, whose hash is a
        # call into Python code)
        self._withdrawals: dict[str, _Route] = {}
        self._deposits: dict[str, _Route] = {}
        for direction in Direction:
            routes = self._withdrawals if direction is Direction.WITHDRAWAL else self._deposits
            for asset in config.assets:
                routes[asset.code] = _Route(
                    [
                        _Step(
                            r, self._windows[_measure(r)] if r.scope is not Scope.SINGLE else None
                        )
                        for r in config.rules
                        if r.direction is direction and (r.asset is None or r.asset == asset.code)
                    ],
                    [
                        (self._windows[kind], kind[2], kind[3] is Scope.CUSTOMER)
                        for kind in sorted(self._measures, key=str)
                        if kind[0] is direction and (kind[1] is None or kind[1] == asset.code)
                    ],
                    10**asset.decimals,
                )
        self._retention = micros(_EPOCH + config.retention)
        self._lateness = micros(_EPOCH + config.max_lateness)
        self._future = micros(_EPOCH + config.max_future)
        self._forget_every = self._retention // 8

    def reconfigure(self, config: Config) -> None:
        """Apply edited thresholds; windows a new rule needs are rebuilt from the history
        kept for ``retention``, so the edit is exact, not a fresh start."""
        added = {_measure(r) for r in config.rules if r.scope is not Scope.SINGLE} - self._measures
        for kind in added:
            self._windows[kind] = {}  # stale if it existed: not kept up to date while unused
        self._configure(config)
        for movement in self._history if added else ():
            if self._state.get(movement.id) != "cancelled":
                self._count(movement, only=added)

    # -- public ------------------------------------------------------------------------
    def process(self, event: Event, now: datetime | None = None) -> Decision:
        """Decide ``event`` (see the module docstring); ``now`` bounds future times."""
        event_id = event.id
        earlier = self._seen.get(event_id)
        if earlier is not None:
            if earlier[0] == event:
                return earlier[1]
            return _reject(
                event_id,
                "duplicate_conflict",
                f"event id {event_id} was seen before with different content "
                "(possible tampering); refused",
            )
        try:
            t = micros(event.at)
        except (TypeError, ValueError, AttributeError) as exc:
            return _reject(event_id, "bad_time", f"event time is not usable: {exc}")
        kind = type(event)
        if kind is WithdrawalRequest or kind is Deposit:
            # the common case, checked in one go with each field read once (as a plain
            # object: its type is what is checked); anything else gets the full checks below
            withdrawal = kind is WithdrawalRequest
            amount = _field(event, "amount")
            customer = _field(event, "customer")
            asset = _field(event, "asset")
            route = (self._withdrawals if withdrawal else self._deposits).get(asset)  # type: ignore[call-overload]
            if (
                route is not None
                and type(amount) is int
                and amount > 0
                and type(customer) is str
                and customer
                and t >= self._latest - self._lateness
                and (now is None or t <= micros(now) + self._future)
            ):
                decision = self._movement(
                    event,  # type: ignore[arg-type]
                    event_id,
                    t,
                    withdrawal,
                    route,
                    customer,
                    amount,
                )
                self._seen[event_id] = (event, decision, self._counted)
                if t > self._latest:
                    self._latest = t
                return decision
        problem = self._invalid(event, now, t)
        if problem is not None:
            self._seen[event_id] = (event, problem, None)
            return problem
        self._counted = None
        if isinstance(event, Deposit | WithdrawalRequest):  # valid, but missed the fast path
            route = (self._withdrawals if kind is WithdrawalRequest else self._deposits)[
                event.asset
            ]
            decision = self._movement(
                event,
                event_id,
                t,
                kind is WithdrawalRequest,
                route,
                event.customer,
                event.amount,
            )
        elif isinstance(event, WithdrawalCancelled):
            decision = self._cancel(event)
        elif isinstance(event, WithdrawalSent):
            decision = self._sent(event)
        elif isinstance(event, Price):
            self.prices[event.asset] = event.jpy
            self._prices_micro[event.asset] = to_micro_yen(event.jpy)
            decision = _decided(event.id, Action.ALLOW)
        elif isinstance(event, Balance):
            self.balances[(event.wallet, event.asset)] = event.amount
            decision = _decided(event.id, Action.ALLOW)
        elif isinstance(event, HaltOrder):
            decision = self._order_halt(event)
        else:  # pragma: no cover - every event type is handled above
            raise TypeError(f"not an event: {event!r}")
        self._seen[event_id] = (event, decision, self._counted)
        if t > self._latest:
            self._latest = t
        return decision

    def outflows(self, asset: str) -> list[tuple[int, int]]:
        """Return ``(time µs, units)`` of the withdrawals of ``asset`` still counted (not
        cancelled), over the retained history — the input of the hot-wallet cap."""
        state = self._state
        return [
            (m.time, m.units)
            for m in self._history
            if m.withdrawal and m.asset == asset and state.get(m.id) != "cancelled"
        ]

    def outflows_by_wallet(self, asset: str) -> dict[str, list[tuple[int, int]]]:
        """Return, per wallet, ``(time µs of the request, units)`` of the sent withdrawals of
        ``asset`` whose wallet was reported, over the retained history."""
        flows: dict[str, list[tuple[int, int]]] = {}
        for m in self._history:
            wallet = self._wallet.get(m.id) if m.withdrawal and m.asset == asset else None
            if wallet and self._state.get(m.id) == "sent":
                flows.setdefault(wallet, []).append((m.time, m.units))
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
        # The fields checked are read as plain objects (their type is what is checked): the
        # compiled monitor would refuse a field of the wrong type on reading it as declared.
        kind = type(event)
        amount = _field(event, "amount")
        customer = _field(event, "customer")
        asset = _field(event, "asset")
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
        if asset is not None and asset not in self._decimals:
            return _reject(event.id, "unknown_asset", f"unknown asset {asset!r}")
        if kind is Deposit or kind is WithdrawalRequest or kind is Balance:
            if not isinstance(amount, int) or isinstance(amount, bool):
                decimals = self._decimals[asset] if isinstance(asset, str) else "?"
                return _reject(
                    event.id,
                    "bad_amount",
                    f"amount must be an integer number of {asset} base units "
                    f"({decimals} decimals), got {amount!r}",
                )
            if amount <= 0 and kind is not Balance:
                return _reject(event.id, "bad_amount", f"amount must be positive, got {amount}")
            if kind is Balance and amount < 0:
                return _reject(event.id, "bad_amount", f"a balance cannot be negative: {amount}")
        if (kind is Deposit or kind is WithdrawalRequest) and not customer:
            return _reject(event.id, "no_customer", "the customer is missing")
        if isinstance(event, HaltOrder):
            scope, key = _field(event, "scope"), _field(event, "key")
            if not isinstance(scope, HaltScope):
                return _reject(event.id, "bad_scope", f"unknown halt scope {scope!r}")
            if scope is not HaltScope.ALL_WITHDRAWALS and not key:
                return _reject(event.id, "no_key", f"a {scope} halt needs its key")
            if scope is HaltScope.ASSET and key not in self._decimals:
                return _reject(event.id, "unknown_asset", f"unknown asset {key!r}")
            if not event.source or not event.reason:
                return _reject(event.id, "no_reason", "an ordered halt needs its source and reason")
        if isinstance(event, Price):
            jpy = _field(event, "jpy")
            if not isinstance(jpy, Decimal) or not jpy.is_finite() or jpy <= 0:
                return _reject(event.id, "bad_price", f"price must be a positive Decimal: {jpy!r}")
            if jpy.scaleb(6) != jpy.scaleb(6).to_integral_value():
                return _reject(event.id, "bad_price", f"price {jpy} has more than 6 decimals")
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

    def _movement(
        self,
        event: Deposit | WithdrawalRequest,
        event_id: str,
        t: int,
        withdrawal: bool,
        route: _Route,
        customer: str,
        units: int,
    ) -> Decision:
        """Decide a valid deposit or withdrawal request and count it (the fields are passed
        in, read once); a counted withdrawal's movement is left in :attr:`_counted`."""
        self._counted = None
        if withdrawal and self.halts:
            refused = self._halted(event)  # type: ignore[arg-type]
            if refused is not None:
                return refused
        if t - self._last_forget > self._forget_every:
            self._forget(t)
        asset = event.asset
        price = self._prices_micro.get(asset)
        jpy = units * price // route.scale if price is not None else None
        reasons: list[Reason] = []
        worst = 0
        halting: list[str] | None = None
        for step in route.steps:
            if step.in_jpy:
                if jpy is None:
                    reasons.append(
                        Reason(
                            "no_price",
                            f"no JPY price of {asset} yet: rule {step.rule} cannot be "
                            "evaluated; held",
                            step.rule,
                        )
                    )
                    if worst < 2:
                        worst = 2
                    continue
                observed = jpy
            else:
                observed = units
            windows = step.windows
            if windows is not None:
                window = windows.get(customer if step.per_customer else "")
                if window is not None:
                    observed += window.total(t - step.length, t)
            if observed >= step.limit:
                shown = from_micro_yen(observed) if step.in_jpy else observed
                reasons.append(
                    _new_tuple(
                        Reason,
                        (
                            step.code,
                            f"{step.before}{shown}{step.after}",
                            step.rule,
                            shown,
                            step.shown_limit,
                        ),
                    )
                )
                if step.level > worst:
                    worst = step.level
                if step.level == 3:
                    if halting is None:
                        halting = []
                    halting.append(step.rule)
        halts = self._start_halts(event, halting) if halting else ()
        if not (withdrawal and worst == 3):
            movement = _Movement(event_id, t, withdrawal, asset, customer, units, jpy)
            self._history.append(movement)
            for windows, in_jpy, per_customer in route.counts:
                value = jpy if in_jpy else units
                if value is None:
                    continue
                key = customer if per_customer else ""
                window = windows.get(key)
                if window is None:
                    window = windows[key] = SlidingSum()
                window.add(t, value)
            if withdrawal:
                self._counted = movement
        return _decided(event_id, _ACTIONS[worst], tuple(reasons), halts)

    def _count(
        self, movement: _Movement, only: set[Measure] | None = None, cancel: bool = False
    ) -> None:
        if only is not None:
            direction = movement.direction
            for kind in only:
                if kind[0] is not direction:
                    continue
                if kind[1] is not None and kind[1] != movement.asset:
                    continue
                self._count_into(
                    movement, self._windows[kind], kind[2], kind[3] is Scope.CUSTOMER, cancel
                )
            return
        routes = self._withdrawals if movement.withdrawal else self._deposits
        for windows, in_jpy, per_customer in routes[movement.asset].counts:
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
        self, event: Deposit | WithdrawalRequest, codes: list[str]
    ) -> tuple[Halt, ...]:
        started = []
        rules = {rule.code: rule for rule in self.config.rules}
        for n, code in enumerate(codes):
            rule = rules[code]
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

    def _counted_withdrawal(self, withdrawal: str) -> _Movement | None:
        seen = self._seen.get(withdrawal)
        return seen[2] if seen is not None else None

    def _cancel(self, event: WithdrawalCancelled) -> Decision:
        movement = self._counted_withdrawal(event.withdrawal)
        if movement is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        state = self._state.get(event.withdrawal)
        if state is not None:
            return _reject(
                event.id,
                "not_cancellable",
                f"withdrawal {event.withdrawal} is already {state}",
            )
        self._count(movement, cancel=True)
        self._state[event.withdrawal] = "cancelled"
        return _decided(event.id, Action.ALLOW)

    def _sent(self, event: WithdrawalSent) -> Decision:
        movement = self._counted_withdrawal(event.withdrawal)
        if movement is None:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        state = self._state.get(event.withdrawal)
        if state is not None:
            return _reject(event.id, "not_sendable", f"withdrawal {event.withdrawal} is {state}")
        self._state[event.withdrawal] = "sent"
        if event.wallet:
            self._wallet[event.withdrawal] = event.wallet
        return _decided(event.id, Action.ALLOW)

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


#: Named tuples are made with ``tuple.__new__``, in C: their own constructor is Python code,
#: which costs the compiled monitor more than the rest of a decision.
_new_tuple = tuple.__new__


def _decided(
    event: str, action: Action, reasons: tuple[Reason, ...] = (), halts: tuple[Halt, ...] = ()
) -> Decision:
    """Return the decision (see :data:`_new_tuple`)."""
    return _new_tuple(Decision, (event, action, reasons, halts))


def _field(event: object, name: str) -> object:
    """Return an event's field as a plain object, or None when it has no such field."""
    return getattr(event, name, None)


_ACTIONS = {0: Action.ALLOW, 1: Action.ALLOW, 2: Action.HOLD, 3: Action.HALT}


def _reject(event_id: str, code: str, message: str) -> Decision:
    return Decision(event_id, Action.REJECT, (Reason(code, message),))
