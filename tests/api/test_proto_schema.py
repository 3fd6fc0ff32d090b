"""The committed protobuf code matches resources/proto/kestrel.proto, and the runtime accepts it."""

from __future__ import annotations

import google.protobuf

from gcs.core.proto import build
from gcs.core.proto import kestrel_pb2 as pb


def test_generated_code_matches_the_proto_file() -> None:
    for name, text in build.generate().items():
        committed = (build.OUT_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: run `python -m gcs.core.proto.build` and commit it"


def test_generated_code_imports_under_the_pinned_runtime() -> None:
    major = int(google.protobuf.__version__.split(".")[0])
    stamp = next(
        line for line in (build.OUT_DIR / "kestrel_pb2.py").read_text().splitlines() if "Python Version" in line
    )
    assert f": {major}." in stamp, f"protoc stamped {stamp!r} but the runtime is {google.protobuf.__version__}"
    assert pb.DESCRIPTOR.package == "kestrel.v1"
    batch = pb.TelemetryBatch(device_id="d")
    batch.records.add(time_s=1.0, vehicle=pb.VehicleState(system_id=1, armed=True))
    again = pb.TelemetryBatch.FromString(batch.SerializeToString())
    assert again.records[0].WhichOneof("body") == "vehicle" and again.records[0].vehicle.armed
