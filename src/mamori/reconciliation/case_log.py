"""What a case's log lines say, in the reader's language (issue 25, point 5).

The services write each line once, in English (it is evidence, kept as written); the case
page reads it through this table of the lines the services write, so a Japanese reader sees
Japanese. A line no pattern knows (a person's own note) is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

__all__ = ["shown"]


def _cause(value: str) -> str:
    from mamori.reconciliation.models import Case

    return str(dict(Case.Cause.choices).get(value, value))


def _status(value: str) -> str:
    labels = {"rejected": _("rejected"), "expired": _("expired")}
    return str(labels.get(value, value))


#: An amount as the services write it: whole coins with the asset's code (``-40.000021 ETH``),
#: or base units with their label where the asset is not registered; bare base units in lines
#: written before amounts were formatted.
AMOUNT = r"[-+]?[\d,]+(?:\.\d+)?(?: [^\s()]+)?(?: \(base units\))?"
_ORDER_REASON = re.compile(
    rf"^reconciliation run (?P<run>\d+): (?P<missing>{AMOUNT}) missing on chain "
    rf"\(limit (?P<limit>{AMOUNT})\)$"
)
_ORDER_REASON_UNITS = re.compile(
    r"^reconciliation run (?P<run>\d+): (?P<missing>\S+) base units of (?P<asset>\S+) missing "
    r"on chain \(limit (?P<limit>\S+)\)$"
)


def _order_reason(text: str) -> str:
    """The reason a halt order gives, as :func:`cases._order_halt` writes it (or wrote it,
    in base units)."""
    match = _ORDER_REASON.match(text)
    if match is not None:
        return (
            _("reconciliation run %(run)s: %(missing)s missing on chain (limit %(limit)s)")
            % match.groupdict()
        )
    match = _ORDER_REASON_UNITS.match(text)
    if match is None:
        return text
    return (
        _(
            "reconciliation run %(run)s: %(missing)s base units of %(asset)s missing on chain "
            "(limit %(limit)s)"
        )
        % match.groupdict()
    )


def _said(text: str) -> str:
    """What the monitor answered a halt order it confirmed."""
    if text.startswith("halt "):
        return _("halt %(halts)s") % {"halts": text[len("halt ") :]}
    if text == "a halt of the asset already in force":
        return _("a halt of the asset already in force")
    return text


_LINES: list[tuple[re.Pattern[str], Callable[[dict[str, str]], str]]] = [
    (
        re.compile(r"^closing requested: (?P<resolution>.*)$", re.S),
        lambda m: _("closing requested: %(resolution)s") % m,
    ),
    (re.compile(r"^owner: (?P<owner>\S+)$"), lambda m: _("owner: %(owner)s") % m),
    (
        re.compile(r"^owner: (?P<owner>\S+) \((?P<reason>.*)\)$", re.DOTALL),
        lambda m: _("owner: %(owner)s (reason: %(reason)s)") % m,
    ),
    (
        re.compile(r"^cause: (?P<cause>[a-z_]+)(?P<rest>.*)$", re.S),
        lambda m: _("cause: %(cause)s%(rest)s") % {**m, "cause": _cause(m["cause"])},
    ),
    (
        re.compile(r"^closed after approval #(?P<id>\d+)$"),
        lambda m: _("closed after approval #%(id)s") % m,
    ),
    (
        re.compile(r"^closing was (?P<status>\w+); the case is open again$"),
        lambda m: (
            _("closing was %(status)s; the case is open again") % {"status": _status(m["status"])}
        ),
    ),
    (
        re.compile(
            rf"^run (?P<run>\d+): the difference is (?P<difference>{AMOUNT}) \((?P<where>.*)\)$"
        ),
        lambda m: (
            _("run %(run)s: the difference is %(difference)s (%(where)s)")
            % {**m, "where": _("total") if m["where"] == "total" else m["where"]}
        ),
    ),
    (
        re.compile(
            rf"^opened by run (?P<run>\d+): chain − book − in flight = (?P<difference>{AMOUNT})"
            r"(?P<where>.*)$"
        ),
        lambda m: (
            _("opened by run %(run)s: chain − book − in flight = %(difference)s%(where)s") % m
        ),
    ),
    (
        re.compile(
            r"^withdrawals of (?P<asset>\S+) halted by the custody monitor \((?P<said>.*?)\): "
            r"(?P<reason>.*)$",
            re.S,
        ),
        lambda m: (
            _("withdrawals of %(asset)s halted by the custody monitor (%(said)s): %(reason)s")
            % {**m, "said": _said(m["said"]), "reason": _order_reason(m["reason"])}
        ),
    ),
]


def shown(text: str) -> str:
    """Return the log line ``text`` in the active language (as written if not known)."""
    for pattern, say in _LINES:
        match = pattern.match(text)
        if match:
            return say(match.groupdict())
    return text
