"""The nodes balances are read from: stored with their URL encrypted, turned into adapters.

Choosing the node reconciliation trusts is a change two other people approve (policy
``halt_lift``) when it is asked on the page or through the API: the person who moves funds
could otherwise point reconciliation at a node of their own that never shows missing coins.
The request's snapshot holds the URL encrypted (as the node row does) and masked for reading,
and the state the node was in; the approved change is applied only if that state still
holds. The command line (``mamori reconcile node``) is the installation's own and stays direct.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pydantic
from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.config import mask_url
from mamori.core import crypto
from mamori.core.errors import Refused
from mamori.engines import chains
from mamori.reconciliation.models import ChainNode

__all__ = [
    "KIND",
    "POLICY",
    "NodeChangeSnapshot",
    "NodeRefused",
    "adapter_for",
    "apply_change",
    "check_url",
    "configure",
    "pending",
    "request_change",
    "set_node",
    "shown_url",
]

KIND = "reconciliation.node_change"
#: Two distinct approvers, as for lifting a halt.
POLICY = "halt_lift"
#: Names that reach a cloud's instance metadata (and its credentials) from inside it.
_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal"})

_CHAIN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
#: A path segment that looks like an API key (Infura ``/v3/<key>``, Alchemy ``/v2/<key>``).
_KEYLIKE = re.compile(r"^[A-Za-z0-9_-]{16,}$")


class NodeRefused(Refused, ValueError):
    """A node refused: a stable ``code`` and a translated ``message``."""


def shown_url(url: str) -> str:
    """Return ``url`` as it may be shown: the password, every query value and any path
    segment that looks like an API key replaced by ``***``."""
    parts = urlsplit(mask_url(url))
    path = "/".join("***" if _KEYLIKE.match(seg) else seg for seg in parts.path.split("/"))
    query = "&".join(
        f"{pair.split('=', 1)[0]}=***" if "=" in pair else "***"
        for pair in parts.query.split("&")
        if pair
    )
    return urlunsplit(parts._replace(path=path, query=query, fragment=""))


def _forbidden_host(hostname: str) -> bool:
    """Return whether ``hostname`` is link-local (169.254.0.0/16, fe80::/10, also written as
    an IPv4-mapped IPv6 or a short/decimal/hex IPv4 form) or a cloud metadata name."""
    host = hostname.strip().rstrip(".").lower()
    if host in _METADATA_NAMES:
        return True
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        try:  # what the resolver also accepts: 2852039166, 0xa9.0xfe.0xa9.0xfe, 169.254.43518
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_link_local


def check_url(url: str) -> str:
    """Return ``url`` if a JSON-RPC node can be reached at it; refuse saying why (the URL is
    never repeated with its secrets)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise NodeRefused("bad_url", _("The node URL cannot be read.")) from None
    if parts.scheme not in ("http", "https"):
        raise NodeRefused("bad_url", _("A node URL starts with http:// or https://."))
    if not parts.hostname:
        raise NodeRefused("bad_url", _("The node URL names no host."))
    if _forbidden_host(parts.hostname):
        raise NodeRefused(
            "forbidden_host",
            _(
                "The node URL %(url)s points at a link-local or cloud metadata address "
                "(169.254.0.0/16, fe80::/10, metadata); it is refused. Private and loopback "
                "addresses are allowed."
            )
            % {"url": shown_url(url)},
        )
    if port == 0 or parts.fragment or len(url) > 300 or re.search(r"\s", url):
        raise NodeRefused(
            "bad_url",
            _(
                "The node URL %(url)s is not usable: no port 0, fragment or spaces, at most 300 "
                "characters."
            )
            % {"url": shown_url(url)},
        )
    return url


def _checked(chain: str, family: str, url: str, confirmations: int, timeout_seconds: int) -> str:
    """Refuse a field that cannot work, saying why; return the checked URL."""
    if not _CHAIN.match(chain):
        raise NodeRefused(
            "bad_chain",
            _("chain %(value)r: lower-case letters, digits and hyphens, e.g. ethereum")
            % {"value": chain[:40]},
        )
    if family not in chains.FAMILIES:
        raise NodeRefused(
            "bad_family",
            _("Unknown chain family %(value)r; known: %(known)s")
            % {"value": family[:20], "known": ", ".join(chains.FAMILIES)},
        )
    if not 0 <= confirmations <= 1000 or not 1 <= timeout_seconds <= 300:
        raise NodeRefused(
            "bad_settings",
            _("Confirmations from 0 to 1000 and a timeout from 1 to 300 seconds."),
        )
    return check_url(url)


def set_node(
    chain: str, family: str, url: str, *, confirmations: int = 0, timeout_seconds: int = 10
) -> ChainNode:
    """Register or change the node of ``chain`` at once after checking each field, saying why
    one is refused. Only for the installation's own command line: people ask with
    :func:`request_change`."""
    return configure(
        chain,
        family,
        _checked(chain, family, url, confirmations, timeout_seconds),
        confirmations=confirmations,
        timeout_seconds=timeout_seconds,
    )


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class NodeState(_Strict):
    """A node as it stands: its URL masked and known by the digest of its stored ciphertext
    (which tells whether it changed and reveals nothing)."""

    family: str = pydantic.Field(max_length=20)
    url_shown: str = pydantic.Field(max_length=400)
    url_digest: str = pydantic.Field(pattern=r"^[0-9a-f]{64}$")
    confirmations: int = pydantic.Field(ge=0, le=1000)
    timeout_seconds: int = pydantic.Field(ge=1, le=300)


class NodeRequested(_Strict):
    """The node asked for: its URL encrypted as the node row stores it, and masked."""

    family: str = pydantic.Field(max_length=20)
    url_encrypted: str = pydantic.Field(max_length=4000)
    url_shown: str = pydantic.Field(max_length=400)
    confirmations: int = pydantic.Field(ge=0, le=1000)
    timeout_seconds: int = pydantic.Field(ge=1, le=300)


class NodeChangeSnapshot(_Strict):
    """A request to register (``current`` null) or change the node of ``chain``."""

    chain: str = pydantic.Field(pattern=_CHAIN.pattern)
    current: NodeState | None
    requested: NodeRequested


def _state(node: ChainNode | None) -> dict[str, Any] | None:
    if node is None:
        return None
    return {
        "family": node.family,
        "url_shown": node.url_shown,
        "url_digest": hashlib.sha256(node.url_encrypted.encode("ascii")).hexdigest(),
        "confirmations": node.confirmations,
        "timeout_seconds": node.timeout_seconds,
    }


def pending() -> dict[str, ApprovalRequest]:
    """Return the pending node changes, by chain."""
    waiting = ApprovalRequest.objects.filter(kind=KIND, status=ApprovalRequest.Status.PENDING)
    return {str(r.snapshot.get("chain")): r for r in waiting.order_by("pk")}


def request_change(
    chain: str,
    family: str,
    url: str,
    by: User,
    *,
    confirmations: int = 0,
    timeout_seconds: int = 10,
) -> ApprovalRequest:
    """Ask for the node of ``chain`` to be registered or changed, after checking each field;
    applied once two other people approve. Refuses a second request for the same chain."""
    url = _checked(chain, family, url, confirmations, timeout_seconds)
    try:
        chains.RpcSettings(url, 500, float(timeout_seconds), 3)  # validates
    except ValueError as exc:
        raise NodeRefused("bad_url", str(exc)) from None
    with transaction.atomic():
        node = ChainNode.objects.select_for_update().filter(chain=chain).first()
        waiting = pending().get(chain)
        if waiting is not None:
            raise approvals.ApprovalRefused(
                "already_requested",
                _("A change of the node of %(chain)s already waits for approval: request #%(id)s.")
                % {"chain": chain, "id": waiting.pk},
            )
        snapshot = {
            "chain": chain,
            "current": _state(node),
            "requested": {
                "family": family,
                "url_encrypted": crypto.encrypt(url),
                "url_shown": shown_url(url),
                "confirmations": confirmations,
                "timeout_seconds": timeout_seconds,
            },
        }
        title = f"Set the node of {chain} to {shown_url(url)}"
        return approvals.submit(KIND, title, snapshot, by)


def apply_change(request: ApprovalRequest) -> None:
    """Store the approved node, if the chain's node is still as the request found it (else
    refuse as stale); the URL is checked again."""
    snapshot = request.snapshot
    chain, requested = snapshot["chain"], snapshot["requested"]
    node = ChainNode.objects.select_for_update().filter(chain=chain).first()
    if _state(node) != snapshot["current"]:
        raise approvals.ApprovalRefused(
            "stale",
            _(
                "The node of %(chain)s changed since the request was made; "
                "ask again from its current state."
            )
            % {"chain": chain},
        )
    try:
        url = _checked(
            chain,
            requested["family"],
            crypto.decrypt(requested["url_encrypted"]),
            requested["confirmations"],
            requested["timeout_seconds"],
        )
        configure(
            chain,
            requested["family"],
            url,
            batch_size=node.batch_size if node else 500,
            retries=node.retries if node else 3,
            confirmations=requested["confirmations"],
            timeout_seconds=requested["timeout_seconds"],
        )
    except NodeRefused as refused:
        raise approvals.ApprovalRefused(refused.code, refused.message) from None
    except (ValueError, crypto.SecretUnreadable) as exc:
        raise approvals.ApprovalRefused("bad_url", str(exc)) from None


def configure(
    chain: str,
    family: str,
    url: str,
    *,
    batch_size: int = 500,
    timeout_seconds: int = 10,
    retries: int = 3,
    confirmations: int = 0,
) -> ChainNode:
    """Register or change the node of ``chain``; refuse a URL or family that cannot work."""
    if family not in chains.FAMILIES:
        raise ValueError(f"unknown chain family {family!r}; known: {', '.join(chains.FAMILIES)}")
    chains.RpcSettings(url, batch_size, float(timeout_seconds), retries)  # validates
    node, _ = ChainNode.objects.update_or_create(
        chain=chain,
        defaults={
            "family": family,
            "url_encrypted": crypto.encrypt(url),
            "url_shown": shown_url(url),
            "batch_size": batch_size,
            "timeout_seconds": timeout_seconds,
            "retries": retries,
            "confirmations": confirmations,
        },
    )
    return node


def adapter_for(node: ChainNode) -> chains.ChainAdapter:
    """Return the adapter that reads from ``node``."""
    settings = chains.RpcSettings(
        crypto.decrypt(node.url_encrypted),
        batch_size=node.batch_size,
        timeout=float(node.timeout_seconds),
        retries=node.retries,
    )
    return chains.adapter(node.family, settings, node.confirmations)
