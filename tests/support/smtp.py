"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and can fail on cue.

Ways it can fail, each as a real server would:

- ``failure_rate``: a share of deliveries answered ``451`` at the end of DATA (not taken);
- ``refuse_rcpt`` / ``refuse_data``: every recipient, or every message, answered with this
  reply (``"550 5.1.1 ..."``): the server said no;
- ``reply_delay``: the message is taken and recorded, and "250 OK" comes only after this
  many seconds: longer than the client's ``EMAIL_TIMEOUT``, the client gives up while the
  server has the message (delivered, and the sender cannot know).

A port with nothing listening (``unused_port()``) is the connection-refused case.
"""

from __future__ import annotations

import asyncio
import email
import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_to: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def body(self) -> str:
        payload = self.message.get_payload(decode=True)
        return payload.decode() if isinstance(payload, bytes) else str(payload)


@dataclass
class RecordingHandler:
    """Accepts mail and records it; fails, refuses or answers late when asked to.

    The fields may be changed while the server runs (a test "fixes" the server).
    """

    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    failure_rate: float = 0.0
    refuse_rcpt: str | None = None
    refuse_data: str | None = None
    reply_delay: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            self.rejected += 1
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse_data:
            self.rejected += 1
            return self.refuse_data
        if self.failure_rate and self.rng.random() < self.failure_rate:
            self.rejected += 1
            return "451 4.3.0 Temporary failure, try again later"
        self.received.append(
            Received(list(envelope.rcpt_tos), email.message_from_bytes(envelope.content))
        )
        if self.reply_delay:
            # Taken (recorded above); the answer is late. A client that stopped waiting
            # never learns the message arrived.
            await asyncio.sleep(self.reply_delay)
        return "250 OK"


def unused_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    *,
    failure_rate: float = 0.0,
    refuse_rcpt: str | None = None,
    refuse_data: str | None = None,
    reply_delay: float = 0.0,
) -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler(
        failure_rate=failure_rate,
        refuse_rcpt=refuse_rcpt,
        refuse_data=refuse_data,
        reply_delay=reply_delay,
    )
    port = unused_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
