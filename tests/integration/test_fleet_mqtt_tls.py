"""The fleet link through a Mosquitto that wants TLS and a password (certificates made by openssl here).

A GCS with the CA file, user name and password file publishes; one with a wrong password is
refused by the broker and says so in its status, while its vehicle flies on.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until
from tests.integration.mqtt_support import HAVE_MOSQUITTO, Broker, Watcher

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAVE_MOSQUITTO or not shutil.which("openssl") or not shutil.which("mosquitto_passwd"),
                       reason="needs mosquitto, mosquitto_passwd and openssl (scripts/setup.sh installs them)"),
]  # fmt: skip


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def make_certificates(folder: Path) -> dict[str, Path]:
    """A CA, and a server certificate for 127.0.0.1 signed by it."""
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Kestrel test CA",
         "-keyout", str(ca_key), "-out", str(ca))  # fmt: skip
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key),
         "-out", str(csr))  # fmt: skip
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
         "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip
    return {"ca": ca, "cert": cert, "key": key}


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[Broker, dict[str, Path]]]:
    certs = make_certificates(tmp_path)
    passwords = tmp_path / "passwd"
    _run("mosquitto_passwd", "-b", "-c", str(passwords), "pilot", "s3cret-fleet")
    passwords.chmod(0o600)
    extra = (f"allow_anonymous false\npassword_file {passwords}\ncafile {certs['ca']}\n"
             f"certfile {certs['cert']}\nkeyfile {certs['key']}\n")  # fmt: skip
    broker = Broker(tmp_path, extra, scheme="mqtts")
    broker.start()
    yield broker, certs
    broker.stop()


def test_tls_and_password_from_the_settings(
    tls_broker: tuple[Broker, dict[str, Path]], make_service: Callable[..., Any], tmp_path: Path
) -> None:
    broker, certs = tls_broker
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("s3cret-fleet\n")
    bad.write_text("guess\n")
    common = {"fleet__mqtt_url": broker.url, "fleet__mqtt_tls_ca_file": str(certs["ca"]),
              "fleet__mqtt_username": "pilot", "fleet__mqtt_rate_hz": 5.0}  # fmt: skip
    alpha = make_service("px4", fleet__gcs_id="alpha", fleet__mqtt_password_file=str(good), **common)
    intruder = make_service("px4", fleet__gcs_id="mallory", fleet__mqtt_password_file=str(bad), **common)
    watcher = Watcher(broker.port, username="pilot", password="s3cret-fleet", ca_certs=str(certs["ca"]))
    try:
        assert alpha.fleet_publisher is not None and intruder.fleet_publisher is not None
        wait_until(lambda: alpha.fleet_publisher.connected, 15, "the GCS connected over TLS with its password")
        wait_until(lambda: watcher.state("alpha", alpha.active_vehicle_id) is not None, 10, "its vehicle published")
        status = alpha.fleet_publisher.status()
        assert status["tls"] and "s3cret" not in str(status)
        wait_until(lambda: "refused" in (intruder.fleet_publisher.last_error or ""), 15,
                   "the broker refusing the wrong password")  # fmt: skip
        assert not intruder.fleet_publisher.connected
        assert "kestrel/mallory/status" not in watcher.last
        assert intruder.vehicle_state().link.state.value == "ok"  # flying without the broker
    finally:
        watcher.close()
