"""Command line: `gcs [options]` runs the program; `gcs token create --role R` prints a token;
`gcs user add|list|remove` manages the accounts that may sign in to the dashboard with a password;
`gcs relay --mqtt URL` serves the fleet's vehicles from a broker (API, streams, dashboard), flying none."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gcs import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcs",
        description="Kestrel GCS: ground-control station for camera drones "
        "(MAVLink vehicle link, live video, click-to-track, follow, embedded web API).",
        epilog="Other commands: `gcs token create --role viewer|operator|admin` prints an API token; "
        "`gcs user add NAME --role R`, `gcs user list`, `gcs user remove NAME` manage dashboard sign-in accounts; "
        "`gcs relay --mqtt URL` serves the fleet's vehicles from an MQTT broker (read-only unless --commands). "
        "Examples: `gcs --demo` (built-in simulator), `gcs --connect udpin:0.0.0.0:14550` (like QGC), "
        "`gcs --headless --connect tcp:127.0.0.1:5760 --api-port 8080`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="URL",
        help="MAVLink connection string (repeatable): udpin:0.0.0.0:14550, udpout:HOST:PORT, "
        "tcp:HOST:PORT, tcpin:HOST:PORT, /dev/ttyUSB0,57600, replay:PATH.tlog",
    )
    parser.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="URL",
        help="forward MAVLink to another GCS, like MAVProxy --out (repeatable): udpout:HOST:PORT, "
        "udpin:HOST:PORT, tcpin:HOST:PORT",
    )
    parser.add_argument("--demo", action="store_true", help="start the built-in simulated vehicle and connect to it")
    parser.add_argument("--flavour", choices=["px4", "ardupilot"], help="autopilot the demo vehicle imitates")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="no window: core + embedded API only (chosen automatically when there is no display)",
    )
    parser.add_argument("--api-host", help="address the web API binds to (default from config: 127.0.0.1)")
    parser.add_argument("--api-port", type=int, help="web API port (default from config: 8080; 0 = any free port)")
    parser.add_argument("--no-api", action="store_true", help="do not start the embedded web API")
    parser.add_argument(
        "--video", metavar="SRC",
        help="video source: camera index (0), file, rtsp:// / http:// / udp:// URL, GStreamer pipeline, "
        "or 'virtual' (the simulated camera; default from config video.source)",
    )
    parser.add_argument("--no-video", action="store_true", help="do not open any video source")
    parser.add_argument("--config", type=Path, metavar="PATH", help="config file (default: the user config dir)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="console log level")
    parser.add_argument("--run-for", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    return parser


def build_token_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcs token", description="API tokens (signed with the secret in the config dir)"
    )
    sub = parser.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="print a new token (last line of output)")
    create.add_argument("--role", required=True, choices=["viewer", "operator", "admin"])
    create.add_argument(
        "--ttl-hours", type=float, default=None,
        help="lifetime in hours (default: config api.token_ttl_hours, 12 h); e.g. 720 for a 30-day token, on purpose"
    )
    create.add_argument("--subject", default="cli", help="who the token is for (shows in logs)")
    create.add_argument("--config", type=Path, metavar="PATH")
    return parser


def build_relay_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcs relay",
        description="An instance with no vehicle: subscribes to the fleet's vehicles on an MQTT broker (every GCS "
        "publishing with fleet.mqtt_url) and serves them with the same web API, WS/SSE streams and dashboard. "
        "Add relays to serve more viewers. Tokens: the same secret as the GCS instances (KESTREL_API_SECRET).",
    )
    parser.add_argument("--mqtt", required=True, metavar="URL", help="broker: mqtt://host:1883 or mqtts://host:8883")
    parser.add_argument("--prefix", help="topic prefix (default from config fleet.mqtt_prefix: kestrel)")
    parser.add_argument(
        "--commands", action="store_true",
        help="forward operators' commands over MQTT with their own token to the GCS flying the vehicle "
        "(that GCS needs fleet.mqtt_commands); without it the relay is read-only (409)",
    )  # fmt: skip
    parser.add_argument("--api-host", help="address the web API binds to (default from config: 127.0.0.1)")
    parser.add_argument("--api-port", type=int, help="web API port (default from config: 8080; 0 = any free port)")
    parser.add_argument("--config", type=Path, metavar="PATH", help="config file (default: the user config dir)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="console log level")
    parser.add_argument("--run-for", type=float, metavar="SECONDS", help=argparse.SUPPRESS)
    parser.set_defaults(no_api=False)
    return parser


def build_user_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcs user",
        description="Accounts that may sign in to the dashboard with a password "
        "(kept in <data dir>/users.json, mode 0600, scrypt hashes; KESTREL_DATA_DIR moves it)",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    add = sub.add_parser("add", help="create an account (asks for the password twice)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["viewer", "operator", "admin"])
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin (scripts)"
    )
    add.add_argument("--replace", action="store_true", help="set a new password and role for an existing account")
    sub.add_parser("list", help="print every account and its role")
    remove = sub.add_parser("remove", help="delete an account (its tokens stay valid until they expire)")
    remove.add_argument("name")
    return parser


def _read_password(from_stdin: bool) -> str:
    """From stdin's first line, or typed twice at a prompt that does not echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password: pass --password-stdin and pipe it in")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ; nothing changed")
    return first


def user_main(argv: Sequence[str]) -> int:
    from gcs.core.accounts import AccountError, AccountStore

    args = build_user_parser().parse_args(list(argv))
    store = AccountStore()
    try:
        if args.action == "list":
            users = store.users()
            if not users:
                print(f"no accounts in {store.path} (gcs user add NAME --role viewer|operator|admin)")
            for user in users:
                created = time.strftime("%Y-%m-%d %H:%M", time.localtime(user.created_s))
                print(f"{user.name}\t{user.role}\tcreated {created}")
        elif args.action == "remove":
            store.remove(args.name)
            print(f"removed {args.name!r} from {store.path}")
        else:
            password = _read_password(args.password_stdin)
            user = store.add(args.name, password, args.role, replace=args.replace)
            print(f"{'replaced' if args.replace else 'added'} {user.name!r} ({user.role}) in {store.path}")
    except (AccountError, ValueError) as exc:
        print(f"gcs user: {exc}", file=sys.stderr)
        return 2
    return 0


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def token_main(argv: Sequence[str]) -> int:
    from embedded_api.auth import Role, TokenAuthority, load_secret
    from gcs.core.config import ConfigStore
    from gcs.core.errors import GcsError

    args = build_token_parser().parse_args(list(argv))
    store = ConfigStore(args.config)
    store.load()
    try:
        authority = TokenAuthority(load_secret(store.directory))
        ttl = args.ttl_hours if args.ttl_hours is not None else store.current.api.token_ttl_hours
        token = authority.create(Role.parse(args.role), ttl_hours=ttl, subject=args.subject)
    except GcsError as exc:
        print(f"gcs token: {exc}", file=sys.stderr)
        return 2
    print(f"# {args.role} token for {args.subject!r}, valid {ttl:g} h; send as 'Authorization: Bearer <token>'")
    print(token)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "token":
        return token_main(args_list[1:])
    if args_list and args_list[0] == "user":
        return user_main(args_list[1:])
    if args_list and args_list[0] == "relay":
        from gcs.app import run_relay

        return run_relay(build_relay_parser().parse_args(args_list[1:]))
    args = build_parser().parse_args(args_list)
    from gcs.app import run

    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
