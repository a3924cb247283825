"""The threshold monitor against a brute-force oracle, at its boundaries, and on bad input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.engines.threshold import (
    Action,
    Asset,
    Config,
    ConfigError,
    Deposit,
    Direction,
    HaltScope,
    HoldRefused,
    HoldReleased,
    Level,
    Monitor,
    Price,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
ASSETS = (Asset("A", 0), Asset("B", 2))


def rules_a() -> tuple[Rule, ...]:
    W, D = Direction.WITHDRAWAL, Direction.DEPOSIT
    return (
        Rule("w-single-hold", W, Scope.SINGLE, Level.HOLD, "A", limit_units=40),
        Rule(
            "w-single-halt-b",
            W,
            Scope.SINGLE,
            Level.HALT,
            "B",
            limit_units=44,
            halt_scope=HaltScope.CUSTOMER,
            halt_expiry=3 * MIN,
        ),
        Rule("w-cust-notify", W, Scope.CUSTOMER, Level.NOTIFY, "A", 40, window=10 * MIN),
        Rule("w-cust-halt", W, Scope.CUSTOMER, Level.HALT, "A", 80, window=10 * MIN),
        Rule("w-all-halt", W, Scope.ALL, Level.HALT, "B", 70, window=60 * MIN),
        Rule(
            "w-jpy-all-hold",
            W,
            Scope.ALL,
            Level.HOLD,
            None,
            limit_jpy=Decimal("150"),
            window=30 * MIN,
        ),
        Rule("d-cust-notify", D, Scope.CUSTOMER, Level.NOTIFY, "A", 50, window=10 * MIN),
        Rule("d-all-halt", D, Scope.ALL, Level.HALT, "B", 90, window=20 * MIN),
    )


def rules_b() -> tuple[Rule, ...]:
    W = Direction.WITHDRAWAL
    return (
        Rule("w-single-hold", W, Scope.SINGLE, Level.HOLD, "A", limit_units=30),
        Rule("w-cust-notify", W, Scope.CUSTOMER, Level.NOTIFY, "A", 45, window=20 * MIN),
        Rule(
            "w-cust-halt-b",
            W,
            Scope.CUSTOMER,
            Level.HALT,
            "B",
            70,
            window=5 * MIN,
            halt_expiry=2 * MIN,
        ),
        Rule(
            "w-jpy-cust-halt",
            W,
            Scope.CUSTOMER,
            Level.HALT,
            None,
            limit_jpy=Decimal("400.5"),
            window=15 * MIN,
        ),
        Rule(
            "w-all-market",
            W,
            Scope.ALL,
            Level.HALT,
            "A",
            200,
            window=10 * MIN,
            halt_scope=HaltScope.ALL_WITHDRAWALS,
        ),
    )


def config(rules: tuple[Rule, ...]) -> Config:
    return Config(ASSETS, rules, max_lateness=5 * MIN, max_future=MIN, deposit_delay=30 * MIN)


class Oracle:
    """Decides by recomputing every window from the full list of counted events, with the
    lateness of each stream (an asset's withdrawals, deposits, prices) checked on its own."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.seen: dict[str, tuple[object, tuple]] = {}
        self.moves: list[dict] = []
        self.prices: dict[str, Decimal] = {}
        # (scope, key, asset, id, until)
        self.halts: list[tuple[str, str, str, str, datetime | None]] = []
        self.latest: datetime | None = None
        self.streams: dict[tuple[str, str], datetime] = {}

    def process(self, e, now: datetime | None = None) -> tuple:
        if e.id in self.seen:
            first, decision = self.seen[e.id]
            return decision if first == e else ("reject", ("duplicate_conflict",), ())
        decision = self._validate(e, now)
        if decision is not None:
            if decision[1][0] not in ("late", "future"):  # a corrected time may come
                self.seen[e.id] = (e, decision)
            return decision
        decision = self._decide(e)
        self.seen[e.id] = (e, decision)
        if self.latest is None or e.at > self.latest:
            self.latest = e.at
        stream = self._stream(e)
        if stream is not None and (stream not in self.streams or e.at > self.streams[stream]):
            self.streams[stream] = e.at
        return decision

    @staticmethod
    def _stream(e) -> tuple[str, str] | None:
        kinds = {Deposit: "deposit", WithdrawalRequest: "withdrawal", Price: "price"}
        kind = kinds.get(type(e))
        return None if kind is None else (kind, e.asset)

    def _validate(self, e, now) -> tuple | None:
        if now is not None and e.at > now + self.cfg.max_future:
            return ("reject", ("future",), ())
        if now is None and self.latest is not None and e.at > self.latest + self.cfg.retention:
            return ("reject", ("future",), ())
        stream = self._stream(e)
        widest = max(self.cfg.max_lateness, self.cfg.deposit_delay)
        if stream is not None:
            bound = widest if isinstance(e, Deposit) else self.cfg.max_lateness
            if stream in self.streams and e.at < self.streams[stream] - bound:
                return ("reject", ("late",), ())
            if self.latest is not None and e.at < self.latest - widest:
                return ("reject", ("late",), ())
        asset = getattr(e, "asset", None)
        if asset is not None and asset not in {a.code for a in ASSETS}:
            return ("reject", ("unknown_asset",), ())
        if isinstance(e, Deposit | WithdrawalRequest):
            if not isinstance(e.amount, int) or isinstance(e.amount, bool) or e.amount <= 0:
                return ("reject", ("bad_amount",), ())
            if not e.customer:
                return ("reject", ("no_customer",), ())
        return None

    def _follow_up(self, e) -> tuple:
        """A cancel, send, release or refusal of a withdrawal."""
        first = self.seen.get(e.withdrawal)
        if first is None or not isinstance(first[0], WithdrawalRequest):
            return ("reject", ("unknown_withdrawal",), ())
        move = next((m for m in self.moves if m["id"] == e.withdrawal and m["w"]), None)
        if move is None:
            return ("reject", ("withdrawal_refused",), ())
        state = move["state"]
        if isinstance(e, WithdrawalSent) and state == "requested" and move["held"]:
            return ("reject", ("not_sendable",), ())  # held: sent only once released
        if isinstance(e, WithdrawalCancelled | WithdrawalSent):
            if state not in ("requested", "released"):
                code = "not_cancellable" if isinstance(e, WithdrawalCancelled) else "not_sendable"
                return ("reject", (code,), ())
            move["state"] = "cancelled" if isinstance(e, WithdrawalCancelled) else "sent"
            return ("allow", (), ())
        if state != "requested":
            code = "not_releasable" if isinstance(e, HoldReleased) else "not_refusable"
            return ("reject", (code,), ())
        move["state"] = "released" if isinstance(e, HoldReleased) else "refused"
        return ("allow", (), ())

    def _halted(self, e) -> bool:
        for scope, key, asset, _, until in self.halts:
            if until is not None and e.at >= until:
                continue
            if (
                scope == "all_withdrawals"
                or (scope == "asset" and key == e.asset)
                or (scope == "customer" and key == e.customer)
                or (scope == "customer_asset" and key == e.customer and asset == e.asset)
            ):
                return True
        return False

    def _decide(self, e) -> tuple:
        if isinstance(e, Price):
            self.prices[e.asset] = e.jpy
            return ("allow", (), ())
        if isinstance(e, WithdrawalCancelled | WithdrawalSent | HoldReleased | HoldRefused):
            return self._follow_up(e)
        withdrawal = isinstance(e, WithdrawalRequest)
        if withdrawal and self._halted(e):
            return ("reject", ("halted",), ())
        direction = Direction.WITHDRAWAL if withdrawal else Direction.DEPOSIT
        decimals = {a.code: a.decimals for a in ASSETS}[e.asset]
        price = self.prices.get(e.asset)
        jpy = e.amount * int(price * 1_000_000) // 10**decimals if price is not None else None
        codes, worst, halting = [], 0, []
        order = {Level.NOTIFY: 1, Level.HOLD: 2, Level.HALT: 3}
        for rule in self.cfg.rules:
            if rule.direction is not direction or rule.asset not in (None, e.asset):
                continue
            if rule.in_jpy and jpy is None:
                codes.append("no_price")
                worst = max(worst, 2)
                continue
            value = jpy if rule.in_jpy else e.amount
            limit = int(rule.limit_jpy * 1_000_000) if rule.in_jpy else rule.limit_units
            observed = value
            if rule.scope is not Scope.SINGLE:
                for m in self.moves:
                    if m["state"] in ("cancelled", "refused") or m["dir"] is not direction:
                        continue
                    if rule.asset is not None and m["asset"] != rule.asset:
                        continue
                    if rule.scope is Scope.CUSTOMER and m["customer"] != e.customer:
                        continue
                    if not (e.at - rule.window < m["at"] <= e.at):
                        continue
                    v = m["jpy"] if rule.in_jpy else m["units"]
                    if v is not None:
                        observed += v
            if observed >= limit:
                codes.append(f"threshold.{rule.level}")
                worst = max(worst, order[rule.level])
                if rule.level is Level.HALT:
                    halting.append(rule)
        action = {0: "allow", 1: "allow", 2: "hold", 3: "halt"}[worst]
        started = []
        for rule in halting:
            scope = rule.effective_halt_scope()
            key = {
                HaltScope.ALL_WITHDRAWALS: "",
                HaltScope.CUSTOMER: e.customer,
                HaltScope.CUSTOMER_ASSET: e.customer,
            }.get(scope, e.asset)
            asset = e.asset if scope is HaltScope.CUSTOMER_ASSET else ""
            until = e.at + rule.halt_expiry if rule.halt_expiry else None
            if not any(
                h[:3] == (scope, key, asset) and (h[4] is None or h[4] > e.at) for h in self.halts
            ):
                self.halts.append((str(scope), key, asset, e.id, until))
                started.append((str(scope), key, asset, until))
        if not (withdrawal and action == "halt"):
            self.moves.append(
                {
                    "id": e.id,
                    "w": withdrawal,
                    "at": e.at,
                    "dir": direction,
                    "asset": e.asset,
                    "customer": e.customer,
                    "units": e.amount,
                    "jpy": jpy,
                    "state": "requested",
                    "held": action == "hold",
                }
            )
        return (action, tuple(codes), tuple(started))

    def lift(self, halt_event: str) -> None:
        self.halts = [h for h in self.halts if h[3] != halt_event]


def summary(decision) -> tuple:
    return (
        str(decision.action),
        decision.codes,
        tuple((str(h.scope), h.key, h.asset, h.until) for h in decision.halts),
    )


op = st.one_of(
    st.tuples(
        st.just("deposit"), st.sampled_from("xy"), st.sampled_from("AAB"), st.integers(1, 45)
    ),
    # a deposit reported by its chain time, within and beyond the 30-minute delay
    st.tuples(
        st.just("chain"),
        st.sampled_from("xy"),
        st.sampled_from("AB"),
        st.integers(1, 45),
        st.sampled_from([6, 10, 29, 30, 31, 45]),
    ),
    st.tuples(
        st.just("withdraw"), st.sampled_from("xy"), st.sampled_from("AAB"), st.integers(1, 45)
    ),
    st.tuples(
        st.just("withdraw"), st.sampled_from("xy"), st.sampled_from("AAB"), st.integers(1, 45)
    ),
    st.tuples(st.just("cancel"), st.integers(0, 60)),
    st.tuples(st.just("sent"), st.integers(0, 60)),
    st.tuples(st.just("release"), st.integers(0, 60)),
    st.tuples(st.just("refuse"), st.integers(0, 60)),
    st.tuples(st.just("price"), st.sampled_from("AB"), st.sampled_from(["1.5", "10", "0.25"])),
    st.tuples(st.just("dup"), st.integers(0, 60)),
    st.tuples(st.just("conflict"), st.integers(0, 60)),
    st.tuples(st.just("fix"), st.integers(0, 60)),
    st.tuples(st.just("far"), st.sampled_from("AB")),
    st.tuples(st.just("edit")),
    st.tuples(st.just("lift")),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            op,
            # mostly forward in time, sometimes late (within and beyond the 5-minute bound);
            # whole minutes make events land exactly on window edges
            st.sampled_from([0, 1, 30, 60, 60, 120, 120, 300, 600, -60, -240, -400]),
        ),
        max_size=80,
    )
)
def test_decisions_match_the_brute_force_oracle(ops) -> None:
    cfg = config(rules_a())
    monitor, oracle = Monitor(cfg), Oracle(cfg)
    clock = T0
    sent: list = []
    refused_for_time: list = []
    for asset, price in (("A", "3"), ("B", "0.5")):
        opening = Price(f"open-{asset}", T0, asset, Decimal(price))
        assert summary(monitor.process(opening)) == oracle.process(opening)
    for n, (operation, step) in enumerate(ops):
        clock += timedelta(seconds=step)
        kind = operation[0]
        if kind == "edit":
            new = config(rules_b() if oracle.cfg.rules == rules_a() else rules_a())
            monitor.reconfigure(new)
            oracle.cfg = new
            continue
        if kind == "lift":
            active = monitor.active_halts()
            if active:
                first = min(active, key=lambda h: list(monitor.halts).index(h.id))
                monitor.lift(first.id)
                oracle.lift(first.event)
            continue
        if kind in ("dup", "conflict"):
            if not sent:
                continue
            earlier = sent[operation[1] % len(sent)]
            event = earlier
            if kind == "conflict":
                if not hasattr(earlier, "amount"):
                    continue
                event = replace(earlier, amount=earlier.amount + 1)
        elif kind == "fix":  # sent again with a corrected time
            if not refused_for_time:
                continue
            event = replace(refused_for_time[operation[1] % len(refused_for_time)], at=clock)
        elif kind == "far":  # a mistyped year, decades ahead
            event = Deposit(f"e{n}", clock.replace(year=2100), "x", operation[1], 1)
        elif kind == "deposit":
            event = Deposit(f"e{n}", clock, operation[1], operation[2], operation[3])
        elif kind == "chain":
            at = clock - timedelta(minutes=operation[4])
            event = Deposit(f"e{n}", at, operation[1], operation[2], operation[3])
        elif kind == "withdraw":
            event = WithdrawalRequest(f"e{n}", clock, operation[1], operation[2], operation[3])
        elif kind in ("cancel", "sent", "release", "refuse"):
            targets = [e for e in sent if isinstance(e, WithdrawalRequest)]
            if not targets:
                continue
            target = targets[operation[1] % len(targets)].id
            cls = {
                "cancel": WithdrawalCancelled,
                "sent": WithdrawalSent,
                "release": HoldReleased,
                "refuse": HoldRefused,
            }[kind]
            event = cls(f"e{n}", clock, target)
        else:
            event = Price(f"e{n}", clock, operation[1], Decimal(operation[2]))
        sent.append(event)
        decided = monitor.process(event)
        assert summary(decided) == oracle.process(event), (n, event)
        if decided.codes in (("late",), ("future",)):
            refused_for_time.append(event)


def w(n: int, amount: int, at: datetime, customer: str = "c1", asset: str = "A"):
    return WithdrawalRequest(f"w{n}", at, customer, asset, amount)


def test_exactly_at_the_limit_is_reached_and_one_unit_below_is_not() -> None:
    cfg = config((Rule("s", Direction.WITHDRAWAL, Scope.SINGLE, Level.HOLD, "A", 100),))
    monitor = Monitor(cfg)
    assert monitor.process(w(1, 99, T0)).action is Action.ALLOW
    held = monitor.process(w(2, 100, T0))
    assert held.action is Action.HOLD
    assert held.reasons[0].observed == 100 and held.reasons[0].limit == 100


def test_the_window_start_is_exclusive_and_the_end_inclusive() -> None:
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 100, window=10 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(w(1, 60, T0))
    # exactly 10 minutes later the first withdrawal has left the window (t - W, t]
    assert monitor.process(w(2, 40, T0 + 10 * MIN)).action is Action.ALLOW
    # one microsecond earlier it would still have counted
    monitor2 = Monitor(config((rule,)))
    monitor2.process(w(1, 60, T0))
    edge = T0 + 10 * MIN - timedelta(microseconds=1)
    assert monitor2.process(w(2, 40, edge)).action is Action.HOLD


def test_a_cancelled_withdrawal_releases_its_amount() -> None:
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 100, window=10 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(w(1, 70, T0))
    assert monitor.process(WithdrawalCancelled("x1", T0 + MIN, "w1")).action is Action.ALLOW
    assert monitor.process(w(2, 70, T0 + 2 * MIN)).action is Action.ALLOW
    again = monitor.process(WithdrawalCancelled("x2", T0 + 3 * MIN, "w1"))
    assert again.codes == ("not_cancellable",)


def test_a_withdrawal_of_an_asset_dropped_from_the_configuration_can_be_cancelled() -> None:
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "B", 100, window=10 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(w(1, 70, T0, asset="B"))
    monitor.reconfigure(Config((ASSETS[0],), (), max_lateness=5 * MIN, max_future=MIN))
    assert monitor.process(WithdrawalCancelled("x1", T0 + MIN, "w1")).action is Action.ALLOW
    monitor.reconfigure(config((rule,)))  # back: the cancelled withdrawal is not counted again
    assert monitor.process(w(2, 99, T0 + 2 * MIN, asset="B")).action is Action.ALLOW


def test_a_halt_refuses_matching_withdrawals_until_lifted() -> None:
    rule = Rule("h", Direction.WITHDRAWAL, Scope.ALL, Level.HALT, "A", 100, window=60 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(w(1, 60, T0, "c1"))
    halted = monitor.process(w(2, 50, T0 + MIN, "c2"))
    assert halted.action is Action.HALT
    (halt,) = halted.halts
    assert (halt.scope, halt.key, halt.rule, halt.event) == (HaltScope.ASSET, "A", "h", "w2")
    refused = monitor.process(w(3, 1, T0 + 2 * MIN, "c3"))
    assert refused.action is Action.REJECT and refused.codes == ("halted",)
    assert monitor.process(w(4, 1, T0 + 2 * MIN, "c3", asset="B")).action is Action.ALLOW
    monitor.lift(halt.id)
    # the halting withdrawal was not counted: 60 + 1 is below the limit
    assert monitor.process(w(5, 1, T0 + 3 * MIN, "c3")).action is Action.ALLOW


def test_a_duplicate_returns_the_first_decision_and_a_conflicting_one_is_refused() -> None:
    rule = Rule("s", Direction.WITHDRAWAL, Scope.SINGLE, Level.HOLD, "A", 100)
    monitor = Monitor(config((rule,)))
    first = monitor.process(w(1, 150, T0))
    assert monitor.process(w(1, 150, T0)) is first
    conflict = monitor.process(w(1, 1, T0))
    assert conflict.action is Action.REJECT and conflict.codes == ("duplicate_conflict",)
    assert "possible tampering" in conflict.reasons[0].message


def test_jpy_values_are_exact_and_need_a_price() -> None:
    rule = Rule(
        "j",
        Direction.WITHDRAWAL,
        Scope.CUSTOMER,
        Level.HOLD,
        None,
        limit_jpy=Decimal("1000.000011"),
        window=10 * MIN,
    )
    monitor = Monitor(config((rule,)))
    no_price = monitor.process(w(1, 10, T0, asset="B"))
    assert no_price.action is Action.HOLD and no_price.codes == ("no_price",)
    monitor.process(Price("p", T0, "B", Decimal("10000.0001")))  # per whole B (2 decimals)
    # 0.10 B × 10000.0001 = 1000.00001 JPY: exact, one millionth below the limit
    assert monitor.process(w(2, 10, T0, asset="B")).action is Action.ALLOW
    assert monitor.window_total("j", "c1", T0) == Decimal("1000.00001")
    assert monitor.process(w(3, 1, T0, asset="B")).action is Action.HOLD


@pytest.mark.parametrize(
    ("event", "code"),
    [
        (WithdrawalRequest("a", T0, "c", "A", 0), "bad_amount"),
        (WithdrawalRequest("b", T0, "c", "A", -5), "bad_amount"),
        (WithdrawalRequest("c", T0, "c", "DOGE", 5), "unknown_asset"),
        (Deposit("d", T0, "c", "A", 1.5), "bad_amount"),  # type: ignore[arg-type]
        (Deposit("e", T0, "", "A", 1), "no_customer"),
        (Deposit("f", T0 + timedelta(hours=1), "c", "A", 1), "future"),
        (Price("g", T0, "A", Decimal("1.0000001")), "bad_price"),
        (Price("h", T0, "A", Decimal("-1")), "bad_price"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_changes_nothing(event, code) -> None:
    rule = Rule("s", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 2, window=MIN)
    monitor = Monitor(config((rule,)))
    decision = monitor.process(event, now=T0)
    assert decision.action is Action.REJECT and decision.codes == (code,)
    assert monitor.window_total("s", "c", T0) == 0 and monitor.prices == {}


def test_an_event_later_than_its_streams_bound_is_refused_as_late() -> None:
    monitor = Monitor(config(()))
    monitor.process(w(1, 1, T0))
    late = monitor.process(w(2, 1, T0 - 6 * MIN))
    assert late.codes == ("late",) and "0:05:00" in late.reasons[0].message
    assert "withdrawal of A" in late.reasons[0].message
    assert monitor.process(w(3, 1, T0 - 4 * MIN)).action is Action.ALLOW
    # another asset's withdrawals are a stream of their own: B's first may be 20 minutes old
    assert monitor.process(w(4, 1, T0 - 20 * MIN, asset="B")).action is Action.ALLOW


def test_a_deposit_is_accepted_by_its_chain_time_and_counted_where_it_belongs() -> None:
    rule = Rule("d", Direction.DEPOSIT, Scope.CUSTOMER, Level.HOLD, "A", 100, window=10 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(Deposit("d1", T0, "c", "A", 60))
    # confirmed 25 minutes after it was mined: within the 30-minute delay, counted at its time
    assert monitor.process(Deposit("d2", T0 - 25 * MIN, "c", "A", 50)).action is Action.ALLOW
    assert monitor.window_total("d", "c", T0 - 20 * MIN) == 50
    assert monitor.window_total("d", "c", T0) == 60
    # a second one in the same window as the first reaches the limit where it belongs
    held = monitor.process(Deposit("d3", T0 - 22 * MIN, "c", "A", 50))
    assert held.action is Action.HOLD and held.reasons[0].observed == 100
    assert monitor.process(Deposit("d4", T0 - 31 * MIN, "c", "A", 1)).codes == ("late",)


def test_a_late_refusal_keeps_no_id_so_a_corrected_resend_is_decided() -> None:
    monitor = Monitor(config(()))
    monitor.process(w(1, 1, T0))
    stale = WithdrawalRequest("r", T0 - 10 * MIN, "c", "A", 5)
    assert monitor.process(stale).codes == ("late",)
    assert not monitor.knows("r")
    assert monitor.process(replace(stale, at=T0)).action is Action.ALLOW
    assert monitor.process(replace(stale, at=T0)).action is Action.ALLOW  # a plain resend
    assert monitor.process(stale).codes == ("duplicate_conflict",)


def test_a_late_cancel_still_releases_its_withdrawal() -> None:
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 100, window=60 * MIN)
    monitor = Monitor(config((rule,)))
    monitor.process(w(1, 70, T0))
    monitor.process(w(2, 10, T0 + 20 * MIN, customer="other"))
    # the cancel's time is 15 minutes behind the newest event: it moves no window
    assert monitor.process(WithdrawalCancelled("x", T0 + 5 * MIN, "w1")).action is Action.ALLOW
    assert monitor.process(w(3, 70, T0 + 21 * MIN)).action is Action.ALLOW


def test_a_cancel_of_a_refused_withdrawal_says_it_was_refused() -> None:
    rule = Rule("h", Direction.WITHDRAWAL, Scope.SINGLE, Level.HALT, "A", 100)
    monitor = Monitor(config((rule,)))
    assert monitor.process(w(1, 100, T0)).action is Action.HALT
    refused = monitor.process(WithdrawalCancelled("x", T0, "w1"))
    assert refused.codes == ("withdrawal_refused",) and "halt" in refused.reasons[0].message
    assert monitor.process(WithdrawalCancelled("y", T0, "nope")).codes == ("unknown_withdrawal",)


def test_an_event_decades_ahead_is_refused_and_makes_nothing_late() -> None:
    monitor = Monitor(config(()))
    monitor.process(w(1, 1, T0))
    typo = monitor.process(Deposit("d", T0.replace(year=2100), "c", "A", 1))
    assert typo.codes == ("future",) and "newest accepted" in typo.reasons[0].message
    assert monitor.process(w(2, 1, T0 + MIN)).action is Action.ALLOW


def test_a_held_withdrawal_released_stays_counted_and_one_refused_leaves_the_windows() -> None:
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 100, window=60 * MIN)
    monitor = Monitor(config((rule,)))
    assert monitor.process(w(1, 100, T0)).action is Action.HOLD
    assert monitor.process(HoldReleased("ok", T0 + MIN, "w1")).action is Action.ALLOW
    assert monitor.withdrawal_state("w1") == "released"
    assert monitor.process(w(2, 1, T0 + 2 * MIN)).action is Action.HOLD  # 101: still counted
    assert monitor.process(HoldRefused("no", T0 + 3 * MIN, "w2")).action is Action.ALLOW
    assert monitor.window_total("c", "c1", T0 + 3 * MIN) == 100
    assert monitor.process(HoldRefused("no2", T0 + 3 * MIN, "w1")).codes == ("not_refusable",)
    assert monitor.process(HoldReleased("ok2", T0 + 3 * MIN, "w2")).codes == ("not_releasable",)
    assert monitor.process(WithdrawalCancelled("x", T0 + 4 * MIN, "w2")).codes == (
        "not_cancellable",
    )
    # a released withdrawal can still be sent
    assert monitor.process(WithdrawalSent("s", T0 + 4 * MIN, "w1")).action is Action.ALLOW


def test_a_held_withdrawal_cannot_be_sent_before_its_hold_is_released() -> None:
    """Reporting a held withdrawal as sent is refused until the hold is released (review M3):
    otherwise a refusal decided later would tell the customer it was never sent."""
    rule = Rule("c", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 100, window=60 * MIN)
    monitor = Monitor(config((rule,)))
    assert monitor.process(w(1, 100, T0)).action is Action.HOLD
    early = monitor.process(WithdrawalSent("s1", T0 + MIN, "w1"))
    assert early.codes == ("not_sendable",) and "held" in early.reasons[0].message
    assert monitor.process(HoldReleased("ok", T0 + 2 * MIN, "w1")).action is Action.ALLOW
    assert monitor.process(WithdrawalSent("s2", T0 + 3 * MIN, "w1")).action is Action.ALLOW


def test_a_halt_stops_the_breaching_customers_asset_by_default_and_may_expire() -> None:
    single = Rule(
        "s", Direction.WITHDRAWAL, Scope.SINGLE, Level.HALT, "A", 100, halt_expiry=10 * MIN
    )
    whole = Rule(
        "k", Direction.WITHDRAWAL, Scope.SINGLE, Level.HALT, "B", 100, halt_scope=HaltScope.CUSTOMER
    )
    monitor = Monitor(config((single, whole)))
    (halt,) = monitor.process(w(1, 100, T0)).halts
    assert (halt.scope, halt.key, halt.asset) == (HaltScope.CUSTOMER_ASSET, "c1", "A")
    assert halt.until == T0 + 10 * MIN
    assert monitor.process(w(2, 1, T0 + MIN)).codes == ("halted",)
    assert monitor.process(w(3, 1, T0 + MIN, asset="B")).action is Action.ALLOW
    assert monitor.process(w(4, 1, T0 + MIN, customer="c2")).action is Action.ALLOW
    assert monitor.process(w(5, 1, T0 + 10 * MIN)).action is Action.ALLOW  # expired
    (every,) = monitor.process(w(6, 100, T0 + 11 * MIN, asset="B")).halts
    assert (every.scope, every.key, every.until) == (HaltScope.CUSTOMER, "c1", None)
    assert monitor.process(w(7, 1, T0 + 12 * MIN)).codes == ("halted",)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            (
                Rule("n", Direction.WITHDRAWAL, Scope.SINGLE, Level.NOTIFY, "A", 100),
                Rule("h", Direction.WITHDRAWAL, Scope.SINGLE, Level.HALT, "A", 50),
            ),
            "must not come before",
        ),
        (
            (
                Rule(
                    "c",
                    Direction.WITHDRAWAL,
                    Scope.CUSTOMER,
                    Level.HOLD,
                    "A",
                    5,
                    window=timedelta(days=40),
                ),
            ),
            "longer than the retention",
        ),
        ((Rule("x", Direction.WITHDRAWAL, Scope.ALL, Level.HOLD, None, 5, window=MIN),), "in JPY"),
        ((Rule("y", Direction.WITHDRAWAL, Scope.CUSTOMER, Level.HOLD, "A", 5),), "positive window"),
        ((Rule("z", Direction.WITHDRAWAL, Scope.SINGLE, Level.HOLD, "Q", 5),), "unknown asset"),
        (
            (
                Rule(
                    "e",
                    Direction.WITHDRAWAL,
                    Scope.ALL,
                    Level.HALT,
                    "A",
                    5,
                    window=MIN,
                    halt_expiry=MIN,
                ),
            ),
            "never ends by itself",
        ),
        (
            (
                Rule(
                    "f",
                    Direction.WITHDRAWAL,
                    Scope.SINGLE,
                    Level.HALT,
                    "A",
                    5,
                    halt_scope=HaltScope.ASSET,
                    halt_expiry=MIN,
                ),
            ),
            "never ends by itself",
        ),
        (
            (
                Rule(
                    "g",
                    Direction.WITHDRAWAL,
                    Scope.ALL,
                    Level.HALT,
                    "A",
                    5,
                    window=MIN,
                    halt_scope=HaltScope.CUSTOMER,
                ),
            ),
            "not one customer",
        ),
    ],
)
def test_an_inconsistent_configuration_is_refused(rules, message) -> None:
    with pytest.raises(ConfigError, match=message):
        config(rules)


def test_the_expected_outflow_is_the_p99_of_rolling_24_hour_sums_brute_forced() -> None:
    import random

    from mamori.engines.threshold import learn_expected_outflow, micros

    rng = random.Random(7)
    now = micros(T0 + timedelta(days=30))
    outflows = [
        (micros(T0) + rng.randrange(0, 30 * 24 * 3600) * 10**6, rng.randrange(1, 100))
        for _ in range(500)
    ]
    learned = learn_expected_outflow(outflows, now)
    hour, day = 3600 * 10**6, 24 * 3600 * 10**6
    start = now - 30 * day
    sums = []
    sample = start + day
    while sample <= now:
        sums.append(sum(u for t, u in outflows if sample - day < t <= sample))
        sample += hour
    sums.sort()
    import math

    assert learned.samples == len(sums) == 29 * 24 + 1
    assert learned.units == sums[math.ceil(0.99 * len(sums)) - 1]
    assert "p99 (nearest rank)" in learned.explain()


def test_the_cap_says_what_to_sweep_or_refill_and_spread_finds_a_heavy_wallet() -> None:
    from mamori.engines.threshold import cap_status, over_share

    over = cap_status(hot=1_600, expected=1_000, k=Decimal("1.5"))
    assert (over.state, over.cap, over.sweep) == ("over", 1_500, 100)
    assert cap_status(1_500, 1_000, Decimal("1.5")).state == "ok"  # exactly at the cap
    under = cap_status(400, 1_000, Decimal("1.5"))
    assert (under.state, under.refill) == ("under", 600)
    heavy = over_share({"hot": 100, "cold-1": 700, "cold-2": 200}, Decimal("0.6"))
    assert heavy == [("cold-1", Decimal("0.7"))]
    assert over_share({"a": 60, "b": 40}, Decimal("0.6")) == []  # exactly at the share


def test_a_decision_is_a_value_that_cannot_change() -> None:
    import copy
    import pickle

    from mamori.engines.native import compiled
    from mamori.engines.threshold import Decision, Reason, decision

    held = Decision("w1", Action.HOLD, (Reason("threshold.hold", "over", "r"),))
    same = Decision("w1", Action.HOLD, (Reason("threshold.hold", "over", "r"),))
    assert held == same and hash(held) == hash(same)
    assert (held != same) is False  # its own __ne__
    assert held != Decision("w1", Action.ALLOW) and held != ("w1", Action.HOLD)
    assert held.codes == ("threshold.hold",)
    assert pickle.loads(pickle.dumps(held)) == held == copy.deepcopy(held)
    more = held.replace(reasons=(*held.reasons, Reason("destination.new", "fresh address")))
    assert more.codes == ("threshold.hold", "destination.new") and held.codes == ("threshold.hold",)
    assert held.replace(action=Action.REJECT).action is Action.REJECT
    assert "Decision(event='w1', action=" in repr(held)
    if compiled(decision):  # compiled, a decision's fields cannot be set
        with pytest.raises(AttributeError):
            held.action = Action.ALLOW  # type: ignore[misc]
