"""A network namespace joined to this one by a veth pair, that can silently drop every packet.

The black hole of tests/reliability/proxy.py is simulated in user space: the proxy's kernel still
ACKs what it receives, keepalive probes included, so TCP never finds anything wrong. Here the far
end lives in its own network namespace, reachable only through a veth pair addressed from a
private link-local /30 (169.254.x.y, never routed off this machine); `blackhole()` puts a policy
rule of type `blackhole` in front of every routing table of that namespace. From then on every
packet that reaches it is discarded before TCP sees it, without an RST or an ICMP error, ARP
included, so the host side sees exactly what a pulled cable behind a switch looks like: silence.
The host's own routing tables are untouched; its neighbour entry for the far end is made
permanent, so ARP cannot produce a "no route to host" either.

`listen()` opens a TCP listener inside the namespace (a thread joins it with setns(2) just for
the socket() call; a socket stays in the namespace it was created in), so a Proxy in this
process can accept there and forward to 127.0.0.1 on the host. `close()` deletes the veth pair
and the namespace; it is safe to call twice and after a half-done `create()`.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
import random
import shutil
import socket
import subprocess
import threading
import uuid

CLONE_NEWNET = 0x40000000


class NetNsUnavailable(Exception):
    """This machine does not let the tests create a network namespace (not root, no `ip`...)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def _free_slash30() -> ipaddress.IPv4Network:
    """A link-local /30 that no route of this machine (any table) overlaps."""
    routes = json.loads(_ip("-j", "-4", "route", "show", "table", "all").stdout or "[]")
    taken = []
    for route in routes:
        dst = route.get("dst", "default")
        if dst != "default":
            with contextlib.suppress(ValueError):
                taken.append(ipaddress.ip_network(dst, strict=False))
    rng = random.Random()
    for _ in range(200):
        third = rng.choice([n for n in range(64, 255) if n != 169])  # 169.254.169.254: metadata
        net = ipaddress.ip_network(f"169.254.{third}.{4 * rng.randrange(64)}/30")
        if not any(net.overlaps(t) for t in taken):
            return net
    raise RuntimeError("no free 169.254.x.y/30 found")


class NetNs:
    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.name = f"sqlmig-test-{tag}"
        self.host_if = f"sqm{tag}h"  # at most 15 characters
        self.ns_if = f"sqm{tag}n"
        self.host_addr = ""
        self.ns_addr = ""
        self._made_ns = False
        self._made_link = False

    def create(self) -> None:
        """Make the namespace and the veth pair; NetNsUnavailable when that is not permitted."""
        if not shutil.which("ip"):
            raise NetNsUnavailable("the `ip` command (iproute2) is not installed")
        done = _ip("netns", "add", self.name, check=False)
        if done.returncode != 0:
            raise NetNsUnavailable(f"`ip netns add` is not permitted here: {done.stderr.strip()}")
        self._made_ns = True
        done = _ip(
            "link", "add", self.host_if, "type", "veth",
            "peer", "name", self.ns_if, "netns", self.name,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise NetNsUnavailable(f"cannot create a veth pair: {done.stderr.strip()}")
        self._made_link = True
        net = _free_slash30()
        host, far = list(net.hosts())
        self.host_addr, self.ns_addr = str(host), str(far)
        _ip("addr", "add", f"{host}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("-n", self.name, "addr", "add", f"{far}/30", "dev", self.ns_if)
        _ip("-n", self.name, "link", "set", self.ns_if, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")
        # the local table moves behind pref 10, where blackhole() can put a rule before it
        _ip("-n", self.name, "rule", "add", "pref", "100", "lookup", "local")
        _ip("-n", self.name, "rule", "del", "pref", "0", "lookup", "local")
        mac = json.loads(_ip("-n", self.name, "-j", "link", "show", self.ns_if).stdout)[0]
        _ip(
            "neigh", "replace", self.ns_addr, "lladdr", mac["address"],
            "dev", self.host_if, "nud", "permanent",
        )  # fmt: skip

    def listen(self) -> socket.socket:
        """A TCP listener on ns_addr (a free port), inside the namespace."""
        result: list[socket.socket | BaseException] = []

        def inside() -> None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
                try:
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns: {os.strerror(err)}")
                finally:
                    os.close(fd)
                result.append(socket.create_server((self.ns_addr, 0)))
            except BaseException as exc:
                result.append(exc)

        # a thread of its own: setns changes only the calling thread, which then ends
        thread = threading.Thread(target=inside, daemon=True)
        thread.start()
        thread.join(10)
        if not result:
            raise RuntimeError("setns thread did not finish")
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]

    def blackhole(self) -> None:
        """Silently drop every packet that reaches the namespace, and every packet it sends."""
        _ip("-n", self.name, "rule", "add", "pref", "10", "blackhole")

    def close(self) -> None:
        if self._made_link:
            _ip("link", "del", self.host_if, check=False)  # deletes the peer too
            self._made_link = False
        if self._made_ns:
            _ip("netns", "del", self.name, check=False)
            self._made_ns = False
