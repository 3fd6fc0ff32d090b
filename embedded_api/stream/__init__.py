"""Streams: the hub (bounded per-client fan-out), its events, and the bus feeds that fill it."""

from embedded_api.stream.events import HubEvent
from embedded_api.stream.hub import Channel, StreamClient, StreamHub
from embedded_api.stream.telemetry_feed import TelemetryFeed

__all__ = ["Channel", "HubEvent", "StreamClient", "StreamHub", "TelemetryFeed"]
