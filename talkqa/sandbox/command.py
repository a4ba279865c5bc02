"""`talkqa sandbox`: serve the emulated systems and Sesam Talk until interrupted.

When everything is up it prints one JSON line on stdout (where each system is and its
credentials, see `Sandbox.description`), then serves until SIGINT or SIGTERM and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from types import FrameType
from typing import Any

from talkqa.sandbox.credentials import Credentials
from talkqa.sandbox.faults import FAULTS, FaultSet
from talkqa.spec.dataflow import SpecError

EXIT_BAD_INPUT = 2

# Environment variable -> (system, credential field) it overrides.
CREDENTIAL_ENV = {
    "TALKQA_SANDBOX_ZOHOCRM_CLIENT_ID": ("zohocrm", "client_id"),
    "TALKQA_SANDBOX_ZOHOCRM_CLIENT_SECRET": ("zohocrm", "client_secret"),
    "TALKQA_SANDBOX_ZOHOCRM_REFRESH_TOKEN": ("zohocrm", "refresh_token"),
    "TALKQA_SANDBOX_WEBCRM_AUTH_CODE": ("webcrm", "auth_code"),
    "TALKQA_SANDBOX_CUSTOMERP_API_KEY": ("customerp", "api_key"),
    "TALKQA_SANDBOX_SESAM_EMAIL": ("sesam", "email"),
    "TALKQA_SANDBOX_SESAM_PASSWORD": ("sesam", "password"),
}

EPILOG = (
    "Prints one JSON line when ready: each system's URLs and credentials.\n"
    "Stops cleanly on Ctrl-C or SIGTERM.\n\n"
    "Credentials default to the sandbox's own test values; these environment variables\n"
    "override them:\n" + "\n".join(f"  {name}" for name in CREDENTIAL_ENV)
)


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r} (0-65535)")
    return value


def add_parser(subparsers: Any) -> None:
    """Register `sandbox` on the `talkqa` command's subparsers."""
    p = subparsers.add_parser(
        "sandbox",
        help="serve emulated ZohoCRM, webCRM, Customerp and Sesam Talk on loopback",
        description="Serve emulated ZohoCRM, webCRM, Customerp and Sesam Talk until interrupted.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--features",
        default="features",
        metavar="DIR",
        help="the features the Talk engine syncs (%(default)s)",
    )
    for system in ("zohocrm", "webcrm", "customerp", "sesam"):
        p.add_argument(
            f"--port-{system}",
            type=_port,
            default=0,
            metavar="PORT",
            help=f"serve {system} on this port (default: a free one)",
        )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[@SECTION][#PROPERTY]",
        help="inject a fault (repeatable); --list-faults shows them",
    )
    p.add_argument("--list-faults", action="store_true", help="print the faults and exit")
    p.add_argument(
        "--schedule",
        type=_positive(float),
        metavar="SECONDS",
        help="run every enabled pipe this often (default: only when started)",
    )
    p.add_argument(
        "--zoho-request-budget",
        type=_positive(int),
        metavar="N",
        help="ZohoCRM API credits per day (default: unlimited)",
    )
    p.add_argument(
        "--webcrm-per-minute",
        type=_positive(int),
        default=250,
        metavar="N",
        help="webCRM requests per minute (%(default)s)",
    )
    p.set_defaults(handler=run)


def credentials_from(environ: dict[str, str] | os._Environ[str]) -> Credentials:
    creds = Credentials()
    for name, (system, key) in CREDENTIAL_ENV.items():
        value = environ.get(name)
        if value:
            creds = replace(creds, **{system: replace(getattr(creds, system), **{key: value})})
    return creds


def _error(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run(args: argparse.Namespace) -> int:
    if args.list_faults:
        width = max(map(len, FAULTS))
        for name, what in FAULTS.items():
            print(f"{name:<{width}}  {what}")
        return 0
    try:
        faults = FaultSet.parse(args.fault)
    except ValueError as err:
        return _error(str(err))
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Set from another thread: a handler can interrupt the main thread while it holds
        # the event's own lock, and setting it here would then deadlock.
        threading.Thread(target=stopping.set, daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _serve(args, faults, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace, faults: FaultSet, stopping: threading.Event) -> int:
    # Imported here so that `talkqa parse/import/check` do not load the sandbox.
    from talkqa.sandbox.app import Ports, Sandbox, SandboxError

    ports = Ports(args.port_zohocrm, args.port_webcrm, args.port_customerp, args.port_sesam)
    try:
        sandbox = Sandbox(
            features_dir=args.features,
            credentials=credentials_from(os.environ),
            faults=faults,
            schedule=args.schedule,
            zoho_request_budget=args.zoho_request_budget,
            webcrm_per_minute=args.webcrm_per_minute,
            ports=ports,
        )
    except (SandboxError, SpecError) as err:
        return _error(str(err))
    with sandbox:
        sections = [p.section for p in sandbox.engine.pipes()]
        sections += [key for key, _ in sandbox.engine.skipped_sections()]
        for fault in faults:
            if not any(fault.covers_section(key) for key in sections):
                known = ", ".join(sorted({key.rsplit("/", 1)[-1] for key in sections}))
                return _error(
                    f"fault {fault} names no section of {args.features}; sections: {known}"
                )
        print(json.dumps(sandbox.description()), flush=True)
        stopping.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="talkqa")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["sandbox", *(sys.argv[1:] if argv is None else argv)])
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
