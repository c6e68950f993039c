"""realserver: two LVS-DR real servers (lvs.ha.realserver with the test page) and a client.

What DR needs of a real server, shown with packets from the client: the VIP is held on
lo, yet nobody answers ARP for it (arp_ignore) nor uses it as an ARP source
(arp_announce), while each real server's own address resolves and serves a page that
names the host. Two controls switch a sysctl back to the kernel default on one real
server to show the probe would catch it, then restore it. Last, a real server restarts
and must come back the same (sysctls from /etc/sysctl.d, VIPs from lvs-ha-vips.service).
"""

import functools
import re
import subprocess
import time

import pytest
import testinfra

VIP = "10.251.56.40"
REALSERVERS = ["realserver1", "realserver2"]
CLIENT = "client"
SYSCTL_FILE = "/etc/sysctl.d/90-lvs-ha-realserver.conf"
VIPS_SCRIPT = "/usr/local/sbin/lvs-ha-vips"
WANT = {"arp_ignore": 1, "arp_announce": 2}

testinfra_hosts = ["podman://" + name for name in REALSERVERS]


def node(name):
    return testinfra.get_host("podman://" + name)


@functools.lru_cache(maxsize=None)  # fixed for the container's life (create.yml)
def mac(name):
    return node(name).file("/sys/class/net/eth0/address").content_string.strip()


@functools.lru_cache(maxsize=None)
def address(name):
    out = node(name).check_output("ip -4 -o addr show dev eth0 scope global")
    return re.search(r"inet (\S+)/", out).group(1)


def arp_replies(target):
    """MACs answering the client's ARP requests for target (broadcast every time)."""
    out = node(CLIENT).run("arping -b -c 2 -w 3 -I eth0 %s", target).stdout
    return {m.lower() for m in re.findall(r"reply from \S+ \[([0-9A-Fa-f:]{17})\]", out)}


def client_neighbour(target):
    """(state, lladdr or None) of the client's neighbour entry for target, or None."""
    out = node(CLIENT).check_output("ip neigh show %s dev eth0", target).strip()
    if not out:
        return None
    lladdr = re.search(r"lladdr (\S+)", out)
    return out.split()[-1], lladdr.group(1).lower() if lladdr else None


def wait_for(predicate, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def booted(h):
    return h.run("systemctl is-system-running --wait").stdout.strip() in ("running", "degraded")


def set_arp_sysctl(name, key, value):
    node(name).check_output(
        "sysctl -q -w net.ipv4.conf.all.%s=%s net.ipv4.conf.eth0.%s=%s", key, str(value), key, str(value))


def restore(name):
    """What the role's boot unit does: sysctls first, then the VIPs."""
    h = node(name)
    h.check_output("%s start", VIPS_SCRIPT)
    assert h.run("%s check", VIPS_SCRIPT).rc == 0


def test_vip_is_on_lo_as_a_host_address(host):
    assert re.search(r"inet %s/32 scope \w+ lo\b" % re.escape(VIP), host.check_output("ip -4 -o addr show dev lo"))
    assert VIP not in host.check_output("ip -4 -o addr show dev eth0")


def test_arp_sysctls_are_set_and_persisted(host):
    conf = host.file(SYSCTL_FILE)
    assert conf.user == "root" and conf.mode == 0o644
    persisted = dict(re.findall(r"^\s*([\w./]+)\s*=\s*(\S+)\s*$", conf.content_string, re.M))
    for interface in ("all", "eth0"):
        for key, value in WANT.items():
            name = "net.ipv4.conf.%s.%s" % (interface, key)
            assert host.sysctl(name) == value, name
            assert persisted.get(name) == str(value), "%s not persisted in %s" % (name, SYSCTL_FILE)


def test_vips_and_web_server_start_at_boot(host):
    assert host.service("lvs-ha-vips").is_enabled
    assert host.service("lvs-ha-vips").is_running  # oneshot, RemainAfterExit
    assert host.service("apache2").is_enabled
    assert host.service("apache2").is_running
    assert host.run("%s check", VIPS_SCRIPT).rc == 0


@pytest.mark.parametrize("name", REALSERVERS)
def test_page_names_the_real_server(name):
    page = node(CLIENT).check_output("curl -sS --max-time 5 http://%s/", address(name))
    assert "<h1>%s</h1>" % name in page, page
    others = [other for other in REALSERVERS if other != name]
    assert not any(other in page for other in others), page


@pytest.mark.parametrize("name", REALSERVERS)
def test_real_server_addresses_resolve(name):
    assert arp_replies(address(name)) == {mac(name)}


def test_nobody_answers_arp_for_the_vip():
    node(CLIENT).check_output("ip neigh flush dev eth0")
    assert arp_replies(VIP) == set()
    assert node(CLIENT).run("ping -c 1 -W 1 %s", VIP).rc != 0
    entry = client_neighbour(VIP)
    assert entry is not None and entry[1] is None and entry[0] in ("INCOMPLETE", "FAILED"), entry


def test_control_arp_ignore_0_would_answer_for_the_vip():
    name = REALSERVERS[0]
    set_arp_sysctl(name, "arp_ignore", 0)
    try:
        replies = arp_replies(VIP)
    finally:
        restore(name)
    assert replies == {mac(name)}, "with arp_ignore=0 %s should answer ARP for the VIP on its lo" % name
    assert arp_replies(VIP) == set()


def announce_from_vip(name):
    """Make the real server ARP for the client with the VIP as the packet's source.

    The client adds an entry for the sender of an ARP request aimed at it: whichever
    address the real server announces ends up in the client's table with its MAC.
    """
    node(CLIENT).check_output("ip neigh flush dev eth0")
    node(name).check_output("ip neigh flush dev eth0")
    node(name).run("ping -c 1 -W 1 -I %s %s", VIP, address(CLIENT))


def test_real_server_never_announces_the_vip():
    name = REALSERVERS[0]
    announce_from_vip(name)
    # the request did reach the client (the probe is not vacuous), sent from the own address
    sender = client_neighbour(address(name))
    assert sender is not None and sender[1] == mac(name), sender
    entry = client_neighbour(VIP)
    assert entry is None or entry[1] is None, "the client learned the VIP at %s" % (entry,)


def test_control_arp_announce_0_would_poison_the_client():
    name = REALSERVERS[0]
    set_arp_sysctl(name, "arp_announce", 0)
    try:
        announce_from_vip(name)
        entry = client_neighbour(VIP)
    finally:
        restore(name)
        node(CLIENT).check_output("ip neigh flush dev eth0")
    assert entry is not None and entry[1] == mac(name), \
        "with arp_announce=0 the client should learn the VIP at %s's MAC, got %s" % (name, entry)


def test_a_restarted_real_server_comes_back_the_same():
    name = REALSERVERS[-1]
    h = node(name)
    h.check_output("ip addr del %s/32 dev lo", VIP)  # proves the boot puts it back
    # A new container start is a new network namespace: sysctls back at kernel defaults.
    subprocess.run(["podman", "restart", "--time", "10", name], check=True, capture_output=True)
    assert wait_for(lambda: booted(h), 30), "%s did not boot again" % name
    test_vip_is_on_lo_as_a_host_address(h)
    test_arp_sysctls_are_set_and_persisted(h)
    test_vips_and_web_server_start_at_boot(h)
    test_page_names_the_real_server(name)
    test_nobody_answers_arp_for_the_vip()
