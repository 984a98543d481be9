"""Delivery backends. The console backend (default) writes the message to the log, masked."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from zhengwu.core.masking import mask_phone

log = logging.getLogger("zhengwu.notify")


@dataclass(frozen=True)
class Message:
    channel: str
    address: str
    title: str
    body: str
    template: str


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain:
        return mask_phone(value)
    return (local[:1] + "***" if local else "***") + "@" + domain


def mask_address(channel: str, address: str) -> str:
    if channel == "email":
        return mask_email(address)
    if channel == "sms":
        return mask_phone(address)
    return address


class ConsoleBackend:
    """Development and test default: nothing leaves the machine; the log shows masked addresses."""

    def send(self, message: Message) -> None:
        log.info("notice %s via %s to %s: %s", message.template, message.channel,
                 mask_address(message.channel, message.address), message.title)


class LocmemBackend:
    """Keeps sent messages in memory; tests read `LocmemBackend.outbox`."""

    outbox: list[Message] = []

    def send(self, message: Message) -> None:
        type(self).outbox.append(message)


class DjangoEmailBackend:
    """E-mail through Django's configured EMAIL_BACKEND."""

    def send(self, message: Message) -> None:
        from django.core.mail import send_mail

        send_mail(message.title, message.body, None, [message.address])
