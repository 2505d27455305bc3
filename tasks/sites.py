"""Which site a URL belongs to: its registrable domain (Public Suffix List), or its host for IPs and localhost."""
from __future__ import annotations

import functools
import ipaddress
from urllib.parse import urlsplit

import tldextract

__all__ = ["registrable_domain", "site_key"]

# Platforms that give every publication its own subdomain but are not in the Public Suffix
# List (its private section lists only the platforms that asked to be listed, e.g. blogspot.com
# and github.io): without these, every newsletter on substack.com would count as one site.
PLATFORM_SUFFIXES = ("substack.com", "wordpress.com", "tumblr.com", "ghost.io", "beehiiv.com", "medium.com")

_DEFAULT_PORTS = {"http": 80, "https": 443}


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # No suffix-list URLs and no cache directory: the snapshot bundled with the installed
    # tldextract is the list, so a run never downloads anything nor writes a cache file.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True,
                                 include_psl_private_domains=True, extra_suffixes=PLATFORM_SUFFIXES)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def registrable_domain(url: str) -> str | None:
    """The registrable domain of `url`'s host: one label more than its public suffix.

    Takes any URL string. Returns e.g. "bbc.co.uk" for https://news.bbc.co.uk/x and
    "a.substack.com" for https://a.substack.com/ (private suffixes count), the host itself when
    it is a public suffix (https://github.io/), and None when the host cannot name a site: an
    IP address, a one-label name such as localhost, or no host. A host under no listed suffix
    (`.example`, `.internal`) gets the list's default rule: its last label is the suffix.
    Never raises, never uses the network.
    """
    host = _host(url)
    if "." not in host or _is_ip(host):
        return None
    labels = host.split(".")
    suffix = _extractor()(host).suffix
    n = (suffix.count(".") + 1 if suffix else 1) + 1
    return ".".join(labels[-n:])


def site_key(url: str) -> str:
    """The site `url` belongs to when no feed list names it.

    Takes any URL string. Returns its registrable domain (see registrable_domain), so section
    feeds, www and other subdomains of one domain are one site; for an IP address or a
    one-label host (localhost) the host with its port when not the scheme's default
    ("127.0.0.1:8765", "[::1]:8080"), since each such server is its own site; "" without a host.
    Never raises.
    """
    domain = registrable_domain(url)
    if domain:
        return domain
    host = _host(url)
    if not host:
        return ""
    shown = f"[{host}]" if ":" in host else host
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:   # a port out of range: the host alone
        return shown
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        return shown
    return f"{shown}:{port}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])   # an IPv6 zone (fe80::1%eth0) is no part of the address
    except ValueError:
        return False
    return True
