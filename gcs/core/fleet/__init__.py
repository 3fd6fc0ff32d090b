"""Beyond one machine: what a GCS sends to and receives from others (fleet broker, thin links).

``predictive`` is the thin-link codec (a field is sent only when the receiver could not predict
it); ``vehicle_fields`` is the field list and tolerances it uses for vehicle telemetry.
"""

from gcs.core.fleet.predictive import Codec, CompressionStats, Decoder, Encoder, FieldSpec, Frame, Reading

__all__ = ["Codec", "CompressionStats", "Decoder", "Encoder", "FieldSpec", "Frame", "Reading"]
