"""Protobuf messages of resources/proto/kestrel.proto (generated: see ``embedded_api.proto.build``)."""

from embedded_api.proto import kestrel_pb2

__all__ = ["kestrel_pb2"]
