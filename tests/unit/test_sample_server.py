"""flows.sample_server: the loopback server for sample sites, on any loopback address."""
from __future__ import annotations

import urllib.request

import pytest

from flows.sample_server import SampleServer


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read()


def test_default_host_is_127_0_0_1_and_base_url_is_filled_in(tmp_path):
    (tmp_path / "feed.xml").write_text("<link>{{BASE_URL}}/a.html</link>")
    with SampleServer(tmp_path) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert _get(server.base_url + "/feed.xml") == f"<link>{server.base_url}/a.html</link>".encode()


@pytest.mark.parametrize("host", ["127.0.0.2", "127.0.0.51", "127.1.2.3"])
def test_serves_on_another_loopback_address(tmp_path, host):
    (tmp_path / "feed.xml").write_text("<link>{{BASE_URL}}/a.html</link>")
    with SampleServer(tmp_path, host=host) as server:
        assert server.base_url.startswith(f"http://{host}:")
        assert _get(server.base_url + "/feed.xml") == f"<link>{server.base_url}/a.html</link>".encode()


def test_two_addresses_share_one_port_as_two_hosts(tmp_path):
    (tmp_path / "feed.xml").write_text("{{BASE_URL}}")
    with SampleServer(tmp_path, host="127.0.0.2") as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with SampleServer(tmp_path, port=port, host="127.0.0.3") as second:
            assert _get(f"http://127.0.0.2:{port}/feed.xml") == first.base_url.encode()
            assert _get(f"http://127.0.0.3:{port}/feed.xml") == second.base_url.encode()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "8.8.8.8", "localhost", "::1", "", "127.0.0"])
def test_refuses_anything_but_an_ipv4_loopback_address(tmp_path, host):
    with pytest.raises(ValueError, match="loopback"):
        SampleServer(tmp_path, host=host)
