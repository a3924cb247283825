"""The threshold monitor: one decision per event, exactly, in memory (ISM 27-2, 27-3).

:meth:`Monitor.process` takes deposits, withdrawal requests, cancellations, sends, prices and
balances in processing order and returns a :class:`~.model.Decision`:

- invalid input is rejected with the reason and changes nothing: unknown asset, an amount
  that is not a positive integer of base units, an id seen before with different content
  (possible tampering), an event later than ``now + max_future`` (without a ``now``: more
  than ``retention`` after the newest accepted event, so one mistyped year cannot make every
  later event late), an event earlier than its stream's newest accepted time (the asset's
  withdrawals, its deposits, its prices, its balances) minus ``max_lateness`` — minus
  ``deposit_delay`` for a deposit, accepted by its chain time — or earlier than the newest
  accepted time of any stream minus the widest of the two. A refusal for its time does not
  keep the id: the event sent again with a corrected time is decided;
- an id seen before with the same content returns the first decision and changes nothing;
- a withdrawal matching an active halt is rejected;
- otherwise every rule for the event's direction and asset is evaluated: the single amount,
  or the sum of counted events in the rule's window (t − W, t] including this one, against the
  limit (reached when ≥). The strictest level reached decides: notify → allow with reasons,
  hold → hold, halt → halt (and a halt starts). A withdrawal that halts is not counted;
  anything else that is accepted is counted. Deposits that halt are counted (they happened).
- a cancelled withdrawal leaves every window it was counted in, however late the cancel;
  a held one is released (it proceeds, still counted) or refused (it leaves every window).
  A cancel, send, release or refusal of a withdrawal that was itself refused says so
  (``withdrawal_refused``). Their times bound nothing: they change no window's time.

JPY values use the latest price processed before the event, and are kept as integers of one
millionth of a yen (the amount times the price, rounded down), so window sums are exact; they
are reported as ``Decimal``. A JPY rule that cannot be valued (no price yet) holds the event,
saying so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from mamori.engines.threshold.codec import (
    checked_row,
    from_micros,
    micros,
    movement_row,
    span_micros,
)
from mamori.engines.threshold.decision import Decision
from mamori.engines.threshold.model import (
    LEVEL_ORDER,
    Action,
    Balance,
    Config,
    Deposit,
    Direction,
    Event,
    Halt,
    HaltOrder,
    HaltScope,
    HoldRefused,
    HoldReleased,
    Price,
    Reason,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)
from mamori.engines.threshold.reason import reached
from mamori.engines.threshold.window import SlidingSum

__all__ = ["MICRO_YEN", "Monitor", "from_micro_yen", "from_micros", "micros", "to_micro_yen"]

#: The event classes of the fast path, as names the compiled module holds itself (an imported
#: name is looked up in the module's dictionary each time it is read)
_WITHDRAWAL_REQUEST: Final = WithdrawalRequest
_DEPOSIT: Final = Deposit
#: JPY values are counted in millionths of a yen.
MICRO_YEN = 1_000_000
#: Before any event: the newest accepted time of a stream that has none.
_NEVER: Final = -(2**62)
#: The reason codes of an event refused for its time alone: its id is not kept.
_TIME_CODES: Final = frozenset({"late", "future", "bad_time"})
#: What a withdrawal became that takes it out of the windows.
_UNCOUNTED: Final = frozenset({"cancelled", "refused"})


def to_micro_yen(jpy: Decimal) -> int:
    """Return ``jpy`` in millionths of a yen, refusing finer amounts (no silent rounding)."""
    scaled = jpy.scaleb(6)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{jpy} JPY has more than 6 decimals")
    return int(scaled)


def from_micro_yen(value: int) -> Decimal:
    """Return millionths of a yen as a JPY ``Decimal``."""
    return Decimal(value).scaleb(-6).normalize() if value else Decimal(0)


#: What a window adds up: (direction, asset or None for all assets, in JPY?, scope).
Measure = tuple[Direction, str | None, bool, Scope]


class _Hashes:
    """The one key of a map that is not a string (see :func:`_hashed_map`)."""


_HASHES = _Hashes()


def _hashed_map() -> dict[Any, Any]:
    """Return an empty map for string keys that keeps each entry's hash beside its key.

    A map whose keys are all strings keeps only the keys and reads each one's hash from the
    string itself, so a look-up passing other entries reads their strings: a cache miss
    each in a map of a million event ids. One key that is not a string (mapped to None,
    never looked up) makes it keep the hashes; measured here, a million new ids looked up
    and added 30 % faster, a hundred thousand customers 10 %.
    """
    return {_HASHES: None}


#: Customers' windows of one measure, by customer (and the key of :func:`_hashed_map`).
_Windows = dict["str | _Hashes", "SlidingSum | None"]


def _measure(rule: Rule) -> Measure:
    return (rule.direction, rule.asset, rule.in_jpy, rule.scope)


class _Step:
    """One rule to evaluate for a movement, with everything its evaluation needs computed
    once per configuration (the hot path formats no enum and converts no limit)."""

    __slots__ = (
        "after",
        "before",
        "code",
        "count",
        "in_jpy",
        "length",
        "level",
        "limit",
        "rule",
        "shown_limit",
    )

    def __init__(self, rule: Rule, count: _Count | None) -> None:
        self.rule = rule.code
        self.in_jpy = rule.in_jpy
        # base units, or millionths of a yen
        self.limit = to_micro_yen(rule.limit_jpy) if rule.limit_jpy is not None else int(rule.limit)
        self.length = span_micros(rule.window) if rule.window else 0  # µs; 0: single
        self.count = count  # the measure its window is in; None: a single amount
        self.level = LEVEL_ORDER[rule.level]
        self.code = f"threshold.{rule.level}"
        unit = "JPY" if rule.in_jpy else f"{rule.asset} base units"
        self.before = f"{rule.scope} {rule.direction} "  # the message around the amount
        self.after = f" {unit} reached {rule.limit} (rule {rule.code}, {rule.level})"
        self.shown_limit: int | Decimal = rule.limit


class _Count:
    """One measure a movement is counted into: all customers' window, or the customers'
    windows by customer."""

    __slots__ = ("found", "in_jpy", "total", "windows")

    def __init__(self, total: SlidingSum | None, windows: _Windows | None, in_jpy: bool) -> None:
        self.total = total
        self.windows = windows
        self.in_jpy = in_jpy
        # the window of the movement being decided, found once for its rules and its count
        # (kept here rather than in a list made per movement: the monitor decides one at a time)
        self.found: SlidingSum | None = None


class _Route:
    """What a movement of one asset in one direction goes through: the rules to evaluate and
    the measures to count it into (each window looked up once per movement)."""

    __slots__ = ("counts", "scale", "steps")

    def __init__(self, steps: list[_Step], counts: list[_Count], scale: int) -> None:
        self.steps = steps
        self.counts = counts
        self.scale = scale  # base units per whole unit, for JPY values


class _Seen:
    """An event by id: the event and its decision and, for a counted deposit or withdrawal,
    its time (µs) and JPY value (kept for ``retention`` to rebuild windows; what happened to
    a withdrawal later — sent, cancelled — is kept beside it, by id). One object per event:
    a second map or object per event cost a cache miss and a page of memory per 4 KB."""

    __slots__ = ("counted", "decision", "event", "jpy", "time")

    def __init__(
        self, event: Event, decision: Decision, counted: bool, time: int, jpy: int | None
    ) -> None:
        self.event = event
        self.decision = decision
        self.counted = counted
        self.time = time
        self.jpy = jpy

    @property
    def movement(self) -> Deposit | WithdrawalRequest:
        """Return the counted deposit or withdrawal."""
        event = self.event
        assert isinstance(event, Deposit | WithdrawalRequest)
        return event

    @property
    def withdrawal(self) -> bool:
        """Return whether the movement is a withdrawal."""
        return type(self.event) is WithdrawalRequest

    @property
    def id(self) -> str:
        """Return the event's id."""
        return self.event.id

    @property
    def direction(self) -> Direction:
        """Return which way the movement went."""
        return Direction.WITHDRAWAL if self.withdrawal else Direction.DEPOSIT


class Monitor:
    """Exact sliding-window threshold monitor; state is rebuilt by replaying its journal."""

    def __init__(self, config: Config, halt_id: Callable[[str, int], str] | None = None) -> None:
        # all customers' window, or the customers' windows by customer, per measure
        self._totals: dict[Measure, SlidingSum] = {}
        self._windows: dict[Measure, _Windows] = {}
        self._history: deque[_Seen] = deque()  # counted movements, oldest first
        self._prices_micro: dict[str, int] = {}
        self._configure(config)
        # every event by id (one map: a second one of a million ids cost a cache miss each)
        self._seen: dict[str, _Seen] = _hashed_map()
        # withdrawals no longer only requested: released, refused, sent, cancelled
        self._state: dict[str, str] = {}
        self._wallet: dict[str, str] = {}  # the wallet a sent withdrawal left from, if reported
        self.prices: dict[str, Decimal] = {}
        self.balances: dict[tuple[str, str], int] = {}
        self.halts: dict[str, Halt] = {}
        self._latest = _NEVER  # the newest accepted time of any stream
        self._horizon = 2**62  # without a ``now``, events after it are refused as future
        # the newest accepted time of each stream: withdrawals and deposits by asset, others
        # by kind and asset
        self._withdrawn: dict[str, int] = {}
        self._deposited: dict[str, int] = {}
        self._streams: dict[str, int] = {}
        self._last_forget = _NEVER
        self._halt_id = halt_id or (lambda event, n: f"halt-{event}-{n}")

    def _configure(self, config: Config) -> None:
        self.config = config
        self._decimals = {a.code: a.decimals for a in config.assets}
        self._measures = {_measure(r) for r in config.rules if r.scope is not Scope.SINGLE}
        for kind in self._measures:
            if kind[3] is Scope.CUSTOMER:
                self._windows.setdefault(kind, _hashed_map())
            else:
                self._totals.setdefault(kind, SlidingSum())
        # per asset, for withdrawals and for deposits (keyed without enums, whose hash is a
        # call into Python code)
        self._withdrawals: dict[str, _Route] = {}
        self._deposits: dict[str, _Route] = {}
        for direction in Direction:
            routes = self._withdrawals if direction is Direction.WITHDRAWAL else self._deposits
            for asset in config.assets:
                counts = {
                    kind: self._count_of(kind)
                    for kind in sorted(self._measures, key=str)
                    if _routed(kind[0], kind[1], direction, asset.code)
                }
                routes[asset.code] = _Route(
                    [
                        _Step(r, counts.get(_measure(r)))
                        for r in config.rules
                        if _routed(r.direction, r.asset, direction, asset.code)
                    ],
                    list(counts.values()),
                    10**asset.decimals,
                )
        self._retention = span_micros(config.retention)
        self._lateness = span_micros(config.max_lateness)
        self._deposit_lateness = max(self._lateness, span_micros(config.deposit_delay))
        self._widest = self._deposit_lateness  # the earliest any stream may reach back
        self._future = span_micros(config.max_future)
        self._forget_every = self._retention // 8

    def _count_of(self, kind: Measure) -> _Count:
        if kind[3] is Scope.CUSTOMER:
            return _Count(None, self._windows[kind], kind[2])
        return _Count(self._totals[kind], None, kind[2])

    def reconfigure(self, config: Config) -> None:
        """Apply edited thresholds; windows a new rule needs are rebuilt from the history
        kept for ``retention``, so the edit is exact, not a fresh start."""
        added = {_measure(r) for r in config.rules if r.scope is not Scope.SINGLE} - self._measures
        for kind in added:  # stale if it existed: not kept up to date while unused
            self._totals.pop(kind, None)
            self._windows.pop(kind, None)
        self._configure(config)
        for seen in self._history if added else ():
            if self._state.get(seen.id) not in _UNCOUNTED:
                self._count(seen, only=added)

    # -- public ------------------------------------------------------------------------
    def process(
        self, event: Event, now: datetime | None = None, rows: list[list[Any]] | None = None
    ) -> Decision:
        """Decide ``event`` (see the module docstring); ``now`` bounds future times.

        Given ``rows`` (a :class:`~.journal.Journal`'s :attr:`~.journal.Journal.rows`), the
        event's journal row is appended to it unless the event changed nothing: a resend,
        an id reused with other content, a time that is not one. For a deposit or
        withdrawal the row is made from the fields read to decide (:func:`.codec.movement_row`).
        """
        event_id = event.id
        earlier = self._seen.get(event_id)
        if earlier is not None:
            if earlier.event == event:
                return earlier.decision
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
        withdrawal = kind is _WITHDRAWAL_REQUEST
        if withdrawal or kind is _DEPOSIT:
            # the common case, checked in one go with each field read once (as a plain
            # object: its type is what is checked); anything else gets the full checks below
            movement: Any = event  # read untyped: a plain attribute read, no check on reading
            amount = movement.amount
            customer = movement.customer
            asset = movement.asset
            route = (self._withdrawals if withdrawal else self._deposits).get(asset)
            checked = None if now is None else micros(now)
            streams = self._withdrawn if withdrawal else self._deposited
            newest = streams.get(asset, _NEVER) if type(asset) is str else _NEVER
            if (
                route is not None
                and type(amount) is int
                and amount > 0
                and type(customer) is str
                and customer
                and t >= newest - (self._lateness if withdrawal else self._deposit_lateness)
                and t >= self._latest - self._widest
                and (t <= self._horizon if checked is None else t <= checked + self._future)
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
                if t > newest:
                    streams[asset] = t
                if t > self._latest:
                    self._latest = t
                    self._horizon = t + self._retention
                if rows is not None:
                    address = movement.address if withdrawal else ""
                    rows.append(
                        movement_row(
                            withdrawal,
                            event_id,
                            t,
                            customer,
                            asset,
                            amount,
                            address,
                            checked,
                        )
                    )
                return decision
        decision = self._checked(event, event_id, now, t)
        if rows is not None and event_id in self._seen:  # not a refusal for its time alone
            rows.append(checked_row(event, now))
        return decision

    def _checked(self, event: Event, event_id: str, now: datetime | None, t: int) -> Decision:
        """Decide an event that missed the fast path of :meth:`process`, with every check."""
        kind = type(event)
        problem = self._invalid(event, now, t)
        if problem is not None:
            if problem.reasons[0].code not in _TIME_CODES:  # a corrected time may come
                self._seen[event_id] = _Seen(event, problem, False, t, None)
            return problem
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
        else:
            decision = self._other(event)
            self._seen[event_id] = _Seen(event, decision, False, t, None)
        stream = self._stream(event)
        if stream is not None:
            newest, key, _ = stream
            if t > newest.get(key, _NEVER):
                newest[key] = t
        if t > self._latest:
            self._latest = t
            self._horizon = t + self._retention
        return decision

    def _other(self, event: Event) -> Decision:
        """Decide a valid event other than a deposit or withdrawal request."""
        if isinstance(event, WithdrawalCancelled):
            return self._cancel(event)
        if isinstance(event, WithdrawalSent):
            return self._sent(event)
        if isinstance(event, HoldReleased | HoldRefused):
            return self._outcome(event)
        if isinstance(event, Price):
            self.prices[event.asset] = event.jpy
            self._prices_micro[event.asset] = to_micro_yen(event.jpy)
            return Decision(event.id, Action.ALLOW)
        if isinstance(event, Balance):
            self.balances[(event.wallet, event.asset)] = event.amount
            return Decision(event.id, Action.ALLOW)
        if isinstance(event, HaltOrder):
            return self._order_halt(event)
        raise TypeError(f"not an event: {event!r}")  # pragma: no cover - all handled above

    def outflows(self, asset: str) -> list[tuple[int, int]]:
        """Return ``(time µs, units)`` of the withdrawals of ``asset`` still counted (not
        cancelled), over the retained history — the input of the hot-wallet cap."""
        state = self._state
        return [
            (seen.time, movement.amount)
            for seen in self._history
            if type(movement := seen.movement) is WithdrawalRequest
            and movement.asset == asset
            and state.get(movement.id) not in _UNCOUNTED
        ]

    def outflows_by_wallet(self, asset: str) -> dict[str, list[tuple[int, int]]]:
        """Return, per wallet, ``(time µs of the request, units)`` of the sent withdrawals of
        ``asset`` whose wallet was reported, over the retained history."""
        flows: dict[str, list[tuple[int, int]]] = {}
        for seen in self._history:
            movement = seen.movement
            wallet = (
                self._wallet.get(movement.id)
                if type(movement) is WithdrawalRequest and movement.asset == asset
                else None
            )
            if wallet and self._state.get(movement.id) == "sent":
                flows.setdefault(wallet, []).append((seen.time, movement.amount))
        return flows

    def keep_refusal(self, event: Event, code: str, message: str) -> Decision:
        """Remember ``event`` as refused with ``code`` (a journal written before refusals for
        time alone stopped keeping the id: replayed, it answers a resend as it did then)."""
        decision = _reject(event.id, code, message)
        self._seen[event.id] = _Seen(event, decision, False, 0, None)
        return decision

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
        kind = _measure(rule)
        window = (
            self._totals.get(kind) if kind not in self._windows else self._windows[kind].get(key)
        )
        t = micros(at)
        total = window.total(t - span_micros(rule.window), t) if window else 0
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
        if now is None and t > self._horizon:
            return _reject(
                event.id,
                "future",
                f"event time {event.at.isoformat()} is more than {self.config.retention} "
                "after the newest accepted event; refused so that it cannot make every later "
                "event late (check the time, or pass the current time)",
            )
        late = self._late(event, t)
        if late is not None:
            return late
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
            if scope is HaltScope.CUSTOMER_ASSET:
                return _reject(
                    event.id,
                    "bad_scope",
                    "an ordered halt stops a customer, an asset, the market or all withdrawals",
                )
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

    def _late(self, event: Event, t: int) -> Decision | None:
        """Refuse an event earlier than its stream allows (see the module docstring)."""
        stream = self._stream(event)
        if stream is None:
            return None
        streams, key, name = stream
        deposit = type(event) is Deposit
        bound = self._deposit_lateness if deposit else self._lateness
        if t < streams.get(key, _NEVER) - bound:
            return _reject(
                event.id,
                "late",
                f"event time {event.at.isoformat()} is more than "
                f"{timedelta(microseconds=bound)} behind the latest accepted {name}",
            )
        if t < self._latest - self._widest:
            return _reject(
                event.id,
                "late",
                f"event time {event.at.isoformat()} is more than "
                f"{timedelta(microseconds=self._widest)} behind the latest accepted event",
            )
        return None

    def _stream(self, event: Event) -> tuple[dict[str, int], str, str] | None:
        """Return the stream whose lateness bounds ``event`` (the map of newest times, the
        key, its name in words), or None for an event whose time moves no window."""
        kind = type(event)
        asset = _field(event, "asset")
        if not isinstance(asset, str):
            return None
        if kind is WithdrawalRequest:
            return self._withdrawn, asset, f"withdrawal of {asset}"
        if kind is Deposit:
            return self._deposited, asset, f"deposit of {asset}"
        if kind is Price:
            return self._streams, f"price {asset}", f"price of {asset}"
        if kind is Balance:
            return self._streams, f"balance {asset}", f"balance of {asset}"
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
                            f"withdrawals are halted ({halt.scope} {halt.key}"
                            f"{' ' + halt.asset if halt.asset else ''}) since "
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
        """Decide a valid deposit or withdrawal request, count it and remember it by id (the
        fields are passed in, read once)."""
        if withdrawal and self.halts:
            refused = self._halted(event)  # type: ignore[arg-type]
            if refused is not None:
                self._seen[event_id] = _Seen(event, refused, False, t, None)
                return refused
        if t - self._last_forget > self._forget_every:
            self._forget(t)
        asset = event.asset
        price = self._prices_micro.get(asset)
        jpy = units * price // route.scale if price is not None else None
        counts = route.counts
        for count in counts:
            windows = count.windows
            count.found = count.total if windows is None else windows.get(customer)
        reasons: tuple[Reason, ...] = ()  # mostly none or one: no list made and copied
        worst = 0
        halting: list[str] | None = None
        for step in route.steps:
            if step.in_jpy:
                if jpy is None:
                    reasons += (
                        Reason(
                            "no_price",
                            f"no JPY price of {asset} yet: rule {step.rule} cannot be "
                            "evaluated; held",
                            step.rule,
                        ),
                    )
                    if worst < 2:
                        worst = 2
                    continue
                observed = jpy
            else:
                observed = units
            measure = step.count
            if measure is not None:
                window = measure.found
                if window is not None:
                    observed += window.total(t - step.length, t)
            if observed >= step.limit:
                shown = from_micro_yen(observed) if step.in_jpy else observed
                reasons += (
                    reached(step.code, step.before, shown, step.after, step.rule, step.shown_limit),
                )
                if step.level > worst:
                    worst = step.level
                if step.level == 3:
                    if halting is None:
                        halting = []
                    halting.append(step.rule)
        halts = self._start_halts(event, halting) if halting else ()
        decision = Decision(event_id, _ACTIONS[worst], reasons, halts)
        counted = not (withdrawal and worst == 3)
        seen = self._seen[event_id] = _Seen(event, decision, counted, t, jpy)
        if counted:
            self._history.append(seen)
            for count in counts:
                value = jpy if count.in_jpy else units
                if value is None:
                    continue
                window = count.found
                if window is None:
                    assert count.windows is not None  # all customers' window always exists
                    window = count.windows[customer] = SlidingSum()
                window.add(t, value)
        return decision

    def _uncount(self, seen: _Seen) -> None:
        """Take a counted withdrawal out of every window it is in: the measures of its
        route, as :meth:`_movement` counted it (the route lists them for its asset)."""
        movement = seen.movement
        customer = movement.customer
        route = self._withdrawals.get(movement.asset)
        for count in route.counts if route is not None else ():  # its asset may be gone
            value = seen.jpy if count.in_jpy else movement.amount
            if value is None:
                continue
            windows = count.windows
            window = count.total if windows is None else windows.get(customer)
            if window is None:  # forgotten with its customer's quiet window: nothing to take
                continue
            window.cancel(seen.time, value)

    def _count(self, seen: _Seen, only: set[Measure]) -> None:
        """Count a remembered movement again into the measures ``only`` (a reconfiguration
        added them)."""
        movement = seen.movement
        withdrawal = type(movement) is WithdrawalRequest
        direction = Direction.WITHDRAWAL if withdrawal else Direction.DEPOSIT
        for kind in only:
            if not _routed(kind[0], kind[1], direction, movement.asset):
                continue
            value = seen.jpy if kind[2] else movement.amount
            if value is None:
                continue
            if kind[3] is Scope.CUSTOMER:
                windows = self._windows[kind]
                window = windows.get(movement.customer)
                if window is None:
                    window = windows[movement.customer] = SlidingSum()
            else:
                window = self._totals[kind]
            window.add(seen.time, value)

    def _start_halts(
        self, event: Deposit | WithdrawalRequest, codes: list[str]
    ) -> tuple[Halt, ...]:
        started = []
        rules = {rule.code: rule for rule in self.config.rules}
        t = micros(event.at)
        for n, code in enumerate(codes):
            rule = rules[code]
            scope = rule.effective_halt_scope()
            key = (
                ""
                if scope is HaltScope.ALL_WITHDRAWALS
                else (
                    event.customer
                    if scope is HaltScope.CUSTOMER or scope is HaltScope.CUSTOMER_ASSET
                    else event.asset
                )
            )
            asset = event.asset if scope is HaltScope.CUSTOMER_ASSET else ""
            if any(
                h.same(scope, key, asset) and (h.until is None or micros(h.until) > t)
                for h in self.halts.values()
            ):
                continue
            until = event.at + rule.halt_expiry if rule.halt_expiry is not None else None
            halt = Halt(
                self._halt_id(event.id, n),
                scope,
                key,
                rule.code,
                event.id,
                event.at,
                asset,
                until,
            )
            self.halts[halt.id] = halt
            started.append(halt)
        return tuple(started)

    def _order_halt(self, event: HaltOrder) -> Decision:
        reason = Reason("halt_ordered", event.reason, rule=event.source)
        if any(h.same(event.scope, event.key, "") and h.until is None for h in self.halts.values()):
            return Decision(event.id, Action.HALT, (reason,))
        halt = Halt(
            self._halt_id(event.id, 0), event.scope, event.key, event.source, event.id, event.at
        )
        self.halts[halt.id] = halt
        return Decision(event.id, Action.HALT, (reason,), (halt,))

    def _counted_withdrawal(
        self, event: WithdrawalCancelled | WithdrawalSent | HoldReleased | HoldRefused
    ) -> _Seen | Decision:
        """Return the counted withdrawal ``event`` is about, or the refusal saying why there
        is none: never requested (or not a withdrawal), or requested and refused."""
        seen = self._seen.get(event.withdrawal)
        if seen is None or type(seen.event) is not WithdrawalRequest:
            return _reject(
                event.id, "unknown_withdrawal", f"no counted withdrawal {event.withdrawal!r}"
            )
        if not seen.counted:
            return _reject(
                event.id,
                "withdrawal_refused",
                f"withdrawal {event.withdrawal} was refused ({seen.decision.action}: "
                f"{', '.join(seen.decision.codes)}); it is not counted and cannot be sent",
            )
        return seen

    def _cancel(self, event: WithdrawalCancelled) -> Decision:
        counted = self._counted_withdrawal(event)
        if isinstance(counted, Decision):
            return counted
        state = self._state.get(event.withdrawal)
        if state is not None and state != "released":
            return _reject(
                event.id,
                "not_cancellable",
                f"withdrawal {event.withdrawal} is already {state}",
            )
        self._uncount(counted)
        self._state[event.withdrawal] = "cancelled"
        return Decision(event.id, Action.ALLOW)

    def _outcome(self, event: HoldReleased | HoldRefused) -> Decision:
        """Release a held withdrawal (it proceeds, still counted) or refuse it (it leaves
        every window). Any counted withdrawal not yet released, refused, sent or cancelled
        may be: a withdrawal held for its address is an allow in the windows' eyes."""
        counted = self._counted_withdrawal(event)
        if isinstance(counted, Decision):
            return counted
        released = type(event) is HoldReleased
        state = self._state.get(event.withdrawal)
        if state is not None:
            return _reject(
                event.id,
                "not_releasable" if released else "not_refusable",
                f"withdrawal {event.withdrawal} is already {state}",
            )
        if not released:
            self._uncount(counted)
        self._state[event.withdrawal] = "released" if released else "refused"
        return Decision(event.id, Action.ALLOW)

    def withdrawal_state(self, withdrawal: str) -> str | None:
        """Return what became of a counted withdrawal: released, refused, sent, cancelled;
        None while it is only requested (or unknown)."""
        return self._state.get(withdrawal)

    def _sent(self, event: WithdrawalSent) -> Decision:
        counted = self._counted_withdrawal(event)
        if isinstance(counted, Decision):
            return counted
        state = self._state.get(event.withdrawal)
        if state is not None and state != "released":
            return _reject(event.id, "not_sendable", f"withdrawal {event.withdrawal} is {state}")
        if state is None and counted.decision.action is Action.HOLD:
            return _reject(
                event.id,
                "not_sendable",
                f"withdrawal {event.withdrawal} is held: it may be sent once its hold is released",
            )
        self._state[event.withdrawal] = "sent"
        if event.wallet:
            self._wallet[event.withdrawal] = event.wallet
        return Decision(event.id, Action.ALLOW)

    def _forget(self, t: int) -> None:
        """Drop what no accepted event's window can reach any more (bounded memory)."""
        self._last_forget = t
        floor = max(t, self._latest) - self._widest  # no event earlier is accepted any more
        boundary = floor - self._retention
        for halt in list(self.halts.values()):
            until = halt.until
            if until is not None and micros(until) <= floor:  # expired: no event meets it
                del self.halts[halt.id]
        history = self._history
        while history and history[0].time <= boundary:
            history.popleft()
        for total in self._totals.values():
            total.forget(boundary)
        for windows in self._windows.values():
            emptied = []
            for customer, window in windows.items():
                if window is None:  # the key that keeps hashes (see _hashed_map)
                    continue
                window.forget(boundary)
                if window.empty():
                    emptied.append(customer)
            for customer in emptied:  # a customer gone quiet holds no memory
                del windows[customer]


def _routed(direction: Direction, asset: str | None, to: Direction, of: str) -> bool:
    """Return whether a rule or measure of ``direction`` and ``asset`` (None: all assets)
    applies to movements of asset ``of`` going ``to``."""
    return direction is to and (asset is None or asset == of)


def _field(event: object, name: str) -> object:
    """Return an event's field as a plain object, or None when it has no such field."""
    return getattr(event, name, None)


#: The action of the strictest level reached (none, notify, hold, halt).
_ACTIONS: Final = (Action.ALLOW, Action.ALLOW, Action.HOLD, Action.HALT)


def _reject(event_id: str, code: str, message: str) -> Decision:
    return Decision(event_id, Action.REJECT, (Reason(code, message),))
