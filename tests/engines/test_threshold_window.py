"""The sliding sum against a brute-force oracle: a plain list of entries summed every time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.threshold import SlidingSum

times = st.integers(min_value=0, max_value=60)
amounts = st.integers(min_value=1, max_value=10**30)  # wei-sized amounts too
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), times, amounts),
        st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("forget"), times),
        st.tuples(st.just("total"), times, times),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(operations)
def test_totals_match_summing_every_entry(ops: list[tuple[object, ...]]) -> None:
    window = SlidingSum()
    entries: list[tuple[int, int]] = []  # counted
    cancelled: list[tuple[int, int]] = []
    boundary = -1  # forgotten up to here: later adds only after it, as the monitor does
    for op in ops:
        if op[0] == "add":
            time, amount = int(op[1]), int(op[2])  # type: ignore[call-overload]
            time = max(time, boundary + 1)
            window.add(time, amount)
            entries.append((time, amount))
        elif op[0] == "cancel" and entries:
            time, amount = entries[int(op[1]) % len(entries)]  # type: ignore[call-overload]
            if (time, amount) in cancelled or time <= boundary:
                continue
            window.cancel(time, amount)
            cancelled.append((time, amount))
        elif op[0] == "forget":
            boundary = max(boundary, int(op[1]))  # type: ignore[call-overload]
            window.forget(boundary)
            entries = [e for e in entries if e[0] > boundary]
            cancelled = [e for e in cancelled if e[0] > boundary]
        elif op[0] == "total":
            after, upto = sorted((int(op[1]), int(op[2])))  # type: ignore[call-overload]
            after = max(after, boundary)
            upto = max(upto, after)
            expected = sum(a for t, a in entries if after < t <= upto) - sum(
                a for t, a in cancelled if after < t <= upto
            )
            assert window.total(after, upto) == expected
        assert window.empty() == (not entries)


def test_a_single_entry_then_a_second_earlier_one() -> None:
    window = SlidingSum()
    window.add(10, 5)
    assert (window.total(9, 10), window.total(10, 20)) == (5, 0)  # (a, b]: a excluded
    window.add(7, 3)  # late: before the first
    assert (window.total(0, 9), window.total(0, 10), window.total(7, 10)) == (3, 8, 5)
    window.forget(7)
    assert window.total(0, 10) == 5
