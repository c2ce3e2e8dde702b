"""A real SMTP server on loopback (aiosmtpd) that records what it receives, and can fail on cue."""

from __future__ import annotations

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
    """Accepts mail and records it; fails a share of deliveries with 451 when asked to."""

    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.failure_rate and self.rng.random() < self.failure_rate:
            self.rejected += 1
            return "451 4.3.0 Temporary failure, try again later"
        self.received.append(
            Received(list(envelope.rcpt_tos), email.message_from_bytes(envelope.content))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(*, failure_rate: float = 0.0) -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler(failure_rate=failure_rate)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
