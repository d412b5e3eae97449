"""The harness itself: Ctrl-C stops an async test at once, though conftest replaced the handler
that asyncio.Runner would install around each test (a cost on every async fixture)."""

import signal

import pytest


async def test_ctrl_c_interrupts_an_async_test_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
