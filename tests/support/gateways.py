"""Message gateways that stand in for the SMTP server, the SMS provider and webhooks."""
from __future__ import annotations

from stageflow.automation.messages import DeliveryFailed
from stageflow.core.registry import Registry

CHANNELS = ("email", "sms", "webhook")


class RecordingGateway:
    """Remembers what it was asked to send (or fails while ``failing`` holds a reason)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.sent: list[tuple[str, str | None, str]] = []
        self.failing: str | None = None

    def send(self, recipient, subject, body):
        if self.failing:
            raise DeliveryFailed(self.failing)
        self.sent.append((recipient, subject, body))


def recording_gateways() -> Registry:
    """A recording gateway for every channel."""
    gateways: Registry = Registry("message gateway")
    for kind in CHANNELS:
        gateways.register(RecordingGateway(kind))
    return gateways
