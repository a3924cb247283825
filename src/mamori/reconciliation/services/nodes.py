"""The nodes balances are read from: stored with their URL encrypted, turned into adapters."""

from __future__ import annotations

from mamori.config import mask_url
from mamori.core import crypto
from mamori.engines import chains
from mamori.reconciliation.models import ChainNode

__all__ = ["adapter_for", "configure"]


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
            "url_shown": mask_url(url),
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
