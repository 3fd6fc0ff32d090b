"""Protobuf messages of resources/proto/kestrel.proto (generated: see ``gcs.core.proto.build``).

They live in the core, not the API, because both the web face (``?format=protobuf``, ingest) and
the fleet link (MQTT payloads) speak them, and the core must not import the web face.
"""

from gcs.core.proto import kestrel_pb2

__all__ = ["kestrel_pb2"]
