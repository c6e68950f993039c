"""fwmark: three colocated nodes (lvs.ha.colocated, VRRP only) and a client.

The colocated role marks packets for a service unless their source MAC is another
node's. Proved with packets on the node that holds the VIP: a request from the client
(a MAC outside the cluster) is marked; the same request from another node, as that
node's IPVS would forward it (its own MAC, the VIP as destination), is not. Seen twice:
by a probe that counts marked and unmarked packets for the service where IPVS would
look at them (the input hook), and by the counters of the role's own RETURN and MARK
rules.

The backend comes from LVSHA_FWMARK_BACKEND: iptables (the default; scenario fwmark) or
nftables (scenario fwmark-nft, which sets it for these tests and for the role).
"""

import functools
import os
import re

import testinfra

BACKEND = os.environ.get("LVSHA_FWMARK_BACKEND") or "iptables"
VIP = "10.251.56.40"
PORT = 80
NODES = ["node1", "node2", "node3"]
CLIENT = "client"
CHAIN = "LVS-HA"  # lvs_colocated_chain
TABLE = "lvs_ha"  # lvs_colocated_nft_table
SCRIPT = "/usr/local/sbin/lvs-ha-fwmark"

testinfra_hosts = ["podman://" + name for name in NODES]

# A TCP SYN in an Ethernet frame sent on a packet socket, so that it leaves with this
# node's MAC even though the VIP is local here (on lo) and a normal connect() to it
# would never reach the wire. Arguments: interface, source IP, destination MAC and IP, port.
SEND_SYN = r"""
import os, socket, struct, sys

def checksum(data):
    data += b'\0' * (len(data) % 2)
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

iface, src, dst_mac, dst, port = sys.argv[1:5] + [int(sys.argv[5])]
src_mac = open('/sys/class/net/%s/address' % iface).read().strip()
src_ip, dst = socket.inet_aton(src), socket.inet_aton(dst)
tcp = struct.pack('!HHIIBBHHH', 40000 + os.getpid() % 20000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
tcp = tcp[:16] + struct.pack('!H', checksum(src_ip + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), os.getpid() & 0xffff, 0, 64, 6, 0, src_ip, dst)
ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
frame = bytes.fromhex(dst_mac.replace(':', '')) + bytes.fromhex(src_mac.replace(':', '')) + b'\x08\x00'
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind((iface, 0))
raw.send(frame + ip + tcp)
print(src, src_mac)
"""


def node(name):
    return testinfra.get_host("podman://" + name)


@functools.lru_cache(maxsize=None)  # fixed for the container's life (create.yml)
def mac(name):
    return node(name).file("/sys/class/net/eth0/address").content_string.strip()


@functools.lru_cache(maxsize=None)
def address(name):
    out = node(name).check_output("ip -4 -o addr show dev eth0 scope global")
    return re.search(r"inet (\S+)/", out).group(1)


def send_syn(name, to):
    """One TCP SYN from name's own address and MAC to the VIP, at the MAC of node to."""
    sent = node(name).check_output("python3 -c %s eth0 %s %s %s %s", SEND_SYN, address(name), mac(to), VIP, str(PORT))
    assert sent.split() == [address(name), mac(name)]


def holds_vip_on_eth0(name):
    return (" %s/" % VIP) in node(name).check_output("ip -4 -o addr show dev eth0")


def vip_holder():
    holders = [name for name in NODES if holds_vip_on_eth0(name)]
    assert len(holders) == 1, "VRRP: %s on eth0 of %s" % (VIP, holders or "no node")
    return holders[0]


def chain_rules(name):
    """The chain's rules as iptables-save prints them, without counters, in order."""
    out = node(name).check_output("iptables -t mangle -S %s", CHAIN)
    return [line for line in out.splitlines() if line.startswith("-A ")]


def counters(name):
    """{rule: packets} for the chain's rules and the PREROUTING jumps to it."""
    out = node(name).check_output("iptables-save -c -t mangle")
    found = {}
    for packets, rule in re.findall(r"^\[(\d+):\d+\] (-A .*)$", out, re.M):
        if rule.startswith("-A %s " % CHAIN) or rule.endswith("-j %s" % CHAIN):
            found[rule] = int(packets)
    return found


def mark_rule(rules):
    marks = [r for r in rules if "-j MARK" in r]
    assert len(marks) == 1, rules
    return marks[0]


def return_rule(rules, mac_address):
    found = [r for r in rules if "--mac-source %s " % mac_address in r.lower() + " " and r.endswith("-j RETURN")]
    assert len(found) == 1, (mac_address, rules)
    return found[0]


def mark_of(rule):
    return int(re.search(r"--set-x?mark (0x[0-9a-f]+|\d+)", rule).group(1), 0)


def nft_table(name):
    """The role's nftables table: (other nodes' MACs in the set, chain rules, text)."""
    text = node(name).check_output("nft list table inet %s", TABLE)
    elements = re.search(r"elements = \{([^}]*)\}", text)
    macs = sorted(m.strip().lower() for m in elements.group(1).split(",")) if elements else []
    chain = re.search(r"chain prerouting \{\n(.*?)\n\s*\}", text, re.S).group(1)
    rules = [line.strip() for line in chain.splitlines() if line.strip() and not line.strip().startswith("type ")]
    return macs, rules, text


def service_mark(name):
    """The firewall mark the role set for the service on this node."""
    if BACKEND == "nftables":
        return int(re.search(r"meta mark set (0x[0-9a-f]+|\d+)", nft_table(name)[2]).group(1), 0)
    return mark_of(mark_rule(chain_rules(name)))


class MarkProbe:
    """Counts the packets for VIP:PORT that reach the input hook, marked and unmarked.

    An nftables table of the test's own, at priority 10 of the input hook: after the
    mangle rules, before IPVS (whose fwmark services look at the mark in LOCAL_IN).
    It works with either backend (iptables here is iptables-nft; marks are the packet's).
    """

    TABLE = "lvsha_molecule_probe"

    def __init__(self, name, mark):
        self.host = node(name)
        self.mark = mark

    def __enter__(self):
        match = "ip daddr %s tcp dport %d" % (VIP, PORT)
        self.host.check_output(
            "nft -f - <<'EOF'\n"
            "table inet {t} {{\n"
            "  chain input {{\n"
            "    type filter hook input priority 10; policy accept;\n"
            "    {m} meta mark {k} counter comment \"marked\"\n"
            "    {m} meta mark != {k} counter comment \"unmarked\"\n"
            "  }}\n"
            "}}\n"
            "EOF".format(t=self.TABLE, m=match, k=self.mark))
        return self

    def __exit__(self, *exc):
        self.host.check_output("nft delete table inet %s", self.TABLE)

    def packets(self):
        """{'marked': n, 'unmarked': n}"""
        text = self.host.check_output("nft list table inet %s", self.TABLE)
        return {kind: int(n) for n, kind in re.findall(r"counter packets (\d+) bytes \d+ comment \"(\w+)\"", text)}


def test_rules_are_the_roles_and_not_duplicated(host):
    """After converge and the idempotence run: the rule set once, nothing twice."""
    name = host.backend.hostname
    others = sorted(mac(other) for other in NODES if other != name)
    if BACKEND == "nftables":
        tables = re.findall(r"^table inet %s$" % TABLE, host.check_output("nft list tables"), re.M)
        assert len(tables) == 1
        macs, rules, text = nft_table(name)
        assert macs == others, text
        # the comment rule with the rule set's hash, the RETURN for the set, one MARK per service
        assert len(rules) == 3, text
        assert re.search(r'counter packets \d+ bytes \d+ comment "lvs-ha [0-9a-f]{16}"', rules[0]), rules[0]
        assert re.fullmatch(r'iifname "eth0" ether saddr @cluster_macs counter packets \d+ bytes \d+ return',
                            rules[1]), rules[1]
        assert re.search(r'iifname "eth0" ip daddr %s tcp dport %d counter packets \d+ bytes \d+ '
                         r'meta mark set 0x[0-9a-f]+$'
                         % (re.escape(VIP), PORT), rules[2]), rules[2]
        assert host.run("iptables -t mangle -S %s", CHAIN).rc != 0, "the iptables chain exists too"
    else:
        rules = chain_rules(name)
        # the comment rule with the rule set's hash, one RETURN per other node, one MARK per service
        assert len(rules) == 1 + len(others) + 1, "\n".join(rules)
        assert re.search(r'--comment "?lvs-ha [0-9a-f]{16}"?', rules[0]), rules[0]
        assert [re.search(r"--mac-source (\S+)", r).group(1).lower() for r in rules[1:-1]] == others
        assert all(r.endswith("-j RETURN") for r in rules[1:-1])
        assert re.search(r"-d %s/32 -p tcp -m tcp --dport %d -j MARK --set-x?mark (0x[0-9a-f]+|\d+)"
                         % (re.escape(VIP), PORT), rules[-1]), rules[-1]
        jumps = [line for line in host.check_output("iptables -t mangle -S PREROUTING").splitlines()
                 if line.endswith("-j %s" % CHAIN)]
        assert jumps == ["-A PREROUTING -i eth0 -j %s" % CHAIN]
        assert host.run("nft list table inet %s", TABLE).rc != 0, "the nftables table exists too"
    assert host.run("%s check", SCRIPT).rc == 0


def test_every_node_computed_the_same_mark():
    assert len({service_mark(name) for name in NODES}) == 1


def test_marks_are_set_again_at_boot(host):
    unit = host.service("lvs-ha-fwmark")
    assert unit.is_enabled and unit.is_running


def test_vip_is_held_by_one_node_and_on_every_lo():
    vip_holder()
    for name in NODES:
        assert re.search(r"inet %s/32 .* lo\b" % re.escape(VIP), node(name).check_output("ip -4 -o addr show dev lo"))


def rule_counters(name):
    """{rule: packets} of the role's rules on either backend (nftables: the rule's text
    with its counter's figures left out)."""
    if BACKEND == "iptables":
        return counters(name)
    found = {}
    for rule in nft_table(name)[1]:
        packets = re.search(r"counter packets (\d+) bytes \d+", rule)
        if packets:
            found[rule.replace(packets.group(0), "counter")] = int(packets.group(1))
    return found


def marked(found):
    """Packets of the one MARK rule in rule_counters() output."""
    rules = [r for r in found if "-j MARK" in r or "meta mark set" in r]
    assert len(rules) == 1, found
    return found[rules[0]]


def returned(found, mac_address):
    """Packets returned unmarked for frames from mac_address. nftables: one rule for the
    whole set of the other nodes' MACs, in the inet family, so it also counts whatever
    else those nodes send (IPv6 neighbour discovery, say); iptables: IPv4 only, per MAC."""
    if BACKEND == "iptables":
        return found[return_rule(list(found), mac_address)]
    rules = [r for r in found if "@cluster_macs" in r and r.endswith(" return")]
    assert len(rules) == 1, (mac_address, found)
    return found[rules[0]]


def test_request_from_the_client_is_marked():
    holder = vip_holder()
    before = rule_counters(holder)
    with MarkProbe(holder, service_mark(holder)) as probe:
        page = node(CLIENT).check_output("curl -sS --max-time 5 http://%s:%s/", VIP, str(PORT))
        seen = probe.packets()
    assert "<h1>%s</h1>" % holder in page, page  # no IPVS here: the holder serves it itself
    assert seen["marked"] >= 3 and seen["unmarked"] == 0, seen  # handshake, request, ...
    after = rule_counters(holder)
    assert marked(after) - marked(before) >= 3, (before, after)
    if BACKEND == "iptables":  # nftables' RETURN counts the other nodes' own packets too
        assert all(returned(after, mac(other)) == returned(before, mac(other))
                   for other in NODES if other != holder), (before, after)


def test_requests_forwarded_by_the_other_nodes_are_not_marked():
    holder = vip_holder()
    for peer in [name for name in NODES if name != holder]:
        before = rule_counters(holder)
        with MarkProbe(holder, service_mark(holder)) as probe:
            send_syn(peer, holder)
            seen = probe.packets()
        assert seen == {"marked": 0, "unmarked": 1}, (peer, seen)
        after = rule_counters(holder)
        # nftables: at least the SYN (its RETURN rule also counts the peers' own packets)
        extra = returned(after, mac(peer)) - returned(before, mac(peer))
        assert extra == 1 if BACKEND == "iptables" else extra >= 1, (peer, before, after)
        assert marked(after) == marked(before), (peer, before, after)


def test_same_frame_from_the_client_is_marked():
    """Control for the test above: the identical SYN, sent by a MAC outside the cluster."""
    holder = vip_holder()
    with MarkProbe(holder, service_mark(holder)) as probe:
        send_syn(CLIENT, holder)
        seen = probe.packets()
    # the SYN, and the client's RST to the unexpected SYN-ACK
    assert seen["marked"] >= 1 and seen["unmarked"] == 0, seen


def other_backend_present(host):
    """Whether the rules of the backend not configured exist on the host."""
    if BACKEND == "nftables":
        return host.run("iptables -t mangle -S %s", CHAIN).rc == 0
    return host.run("nft list table inet %s", TABLE).rc == 0


def test_rules_of_the_other_backend_are_removed(host):
    """As after a switch of lvs_colocated_firewall_backend: the other backend's rules, left
    behind, make `check` report a difference, and `start` removes them."""
    if BACKEND == "nftables":
        leftover = "iptables -t mangle -N %s" % CHAIN
    else:
        leftover = "nft add table inet %s" % TABLE
    assert not other_backend_present(host)
    assert host.run("%s check", SCRIPT).rc == 0
    host.check_output(leftover)
    try:
        assert other_backend_present(host)
        assert host.run("%s check", SCRIPT).rc == 1
        host.check_output("%s start", SCRIPT)
        assert not other_backend_present(host)
        assert host.run("%s check", SCRIPT).rc == 0
    finally:
        if other_backend_present(host):  # leave the node as found, whatever failed
            host.run("iptables -t mangle -X %s" % CHAIN if BACKEND == "nftables" else "nft delete table inet %s" % TABLE)
