"""The evidence parsers never crash (SRM 15, 19): mutated, truncated and spliced sample bytes
either parse or raise :class:`EvidenceRefused` — never another exception, never a hang."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.engines.evidence import FORMATS, EvidenceRefused, parse_evidence

SAMPLES = {
    path.name: path.read_bytes() for path in (Path(__file__).parent / "evidence_samples").iterdir()
}
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutated() -> st.SearchStrategy[bytes]:
    def mutate(args: tuple[str, int, int, int, bytes]) -> bytes:
        name, at, kind, length, noise = args
        good = SAMPLES[name]
        at %= len(good)
        if kind == 0:  # flip a byte
            return good[:at] + bytes([good[at] ^ (noise[0] if noise else 1)]) + good[at + 1 :]
        if kind == 1:  # insert noise
            return good[:at] + noise + good[at:]
        if kind == 2:  # cut the end off
            return good[:at]
        return good[:at] + good[at + length :]  # cut a piece out

    return st.tuples(
        st.sampled_from(sorted(SAMPLES)),
        st.integers(0, 10**6),
        st.integers(0, 3),
        st.integers(1, 200),
        st.binary(min_size=1, max_size=12)
        | st.sampled_from(
            [b'"', b"{", b"]", b"<", b"/>", b"&lol;", b"\xff", b"1e999999", b"-1", b"null"]
        ),
    ).map(mutate)


@FUZZ
@given(data=mutated(), fmt=st.none() | st.sampled_from(FORMATS))
def test_mutated_samples_parse_or_are_refused(data: bytes, fmt: str | None) -> None:
    try:
        found = parse_evidence(io.BytesIO(data), fmt, limit=64 * 1024)
    except EvidenceRefused as refused:
        assert refused.code and str(refused)
    else:
        assert found.size == len(data)


@FUZZ
@given(data=st.binary(max_size=300), fmt=st.none() | st.sampled_from(FORMATS))
def test_random_bytes_are_refused(data: bytes, fmt: str | None) -> None:
    with contextlib.suppress(EvidenceRefused):
        parse_evidence(io.BytesIO(data), fmt)
