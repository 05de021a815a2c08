"""Value formats: IP address classes."""

import pytest

from analyzer.detect.formats import ip


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.20.30.40", "localIp"),
        ("172.20.1.9", "localIp"),
        ("192.168.44.3", "localIp"),
        ("100.72.14.201", "localIp"),  # RFC 6598: a phone's address behind carrier-grade NAT
        ("169.254.7.7", "localIp"),
        ("fd12:3456:789a::5", "localIp"),
        ("fe80::1c2b:3aff:fe4d:5e6f", "localIp"),
        ("[fe80::1]", "localIp"),
        ("::ffff:192.168.8.21", "localIp"),  # IPv4-mapped: the IPv4 address decides
        ("203.0.113.77", "publicIp"),  # RFC 5737 documentation range: no local network
        ("198.51.100.4", "publicIp"),
        ("198.18.0.9", "publicIp"),  # RFC 2544 benchmarking range
        ("2001:db8::42", "publicIp"),
        ("81.2.69.160", "publicIp"),
        ("::ffff:81.2.69.160", "publicIp"),
        ("2a00:1450:4001:82b::200e", "publicIp"),
    ],
)
def test_ip_classes(value: str, expected: str) -> None:
    assert ip("ip", value) == [(expected, value)]


@pytest.mark.parametrize(
    "value",
    [
        "0.0.0.0",
        "127.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "224.0.0.251",
        "ff02::fb",
        "240.1.2.3",
        "300.1.2.3",
        "not-an-ip",
        "",
    ],
)
def test_ip_none(value: str) -> None:
    assert ip("ip", value) == []
