"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping what it receives.

Used by the relance tests of the core, the CLI and the page: a batch goes through Python's
smtplib to this server, and the tests read what arrived.
"""

from __future__ import annotations

from collections import Counter
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller

from tests.ports import free_port


class Mailbox:
    """An aiosmtpd handler that keeps what it received and can refuse given recipients (451)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "451 4.3.0 Erreur temporaire"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for recipient in envelope.rcpt_tos:
            self.received.append((recipient, envelope.content))
        return "250 Message accepted for delivery"

    def recipients(self) -> Counter[str]:
        return Counter(recipient for recipient, _ in self.received)

    def messages(self):
        parser = BytesParser(policy=policy.default)
        return {recipient: parser.parsebytes(content) for recipient, content in self.received}


def start_server(handler, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller
