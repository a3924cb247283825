"""The block list of attacking source addresses (SRM 10-2-1, 10-6-1) and what the edge reads.

An address or network is checked with :mod:`ipaddress` before it is kept: a host address
(``203.0.113.7``) or a network whose host bits are zero (``198.51.100.0/24``); nothing wider
than a /8 (IPv4) or a /32 (IPv6), no loopback, unspecified or multicast address — a typo must
not shut the exchange's own customers or systems out. Several are added at once or none: every
bad row is reported with its line number. The edge reads the active blocks as an nginx
``deny`` file, a HAProxy ACL file (one network per line) or JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.guard.models import BlockedSource, ContainmentAction
from mamori.guard.services import containment
from mamori.operations.models import Incident

__all__ = [
    "BlockRefused",
    "Row",
    "active",
    "as_json",
    "block",
    "haproxy_acl",
    "lift",
    "nginx_deny",
    "parse_lines",
    "parse_network",
]

#: The widest networks that may be blocked: a typo must not block a continent.
WIDEST = {4: 8, 6: 32}


class BlockRefused(Refused):
    """A block refused: a bad address, a row already blocked, a missing reason."""


@dataclass(frozen=True)
class Row:
    """One row to block: the text as typed, its line and its own reason (if any)."""

    line: int
    text: str
    reason: str = ""


def parse_network(text: str) -> str:
    """Return ``text`` as a normalised network (``203.0.113.7/32``); raise ``ValueError``
    saying why it cannot be blocked."""
    text = text.strip()
    if not text:
        raise ValueError(gettext("empty address"))
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValueError(
                gettext("expected an IP address or a network in CIDR form, got %(text)s")
                % {"text": text}
            ) from None
        raise ValueError(
            gettext("%(text)s has host bits set; the network is %(network)s")
            % {"text": text, "network": loose}
        ) from None
    if network.prefixlen < WIDEST[network.version]:
        raise ValueError(
            gettext("%(network)s is wider than /%(widest)s; block smaller networks")
            % {"network": network, "widest": WIDEST[network.version]}
        )
    if network.is_loopback or network.is_unspecified or network.is_multicast:
        raise ValueError(
            gettext("%(network)s is a loopback, unspecified or multicast address")
            % {"network": network}
        )
    return str(network)


def parse_lines(text: str) -> list[Row]:
    """Read one row per line: an address or network, then optionally its own reason
    (``203.0.113.7 credential stuffing``); blank lines and ``#`` comments are skipped."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        address, _sep, reason = line.replace(",", " ", 1).partition(" ")
        rows.append(Row(number, address.strip(), reason.strip()))
    return rows


def active(at: datetime | None = None) -> QuerySet[BlockedSource]:
    """Return the blocks in force at ``at`` (now): not lifted, not expired."""
    at = at or timezone.now()
    return BlockedSource.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )


def block(
    rows: Iterable[Row],
    reason: str,
    by: User,
    incident: Incident | None = None,
    expires_at: datetime | None = None,
) -> list[BlockedSource]:
    """Block every row, or none: a bad address, a duplicate or a row already blocked refuses
    the whole set, each bad row named by its line (SRM 10-2-1)."""
    rows = list(rows)
    reason = reason.strip()
    problems: list[tuple[str, str]] = []
    if not rows:
        problems.append(("rows", gettext("Give at least one address.")))
    if expires_at is not None and expires_at <= timezone.now():
        problems.append(("expires_at", gettext("The expiry is in the past.")))
    seen: dict[str, int] = {}
    parsed: list[tuple[str, str]] = []
    for row in rows:
        try:
            network = parse_network(row.text)
        except ValueError as exc:
            problems.append(
                (
                    f"rows.{row.line}",
                    gettext("line %(line)s: %(why)s") % {"line": row.line, "why": exc},
                )
            )
            continue
        if network in seen:
            problems.append(
                (
                    f"rows.{row.line}",
                    gettext("line %(line)s: %(network)s is already on line %(first)s")
                    % {"line": row.line, "network": network, "first": seen[network]},
                )
            )
            continue
        seen[network] = row.line
        if not (row.reason or reason):
            problems.append(
                (f"rows.{row.line}", gettext("line %(line)s: say why") % {"line": row.line})
            )
        parsed.append((network, row.reason or reason))
    expired = BlockedSource.objects.filter(
        network__in=seen, lifted_at__isnull=True, expires_at__lte=timezone.now()
    )
    for ended in expired:  # an expired block ends at its expiry; the address may be blocked again
        ended.lifted_at = ended.expires_at
        ended.save(update_fields=["lifted_at"])
    already = set(
        BlockedSource.objects.filter(network__in=seen, lifted_at__isnull=True).values_list(
            "network", flat=True
        )
    )
    for network in sorted(already, key=seen.__getitem__):
        problems.append(
            (
                f"rows.{seen[network]}",
                gettext("line %(line)s: %(network)s is already blocked")
                % {"line": seen[network], "network": network},
            )
        )
    if problems:
        raise BlockRefused(
            "bad_rows",
            gettext("Nothing was blocked: %(count)s problem(s) — %(problems)s")
            % {"count": len(problems), "problems": "; ".join(p[1] for p in problems)},
            fields=problems,
        )
    now = timezone.now()
    with transaction.atomic():
        made = [
            BlockedSource.objects.create(
                network=network,
                reason=why[:300],
                incident=incident,
                by=by,
                at=now,
                expires_at=expires_at,
            )
            for network, why in parsed
        ]
        shown = ", ".join(b.network for b in made[:5]) + (" …" if len(made) > 5 else "")
        containment.record(
            ContainmentAction.Kind.BLOCK,
            containment.both(
                gettext_noop("%(count)s source(s) blocked: %(networks)s"),
                count=len(made),
                networks=shown,
            ),
            by,
            incident=incident,
            reason=reason,
            object_key=",".join(str(b.pk) for b in made),
        )
        if incident is not None:
            from mamori.operations.services import incidents

            for made_block in made:
                incidents.link(
                    incident, "guard.blockedsource", str(made_block.pk), made_block.network
                )
    return made


def lift(blocked: BlockedSource, by: User, reason: str) -> BlockedSource:
    """Lift a block, saying why; on its incident's timeline too."""
    reason = reason.strip()
    if not reason:
        raise BlockRefused(
            "reason_required",
            gettext("Say why the block is lifted."),
            fields=[("reason", gettext("This field is required."))],
        )
    with transaction.atomic():
        blocked = BlockedSource.objects.select_for_update().get(pk=blocked.pk)
        if blocked.lifted_at is not None:
            raise BlockRefused(
                "already_lifted",
                gettext("%(network)s is no longer blocked.") % {"network": blocked.network},
                status=409,
            )
        blocked.lifted_at = timezone.now()
        blocked.lifted_by = by
        blocked.save(update_fields=["lifted_at", "lifted_by"])
        if blocked.incident is not None:
            from mamori.operations.services import incidents

            incidents.add_entry(
                blocked.incident,
                "containment_lifted",
                gettext("Block of %(network)s lifted: %(reason)s")
                % {"network": blocked.network, "reason": reason},
                by,
                {"block": blocked.pk},
            )
    return blocked


def _ordered(at: datetime | None = None) -> list[str]:
    return sorted(
        set(active(at).values_list("network", flat=True)),
        key=lambda n: (ipaddress.ip_network(n).version, ipaddress.ip_network(n)),
    )


def nginx_deny(at: datetime | None = None) -> str:
    """Return the nginx include refusing every active block (``deny 203.0.113.7;``)."""
    lines = ["# mamori guard: blocked sources (SRM 10-2-1); include in a server block"]
    lines += [f"deny {_bare(n)};" for n in _ordered(at)]
    return "\n".join(lines) + "\n"


def haproxy_acl(at: datetime | None = None) -> str:
    """Return the HAProxy ACL file: one network per line (``acl blocked src -f <file>``)."""
    lines = ["# mamori guard: blocked sources (SRM 10-2-1)"]
    lines += _ordered(at)
    return "\n".join(lines) + "\n"


def _bare(network: str) -> str:
    """Write a host's network as the address alone (``203.0.113.7``), as nginx reads it."""
    found = ipaddress.ip_network(network)
    return str(found.network_address) if found.num_addresses == 1 else network


def as_json(at: datetime | None = None) -> list[dict[str, Any]]:
    """Return the active blocks for machines: network, since, until (no names, no reasons)."""
    return [
        {
            "network": b.network,
            "blocked_at": b.at.isoformat(),
            "expires_at": b.expires_at.isoformat() if b.expires_at else None,
        }
        for b in active(at).order_by("network")
    ]
