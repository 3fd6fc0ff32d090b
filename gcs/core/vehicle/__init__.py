"""Talking to vehicles over MAVLink: links, telemetry reduction, commands, setpoint streaming."""
