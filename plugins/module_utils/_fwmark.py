# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Firewall-mark rules for colocated directors/real servers (pure, standard library only).

PRIVATE module_utils: not a public API, may change without notice.

When the same hosts are directors and real servers, the active director's IPVS must
balance only traffic from outside the cluster: a packet it forwarded to a peer carries
the VIP as destination too and would be balanced again by the peer, in a loop. So in
mangle PREROUTING, packets for a service get the service's firewall mark unless their
source MAC is another cluster node's, and IPVS defines the service by that mark.

iptables negates only one MAC per rule, so the rules live in a chain of their own: one
RETURN per other node's MAC, then one MARK per service. nftables uses a set of MACs.
The first rule of either carries a comment with a hash of the whole rule set, so a
host can tell cheaply and exactly whether its live rules are the wanted ones.
"""

from __future__ import annotations

import hashlib
import json
import re

CHAIN = 'LVS-HA'
NFT_TABLE = 'lvs_ha'
MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')


class FwmarkError(ValueError):
    """Invalid input; the message names the variable and the host."""


def node_view(nodes, host):
    """The MACs a node must not mark: every other node's (sorted, de-duplicated).

    :param nodes: list of {host, mac, interface}, MACs normalised to lower-case colon form.
    :param host: the node whose view is wanted (must be one of ``nodes``).
    """
    names = [n['host'] for n in nodes]
    if host not in names:
        raise FwmarkError('lvs_colocated_group: host %s is not a cluster node (nodes: %s)'
                          % (host, ', '.join(names)))
    owners = {}
    for node in nodes:
        mac = node.get('mac')
        if not isinstance(mac, str) or not MAC_RE.match(mac):
            raise FwmarkError('lvs_mac: host %s has no usable MAC address (%r)' % (node['host'], mac))
        if mac in owners:
            raise FwmarkError('lvs_mac: hosts %s and %s have the same MAC address %s'
                              % (owners[mac], node['host'], mac))
        owners[mac] = node['host']
    return sorted(n['mac'] for n in nodes if n['host'] != host)


def build_rules(services, nodes, host):
    """Structured rules for ``host``: one per service, with the MACs to exclude.

    :param services: normalised services, each with a ``fwmark``.
    :returns: dict with ``host``, ``interface``, ``exclude_macs``, ``rules`` and ``hash``.
    """
    exclude = node_view(nodes, host)
    interface = next(n['interface'] for n in nodes if n['host'] == host)
    rules = []
    owners = {}
    for service in services:
        mark = service.get('fwmark')
        if mark is None:
            raise FwmarkError('lvs_virtual_services (host %s): service %s has no fwmark'
                              % (host, service['name']))
        if mark in owners:
            raise FwmarkError('lvs_virtual_services (host %s): fwmark %d of service %s collides with service %s'
                              % (host, mark, service['name'], owners[mark]))
        owners[mark] = service['name']
        if service.get('port') is None:
            raise FwmarkError('lvs_virtual_services (host %s): service %s needs a port to be marked'
                              % (host, service['name']))
        rules.append({
            'service': service['name'],
            'mark': mark,
            'vip': service['vip'],
            'family': service['family'],
            'protocol': service['protocol'],
            'port': service['port'],
        })
    digest = hashlib.sha256(json.dumps({'interface': interface, 'exclude': exclude, 'rules': rules},
                                       sort_keys=True).encode('utf-8')).hexdigest()[:16]
    return {'host': host, 'interface': interface, 'exclude_macs': exclude, 'rules': rules, 'hash': digest}


def marker(ruleset):
    """The comment carried by the first rule: identifies the rule set."""
    return 'lvs-ha %s' % ruleset['hash']


def render_iptables(ruleset, family='ipv4', chain=CHAIN):
    """``iptables-restore --noflush`` input for one family (declaring the chain flushes it).

    The jump from PREROUTING is not included (``--noflush`` would append it again on
    every run); it is added separately after a ``-C`` check.
    """
    rules = [r for r in ruleset['rules'] if r['family'] == family]
    prefix = '32' if family == 'ipv4' else '128'
    lines = ['*mangle', ':%s - [0:0]' % chain,
             '-A %s -m comment --comment "%s"' % (chain, marker(ruleset))]
    for mac in ruleset['exclude_macs']:
        lines.append('-A %s -m mac --mac-source %s -j RETURN' % (chain, mac))
    for rule in rules:
        lines.append('-A %s -d %s/%s -p %s -m %s --dport %d -j MARK --set-mark %d'
                     % (chain, rule['vip'], prefix, rule['protocol'], rule['protocol'], rule['port'], rule['mark']))
    lines.append('COMMIT')
    return '\n'.join(lines) + '\n'


def render_nft(ruleset, table=NFT_TABLE):
    """``nft -f`` input replacing table ``inet <table>`` atomically."""
    interface = ruleset['interface']
    lines = [
        'table inet %s' % table,
        'delete table inet %s' % table,
        'table inet %s {' % table,
        '  set cluster_macs {',
        '    type ether_addr',
    ]
    if ruleset['exclude_macs']:
        lines.append('    elements = { %s }' % ', '.join(ruleset['exclude_macs']))
    lines += [
        '  }',
        '  chain prerouting {',
        '    type filter hook prerouting priority mangle; policy accept;',
        '    counter comment "%s"' % marker(ruleset),
        '    iifname "%s" ether saddr @cluster_macs counter return' % interface,
    ]
    # Every rule counts its packets, as iptables rules do: `nft list table inet lvs_ha`
    # shows what was returned and what was marked.
    for rule in ruleset['rules']:
        lines.append('    iifname "%s" %s daddr %s %s dport %d counter meta mark set %d'
                     % (interface, 'ip' if rule['family'] == 'ipv4' else 'ip6', rule['vip'],
                        rule['protocol'], rule['port'], rule['mark']))
    lines += ['  }', '}']
    return '\n'.join(lines) + '\n'


def fwmark_rules(services, nodes, host, chain=CHAIN, table=NFT_TABLE):
    """Structured rules plus their renderings for ``host``.

    :returns: dict: ``host``, ``interface``, ``hash``, ``marker``, ``exclude_macs``,
        ``rules``, ``chain``, ``table``, ``families`` and the renderings
        ``iptables``/``ip6tables`` (``''`` when the family has no service) and ``nft``.
    """
    ruleset = build_rules(services, nodes, host)
    families = sorted(set(r['family'] for r in ruleset['rules']))
    ruleset.update({
        'chain': chain,
        'table': table,
        'marker': marker(ruleset),
        'families': families,
        'iptables': render_iptables(ruleset, 'ipv4', chain) if 'ipv4' in families else '',
        'ip6tables': render_iptables(ruleset, 'ipv6', chain) if 'ipv6' in families else '',
        'nft': render_nft(ruleset, table),
    })
    return ruleset
