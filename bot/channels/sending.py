"""The outbox sent from a process of its own, beside the Rasa server (P12: speed).

A Rasa server answers messages on one core: Python runs one thread at a time. Its
outbox loops shared that core; with py-spy on a server under `make bench-load` (25
messages a second, every one a new tenant) they held 16.5% of its time: the platform
calls (`requests`), then the outbox's claim and its `sent`. Here they run in a child
process, on another core, with the same worker (`assembly.assemble`, without Rasa).

The server starts the child (`SendingProcess.start`) with its settings and its clock,
and rings it for each call it queues (`set`, a byte down the child's standard input:
no wait on the server's loop). The child's `OUTBOX_SENDERS` threads run the loop the
server's own would: send what is due, and when nothing is, wait for a ring or
`IDLE_WAIT`, so that calls due later, and those other servers queued, still go. The
outbox is the only hand-over: a call is stored before the child is rung, so nothing
is lost if the child is not running; the server starts it again (`running`).

The end of its standard input is the end of the server: the child stops claiming,
lets the calls under way finish (`FINISH_WITHIN`), and exits, whether the server
stopped or was killed. `OUTBOX_PROCESS=off` keeps the loops in the server.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from typing import BinaryIO, Callable, List

from bot.clock import real_now
from bot.outbox_worker import OutboxWorker
from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)
# Sends under way at once from one server: a platform that hangs holds up one of them.
OUTBOX_SENDERS = 3
# A sender that found nothing due looks again after this long, rung or not.
IDLE_WAIT = 1.0
# How long the child lets the calls under way finish once the server has gone.
FINISH_WITHIN = 10.0
# How long `stop` waits for the child before it ends it.
STOP_WITHIN = FINISH_WITHIN + 5.0
RING = b"\x01"
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"


class SendingProcess:
    """The server's side of the child that sends its outbox."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime],
        senders: int = OUTBOX_SENDERS,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._senders = senders
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the child (again, if it had stopped), on the server's settings and
        clock. Blocking for a moment: call it off the event loop."""
        if self.running():
            return
        # The child's clock runs at the server's offset from the real time (a faked
        # clock in tests, bot/clock.py), so that what is due here is due there.
        offset = (self._clock() - real_now()).total_seconds()
        env = dict(os.environ)
        paths = (str(PROJECT_ROOT), env.get("PYTHONPATH"))
        env["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.channels.sending"], stdin=subprocess.PIPE, env=env
        )
        assert process.stdin is not None
        orders = pickle.dumps((self._settings, offset, self._senders))
        process.stdin.write(len(orders).to_bytes(8, "big") + orders)
        process.stdin.flush()
        # From now on a ring never waits: a child too busy to read has rings enough.
        os.set_blocking(process.stdin.fileno(), False)
        self._process = process
        logger.info("The outbox is sent from process %s", process.pid)

    def running(self) -> bool:
        """Whether the child is running."""
        return self._process is not None and self._process.poll() is None

    def set(self) -> None:
        """Ring the child: one more call to send (named as `Doorbell.set`)."""
        process = self._process
        if process is None or process.stdin is None:
            return
        try:
            os.write(process.stdin.fileno(), RING)
        except (BlockingIOError, BrokenPipeError, ValueError, OSError):
            # Its pipe is full (it has rings to read), or it has gone (it is started
            # again); the call is stored either way, and found within IDLE_WAIT.
            pass

    def stop(self) -> None:
        """End the child: it finishes the calls under way, then exits. Blocking."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            logger.warning("The outbox's process %s did not stop; ending it", process.pid)
            process.kill()
            process.wait()


def shifted(offset: float) -> Callable[[], datetime]:
    """The real clock, `offset` seconds on."""
    shift = timedelta(seconds=offset)
    if not shift:
        return real_now
    return lambda: real_now() + shift


def send(worker: OutboxWorker, bell: threading.Semaphore, stopping: threading.Event) -> None:
    """One sender: what is due, until `stopping`; a ring or `IDLE_WAIT` between."""
    while not stopping.is_set():
        try:
            worked = worker.run_once()
        except Exception:
            logger.exception("The outbox worker failed; trying again")
            worked = False
        if not worked:
            bell.acquire(timeout=IDLE_WAIT)


Build = Callable[[Settings, Callable[[], datetime]], OutboxWorker]


def serve(orders: BinaryIO, build: Build) -> None:
    """The child: read its orders from `orders`, send, and stop at their end (at once,
    if the server stopped before it gave any)."""
    size = _exactly(orders, 8)
    if size is None:
        return
    given = _exactly(orders, int.from_bytes(size, "big"))
    if given is None:
        return
    settings, offset, senders = pickle.loads(given)
    worker = build(settings, shifted(offset))
    bell, stopping = threading.Semaphore(0), threading.Event()
    threads: List[threading.Thread] = [
        threading.Thread(target=send, args=(worker, bell, stopping), daemon=True)
        for _ in range(senders)
    ]
    for thread in threads:
        thread.start()
    while rings := orders.read1(4096):
        bell.release(len(rings))
    stopping.set()
    bell.release(senders)
    for thread in threads:
        thread.join(FINISH_WITHIN)


def _exactly(stream: BinaryIO, size: int) -> bytes | None:
    """`size` bytes read from `stream`, or None if it ended first."""
    data = stream.read(size)
    return data if len(data) == size else None


def _worker(settings: Settings, clock: Callable[[], datetime]) -> OutboxWorker:
    from bot.channels.assembly import assemble

    return assemble(settings, clock).worker


def main() -> None:
    """`python -m bot.channels.sending`: started by `SendingProcess`, never by hand."""
    # Ctrl-C at `make run` reaches the whole process group: the server's end, when it
    # comes, ends this process too, after the calls under way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from bot.privacy.logs import protect_logs

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    protect_logs()  # P9: its log lines are guarded as the server's are
    serve(sys.stdin.buffer, _worker)


if __name__ == "__main__":
    main()
