"""The nodes balances are read from: stored with their URL encrypted, turned into adapters."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from django.utils.translation import gettext as _

from mamori.config import mask_url
from mamori.core import crypto
from mamori.engines import chains
from mamori.reconciliation.models import ChainNode

__all__ = ["NodeRefused", "adapter_for", "check_url", "configure", "set_node", "shown_url"]

_CHAIN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
#: A path segment that looks like an API key (Infura ``/v3/<key>``, Alchemy ``/v2/<key>``).
_KEYLIKE = re.compile(r"^[A-Za-z0-9_-]{16,}$")


class NodeRefused(ValueError):
    """A node refused: a stable ``code`` and a translated ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


def set_node(
    chain: str, family: str, url: str, *, confirmations: int = 0, timeout_seconds: int = 10
) -> ChainNode:
    """Register or change the node of ``chain`` after checking each field, saying why one is
    refused."""
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
    return configure(
        chain,
        family,
        check_url(url),
        confirmations=confirmations,
        timeout_seconds=timeout_seconds,
    )


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
