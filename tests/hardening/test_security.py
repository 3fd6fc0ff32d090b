"""Security basics of the shipped program: what it listens on, what it keeps secret, what the repo holds.

- Started with no address options, the whole program listens on loopback only: every TCP socket
  it listens on and every UDP socket it binds (read from ``/proc``, by socket inode, for its pid)
  is on 127.0.0.0/8. The API signing secret it generates is mode 0600, outside the source tree.
- Binding elsewhere is an explicit option; the program then warns that it is reachable from the
  network and every route but health still needs a token.
- No secret is committed: no tracked file (now or in any commit) holds a JWT, a PEM private key,
  the generated secret file (``api_secret``) or a literal ``KESTREL_API_SECRET`` value.

(Each mutating route's role is proved by tests/api/test_route_audit.py, which walks every
registered route and fails on any route it does not know.)
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess

import httpx
import pytest

from embedded_api.auth import ENV_SECRET, SECRET_FILE
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
PEM_PRIVATE = re.compile("-----BEGIN " + r"([A-Z0-9]+ )*PRIVATE KEY" + "-----")  # also a POSIX ERE for git
SECRET_VALUE = re.compile(ENV_SECRET + r"""\s*[=:]\s*["']?[A-Za-z0-9_\-+/]{32,}""")


def _hex_addr(text: str) -> tuple[str, int]:
    host, port = text.split(":")
    return socket.inet_ntoa(bytes.fromhex(host)[::-1]), int(port, 16)


def bound_sockets(pid: int) -> list[tuple[str, str, int]]:
    """(proto, address, port) of every IPv4/IPv6 TCP listener and UDP socket the process holds."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "udp", "tcp6", "udp6"):
        with open(f"/proc/{pid}/net/{proto}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if inode not in inodes or (proto.startswith("tcp") and state != "0A"):  # 0A = LISTEN
                    continue
                if proto.endswith("6"):
                    host_hex, port_hex = local.split(":")
                    raw = bytes.fromhex(host_hex)
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.append((proto, socket.inet_ntop(socket.AF_INET6, words), int(port_hex, 16)))
                else:
                    found.append((proto, *_hex_addr(local)))
    return found


def test_by_default_the_program_listens_on_loopback_only_and_keeps_its_secret_private(run_program) -> None:
    program = run_program()
    sockets = bound_sockets(program.proc.pid)
    api_port = int(program.url.rsplit(":", 1)[1])
    assert ("tcp", "127.0.0.1", api_port) in sockets, sockets
    exposed = [s for s in sockets if not (s[1].startswith("127.") or s[1] == "::1")]
    assert not exposed, f"listening beyond loopback without being asked: {exposed}"
    secret = program.config_dir / SECRET_FILE
    assert secret.is_file() and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert ROOT not in secret.resolve().parents
    with httpx.Client(base_url=program.url, timeout=10) as c:
        assert c.get("/api/telemetry").status_code == 401


def test_binding_elsewhere_is_explicit_warned_about_and_still_needs_tokens(run_program) -> None:
    program = run_program("--api-host", "0.0.0.0")
    sockets = bound_sockets(program.proc.pid)
    api_port = int(program.url.rsplit(":", 1)[1])
    assert ("tcp", "0.0.0.0", api_port) in sockets, sockets
    assert "reachable from the network" in program.log()
    with httpx.Client(base_url=program.url, timeout=10) as c:
        assert c.get("/api/health").status_code == 200
        assert c.get("/api/telemetry").status_code == 401
        assert c.post("/api/vehicle/arm", json={}).status_code == 401


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_no_secret_is_committed() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = _git("ls-files", "-z").split("\0")
    ever = set(_git("log", "--all", "--name-only", "--format=").split())
    for name in set(tracked) | ever:
        base = os.path.basename(name)
        assert base != SECRET_FILE and not base.endswith((".pem", ".key")) and base not in ("id_rsa", ".env"), name
    problems = []
    for name in filter(None, tracked):
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary (images, models, videos)
        text = data.decode("utf-8", "replace")
        for pattern in (JWT, PEM_PRIVATE, SECRET_VALUE):
            if match := pattern.search(text):
                problems.append(f"{name}: {match.group(0)[:40]}...")
    assert not problems, problems
    for pattern in (JWT.pattern, PEM_PRIVATE.pattern):  # and never in history either
        hits = _git("log", "--all", "-p", "-E", "-G", pattern, "--format=%h %s")
        assert not hits.strip(), f"a commit once held a secret ({pattern}):\n{hits[:500]}"
