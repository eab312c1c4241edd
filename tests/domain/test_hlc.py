"""Hybrid logical clock: monotonic under a clock going backwards, ordered after received."""

from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain.hlc import ZERO, Hlc

walls = st.integers(min_value=0, max_value=10**13)


@given(st.lists(walls, min_size=1, max_size=50))
def test_tick_never_goes_backwards(nows: list[int]) -> None:
    clock = ZERO
    for now in nows:
        nxt = clock.tick(now)
        assert nxt > clock
        assert nxt.encode() > clock.encode()  # text order is clock order
        clock = nxt


@given(walls, st.integers(0, 1000), walls, st.integers(0, 1000), walls)
def test_receive_orders_after_both(lw: int, lc: int, rw: int, rc: int, now: int) -> None:
    local, remote = Hlc(lw, lc), Hlc(rw, rc)
    merged = local.receive(remote, now)
    assert merged > local and merged > remote


def test_encode_decode_round_trip() -> None:
    h = Hlc(1_764_000_000_000, 42)
    assert Hlc.decode(h.encode()) == h
