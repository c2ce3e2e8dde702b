"""Worker deaths at a named point of a send, for the outbox's crash-point tests.

Each death is real: a separate Python process sends the message against the test database
and ``os._exit`` ends it at the point named (no clean-up, no except or finally blocks run,
no further writes), as a SIGKILL would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

from django.conf import settings
from django.db import connection

DIED = 17  # the exit status of a process ended at its crash point


class InlineWorker:
    """Stands in for the broker and a worker: runs each queued send_email at once."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.queued: list[int] = []

    def delay(self, email_id: int) -> None:
        self.queued.append(email_id)
        self.task.apply(args=(email_id,))


def send_and_die_at(point: str, email_id: int, env: dict[str, str]) -> None:
    """Send ``email_id`` in a worker process that dies when it reaches ``outbox.<point>``;
    ``env``: the provider's settings for that process (SMTP's or Notify's)."""
    script = textwrap.dedent(
        f"""
        import os
        import django
        django.setup()
        from phasetransfer.core import outbox
        def die(*args, **kwargs):
            os._exit({DIED})
        outbox.{point} = die
        outbox.email_send(email_id={email_id})
        """
    )
    full_env = {
        **os.environ,
        "DEBUG": "true",
        "PHASETRANSFER_DB_NAME": str(connection.settings_dict["NAME"]),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == DIED, result.stderr
