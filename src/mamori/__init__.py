"""mamori — system-risk and information-security management for crypto-asset exchanges."""

__all__ = ["__version__"]

__version__ = "0.1.0"
