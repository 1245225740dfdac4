"""Serve the sandbox until Ctrl-C: python -m sandbox --port 8765 --seed 1 --invoices 20000."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from .server import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--seed", type=int, default=1, help="data seed (same seed, same data)")
    parser.add_argument("--invoices", type=int, default=20000, help="invoices in all")
    parser.add_argument("--providers", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument(
        "--customers", type=int, help="customers in all (default: one for every 24 invoices)"
    )
    parser.add_argument(
        "--today",
        type=lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC),
        help=(
            "a fixed date for the sandbox clock, e.g. 2026-11-25T06:00"
            " (default: it runs with this machine's clock)"
        ),
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(
        seed=args.seed,
        invoices=args.invoices,
        providers=args.providers,
        customers=args.customers,
        now=args.today,
        port=args.port,
    )
    sandbox.start()
    print(f"TeamUp sandbox serving {sandbox.base_url}", flush=True)
    print(f"token: {sandbox.token}", flush=True)
    if args.providers > 1:
        print(f"provider ids: {', '.join(map(str, sorted(sandbox.store.providers)))}", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
