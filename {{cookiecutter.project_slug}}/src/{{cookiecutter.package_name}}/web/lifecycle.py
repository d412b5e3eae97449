"""Shutting down on SIGTERM, as orchestrators ask: readiness turns 503, in-flight requests finish.

Uvicorn handles SIGTERM itself: it stops accepting connections, waits for the requests in
flight, then runs the lifespan's shutdown, which disposes of the pool. This module wraps its
handler so that `/health/ready` answers 503 from the first moment; hands the signal on after
SHUTDOWN_DELAY_SECONDS (meanwhile the service still answers, while load balancers see the 503
and stop sending: requests already on their way are not cut off); and bounds uvicorn's wait by
SHUTDOWN_TIMEOUT_SECONDS (unless uvicorn's own `--timeout-graceful-shutdown` was given).
"""

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any


@dataclass
class Lifecycle:
    """Whether the process has begun to shut down (kept on `app.state.lifecycle`)."""

    shutting_down: bool = False


def _bound_graceful_shutdown(handler: object, timeout: float) -> None:
    """Give uvicorn's wait for in-flight requests `timeout`, if it has no bound of its own.

    The handler uvicorn installs is its server's bound method; its config holds the bound.
    """
    config: Any = getattr(getattr(handler, "__self__", None), "config", None)
    if config is not None and getattr(config, "timeout_graceful_shutdown", 0) is None:
        config.timeout_graceful_shutdown = timeout


def watch_for_sigterm(lifecycle: Lifecycle, timeout: float, delay: float = 0) -> Callable[[], None]:
    """Mark `lifecycle` on SIGTERM, then hand the signal on after `delay` seconds; returns
    what undoes this."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may set signal handlers
    previous = signal.getsignal(signal.SIGTERM)
    _bound_graceful_shutdown(previous, timeout)

    def hand_on(signum: int, frame: FrameType | None) -> None:
        if callable(previous):
            previous(signum, frame)  # uvicorn's: it only sets a flag its loop reads
        elif previous != signal.SIG_IGN:  # the default: end the process, as it would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if lifecycle.shutting_down:
            return  # a second SIGTERM during the delay changes nothing
        lifecycle.shutting_down = True
        if delay <= 0:
            hand_on(signum, frame)
            return
        timer = threading.Timer(delay, hand_on, args=(signum, None))
        timer.daemon = True
        timer.start()

    def stop_watching() -> None:
        signal.signal(signal.SIGTERM, previous)

    signal.signal(signal.SIGTERM, on_sigterm)
    return stop_watching
