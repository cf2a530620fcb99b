"""The order of a participant's steps, kept on the server."""

from __future__ import annotations

from collections.abc import Sequence

DONE = "done"


def next_step(flow: Sequence[str], current: str) -> str:
    """The step after `current`; DONE after the last one."""
    index = list(flow).index(current)
    return flow[index + 1] if index + 1 < len(flow) else DONE

