"""``python -m gcs.core.sim`` / ``gcs-sim``: run the simulated vehicle for any ground station.

    python -m gcs.core.sim --flavour px4 --out 127.0.0.1:14550        # QGC / GCS listening on 14550
    python -m gcs.core.sim --flavour ardupilot --bind 0.0.0.0:14560   # GCS dials udpout:<host>:14560

Runs until Ctrl-C or SIGTERM, then stops cleanly.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from gcs.core.errors import ConfigError
from gcs.core.sim.config import FLAVOURS, SimConfig
from gcs.core.sim.vehicle import SimVehicle

log = logging.getLogger("gcs.core.sim")


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected host:port, not {text!r}")
    return host, int(port)


def _home(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        lat, lon, alt = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected lat,lon,alt_msl, not {text!r}") from None
    return lat, lon, alt


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gcs-sim",
        description="Kestrel's simulated multicopter: real MAVLink 2 over UDP, flying like PX4 or ArduPilot.",
        epilog="A GCS may listen where the sim sends (--out, like PX4 SITL to 14550) or dial the "
        "sim's --bind port (udpout:host:port); the sim answers any peer that talks to it.",
    )
    p.add_argument("--flavour", "--flavor", choices=FLAVOURS, default="px4", help="autopilot to imitate")
    p.add_argument("--sysid", type=int, default=1, help="MAVLink system id (default 1)")
    p.add_argument("--compid", type=int, default=1, help="MAVLink component id (default 1)")
    p.add_argument("--out", type=_host_port, action="append", default=None, metavar="HOST:PORT",
                   help="send telemetry here; repeatable (default 127.0.0.1:14550)")
    p.add_argument("--no-out", action="store_true", help="send only to peers that talk to the sim")
    p.add_argument("--bind", type=_host_port, default=("127.0.0.1", 14560), metavar="HOST:PORT",
                   help="UDP address to listen on (default 127.0.0.1:14560; port 0 = any free port)")
    p.add_argument("--gps-fix-delay", type=float, default=0.0, metavar="SECONDS",
                   help="seconds until the GPS has a 3D fix (arming is refused before)")
    p.add_argument("--home", type=_home, default=None, metavar="LAT,LON,ALT",
                   help="home latitude, longitude (degrees) and altitude (metres AMSL)")
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                   help="stop by itself after this long (default: run until Ctrl-C/SIGTERM)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    targets: tuple[tuple[str, int], ...] = ()
    if not args.no_out:
        targets = tuple(args.out or [("127.0.0.1", 14550)])
    home = {}
    if args.home is not None:
        home = {"home_lat_deg": args.home[0], "home_lon_deg": args.home[1], "home_alt_msl_m": args.home[2]}
    try:
        config = SimConfig(
            flavour=args.flavour, system_id=args.sysid, component_id=args.compid,
            bind_host=args.bind[0], bind_port=args.bind[1], targets=targets,
            gps_fix_delay_s=args.gps_fix_delay, **home,
        )
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    sim = SimVehicle(config)
    try:
        sim.start()
    except OSError as exc:
        log.error("cannot open UDP %s:%d: %s", config.bind_host, config.bind_port, exc)
        return 1

    done = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        done.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, _on_signal)
    sends = ", ".join(f"{h}:{p}" for h, p in targets) or "nobody (until a GCS talks to it)"
    name = "PX4" if config.is_px4 else "ArduPilot"
    log.info(
        "simulated %s quad sysid %d: listening on udp %s:%d, sending to %s "
        "(GCS: udpin:0.0.0.0:<out port> or udpout:<host>:%d)",
        name, config.system_id, config.bind_host, sim.port, sends, sim.port,
    )
    try:
        done.wait(args.duration)
    except KeyboardInterrupt:  # a signal handler could not be installed (not the main thread)
        pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("simulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
