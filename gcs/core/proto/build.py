"""Generate the Python code of resources/proto/kestrel.proto (``python -m gcs.core.proto.build``).

The generated ``kestrel_pb2.py`` and ``kestrel_pb2.pyi`` are committed, so running the program
needs only the ``protobuf`` runtime; ``grpcio-tools`` (its bundled protoc) is a dev dependency,
pinned together with ``protobuf`` because protoc stamps its version into the code and the runtime
refuses code newer than itself. tests/api/test_proto_schema.py regenerates into a temporary
folder and fails if the committed files differ, so the .proto and the code cannot drift apart.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROTO_DIR = ROOT / "resources" / "proto"
PROTO_FILE = PROTO_DIR / "kestrel.proto"
OUT_DIR = Path(__file__).resolve().parent
GENERATED = ("kestrel_pb2.py", "kestrel_pb2.pyi")
HEADER = "# ruff: noqa\n# mypy: ignore-errors\n# fmt: off\n"  # generated code follows protoc's style, not ours


def generate() -> dict[str, str]:
    """Run protoc (from grpcio-tools) on the .proto; returns {file name: text} without writing."""
    from grpc_tools import protoc  # dev dependency: imported only when generating

    include = Path(protoc.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        code = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{PROTO_DIR}",
                f"-I{include}",
                f"--python_out={tmp}",
                f"--pyi_out={tmp}",
                str(PROTO_FILE),
            ]
        )
        if code != 0:
            raise RuntimeError(f"protoc failed on {PROTO_FILE} (exit {code})")
        texts = {}
        for name in GENERATED:
            text = (Path(tmp) / name).read_text(encoding="utf-8")
            texts[name] = HEADER + text
        return texts


def main() -> int:
    for name, text in generate().items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {OUT_DIR / name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
