"""Hybrid logical clock: the timestamps that order journal changes across devices.

A timestamp is (wall milliseconds, counter). Encoded as a fixed-width string so that text order is
clock order; ties between devices are broken by device id, outside this module.
"""

from __future__ import annotations

from dataclasses import dataclass

_WIDTH_MS = 15
_WIDTH_COUNTER = 6


@dataclass(frozen=True, order=True)
class Hlc:
    wall_ms: int
    counter: int = 0

    def encode(self) -> str:
        return f"{self.wall_ms:0{_WIDTH_MS}d}-{self.counter:0{_WIDTH_COUNTER}d}"

    @staticmethod
    def decode(text: str) -> Hlc:
        wall, _, counter = text.partition("-")
        if not wall.isdigit() or not counter.isdigit():
            raise ValueError(f"not a clock value: {text!r}")
        return Hlc(int(wall), int(counter))

    def tick(self, now_ms: int) -> Hlc:
        """The next local timestamp: never goes backwards, even if the PC clock does."""
        if now_ms > self.wall_ms:
            return Hlc(now_ms, 0)
        return Hlc(self.wall_ms, self.counter + 1)

    def receive(self, remote: Hlc, now_ms: int) -> Hlc:
        """Merge a clock seen in a received change so later local changes sort after it."""
        wall = max(self.wall_ms, remote.wall_ms, now_ms)
        if wall == self.wall_ms == remote.wall_ms:
            counter = max(self.counter, remote.counter) + 1
        elif wall == self.wall_ms:
            counter = self.counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return Hlc(wall, counter)


ZERO = Hlc(0, 0)
