"""Test support shared by every test package: a settable clock, message gateways that record what
they were given, and the driver of an installed app's automation."""
from .apps import AutomationDriver
from .clock import Clock
from .gateways import RecordingGateway, recording_gateways

__all__ = ["AutomationDriver", "Clock", "RecordingGateway", "recording_gateways"]
