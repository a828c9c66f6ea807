"""Start the assistant (action server and Rasa server) and keep it running until Ctrl-C.

Usage: python scripts/run.py   (what `make run` calls once set-up and training are done)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.processes import Assistant, StartError  # noqa: E402
from bot.settings import Settings  # noqa: E402

BANNER = """
==> The assistant is running.
    Rasa server:    {rasa}   (REST channel: POST {rasa}/webhooks/rest/webhook)
    Action server:  {actions}/webhook
    Talk to it:     make chat            (in another terminal)
               or:  curl -s -X POST {rasa}/webhooks/rest/webhook \\
                      -H 'Content-Type: application/json' \\
                      -d '{{"sender": "tenant-1", "message": "hi"}}'
    Stop it:        Ctrl-C
"""


def main() -> int:
    settings = Settings.from_env()
    assistant = Assistant(
        project=ROOT,
        venv_bin=Path(sys.executable).parent,
        model=ROOT / "models",
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
    )
    print("==> Starting the action server and the Rasa server", flush=True)
    started = time.monotonic()
    try:
        assistant.start()
    except StartError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        assistant.stop()
        return 130
    print(BANNER.format(rasa=assistant.rasa_url, actions=assistant.action_url), flush=True)
    print(f"    (ready in {time.monotonic() - started:.0f}s)", flush=True)
    try:
        while (gone := assistant.exited()) is None:
            time.sleep(1)
        print(f"error: the {gone} server stopped; stopping the other", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n==> Stopping", flush=True)
        return 0
    finally:
        assistant.stop()


if __name__ == "__main__":
    sys.exit(main())
