"""``mamori custody replay FILE | apply-thresholds | halts | decider | asset add | wallet add |
wallet import FILE``: custody from the shell."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Replay a file of events, apply thresholds, list halts."""

    help = "Replay events through the custody monitor; apply thresholds; list active halts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        replay = sub.add_parser("replay", help="decide every event of a JSON Lines file")
        replay.add_argument("path", type=Path)
        sub.add_parser("apply-thresholds", help="make the configured thresholds effective")
        sub.add_parser("halts", help="list the active halts")
        decider = sub.add_parser(
            "decider",
            help="decide withdrawal checks sent by the web workers, leading or standing by "
            "(mamori serve starts two)",
        )
        where = decider.add_mutually_exclusive_group(required=True)
        where.add_argument("--listen", help="unix:PATH or tcp:HOST:PORT (a private network)")
        where.add_argument("--socket", type=Path, help="a Unix socket (as --listen unix:PATH)")
        asset = sub.add_parser("asset", help="set up assets").add_subparsers(
            dest="step", required=True
        )
        add = asset.add_parser("add", help="create an asset")
        add.add_argument("code", help="e.g. BTC")
        add.add_argument("--name", required=True)
        add.add_argument("--chain", required=True, help="e.g. bitcoin, ethereum")
        add.add_argument("--decimals", type=int, required=True, help="base-unit decimals")
        add.add_argument("--contract", default="", help="token contract (ERC-20)")
        add.add_argument("--responsible", default="", help="user name told at once")
        add.add_argument("--unknown-address", default="hold", choices=("hold", "reject", "allow"))
        wallet = sub.add_parser("wallet", help="set up wallets").add_subparsers(
            dest="step", required=True
        )
        one = wallet.add_parser("add", help="register a wallet")
        one.add_argument("name")
        one.add_argument("--asset", required=True)
        one.add_argument("--kind", required=True, choices=("hot", "warm", "cold"))
        one.add_argument("--address", required=True)
        one.add_argument("--m", type=int, default=1, help="signatures needed")
        one.add_argument("--n", type=int, default=1, help="key holders")
        one.add_argument("--site", default="")
        one.add_argument("--custodian", default="")
        many = wallet.add_parser("import", help="register the wallets of a .csv or .xlsx file")
        many.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command."""
        from mamori.auditlog.context import acting

        if options["action"] == "decider":  # each check is recorded as the token that asked
            from mamori.custody.fastpath.decider import serve
            from mamori.custody.fastpath.wire import parse_address

            try:
                address = parse_address(options["listen"] or f"unix:{options['socket']}")
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            serve(address)
            return

        with acting("system:cli"):
            getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _replay(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import inbound, monitor

        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        events, problems = [], []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(inbound.parse(json.loads(line)))
            except (ValueError, TypeError) as exc:
                problems.append(f"{path}:{number}: {exc}")
        if problems:  # all or nothing: nothing is decided while any line is bad
            raise CommandError(
                "\n".join([f"{len(problems)} bad line(s), nothing replayed:", *problems])
            )
        counts: dict[str, int] = {}
        for event in events:
            decision = monitor.decide(event)
            counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
            if decision.reasons:
                codes = ", ".join(r.code for r in decision.reasons)
                self.stdout.write(f"{event.id}: {decision.action} ({codes})")
        self.stdout.write(
            f"{len(events)} events: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )

    def _apply_thresholds(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import monitor
        from mamori.engines.threshold import ConfigError

        try:
            config = monitor.apply_thresholds()
        except ConfigError as exc:
            raise CommandError(f"thresholds refused, nothing changed: {exc}") from None
        self.stdout.write(
            f"{len(config.rules)} thresholds over {len(config.assets)} assets in effect"
        )

    def _halts(self, options: dict[str, Any]) -> None:
        from mamori.custody.models import active_halts

        for halt in active_halts().order_by("started_at"):
            until = f", until {halt.expires_at:%Y-%m-%d %H:%M}" if halt.expires_at else ""
            self.stdout.write(
                f"{halt.halt_id}: {halt.scope} {halt.key}{' ' + halt.asset if halt.asset else ''}"
                f" since {halt.started_at:%Y-%m-%d %H:%M}{until} "
                f"(rule {halt.rule}, event {halt.event_id})"
            )

    def _asset(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import setup

        data = setup.AssetIn(
            code=options["code"],
            name=options["name"],
            chain=options["chain"],
            decimals=options["decimals"],
            contract=options["contract"],
            responsible=options["responsible"],
            unknown_address=options["unknown_address"],
        )
        try:
            asset = setup.add_asset(data, installation=True)
        except setup.SetupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"asset {asset.code}: {asset.chain}, {asset.decimals} decimals")

    def _wallet(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import setup

        if options["step"] == "import":
            path: Path = options["path"]
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                wallets = setup.import_wallets(path.read_bytes(), path.name)
            except setup.SetupRefused as refused:
                raise CommandError("\n".join(refused.lines())) from None
            self.stdout.write(f"{len(wallets)} wallets registered")
            return
        data = setup.WalletIn(
            **{k: options[k] for k in ("name", "asset", "kind", "address", "m", "n")},
            site=options["site"],
            custodian=options["custodian"],
        )
        try:
            wallet = setup.add_wallet(data)
        except setup.SetupRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"wallet {wallet.name}: {wallet.asset.code} {wallet.kind}")
