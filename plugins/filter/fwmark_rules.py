# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fwmark_rules
short_description: Firewall-mark rules that stop the forwarding loop of colocated directors
version_added: 0.1.0
author: lvs.ha contributors
description:
  - When the same hosts are directors and real servers (LVS-DR), a packet forwarded by the
    active director to a peer would be balanced again by the peer's IPVS. The fix is to
    mark, in mangle PREROUTING, only the packets for a service whose source MAC is not a
    cluster node's, and to define the IPVS service by that mark.
  - This filter computes those rules for one node from the inventory - the services
    (normalised with firewall marks, see P(lvs.ha.virtual_services#filter)), and the MAC address
    of every node of O(group) on its C(lvs_interface), taken from C(lvs_mac) or the gathered
    facts (C(ansible_facts[<interface>].macaddress)).
  - A node's view excludes every other node's MAC - as one RETURN rule per MAC in a chain of
    its own for iptables (which negates only one MAC per rule), as a set for nftables.
  - Marks not given in C(fwmark) are allocated deterministically - C(fwmark_base) plus the CRC32
    of the service name modulo 1000, probing upwards on collision, in service-name order - so
    every node computes the same marks and adding or reordering services moves no mark.
  - Fails naming the host for a missing or duplicate MAC, a host outside the group, and
    colliding marks.
positional: hostvars, groups, host
options:
  _input:
    description: The C(lvs_virtual_services) list (raw; normalised here with marks).
    type: list
    elements: dict
    required: true
  host:
    description: The node whose rules are wanted (C(inventory_hostname)).
    type: str
    required: true
  group:
    description: The group of colocated nodes (directors and real servers at once).
    type: str
    default: lvs_colocated
  interface:
    description: Default C(lvs_interface) for hosts that set none.
    type: str
  fwmark_base:
    description: First mark of the allocation range.
    type: int
    default: 1000
  drained:
    description: Passed to P(lvs.ha.virtual_services#filter).
    type: list
    elements: str
    default: []
  removed:
    description: Passed to P(lvs.ha.virtual_services#filter).
    type: list
    elements: str
    default: []
  chain:
    description: Name of the iptables chain in the mangle table.
    type: str
    default: LVS-HA
  table:
    description: Name of the nftables table (family C(inet)).
    type: str
    default: lvs_ha
extends_documentation_fragment:
  - lvs.ha.inventory
"""

EXAMPLES = r"""
- name: Rules for this node
  ansible.builtin.set_fact:
    rules: "{{ lvs_virtual_services | lvs.ha.fwmark_rules(hostvars, groups, inventory_hostname) }}"

- name: Write them for iptables-restore --noflush
  ansible.builtin.copy:
    content: "{{ rules.iptables }}"
    dest: /etc/lvs-ha/fwmark.iptables
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The rules of O(host).
  type: dict
  contains:
    host:
      description: The node.
      type: str
    interface:
      description: The node's C(lvs_interface), where the rules match.
      type: str
    exclude_macs:
      description: The other nodes' MACs (lower case), which are never marked.
      type: list
      elements: str
    nodes:
      description: Every node with C(host), C(mac) and C(interface).
      type: list
      elements: dict
    rules:
      description: One per service - C(service), C(mark), C(vip), C(family), C(protocol), C(port).
      type: list
      elements: dict
    services:
      description: The services normalised with their marks, as P(lvs.ha.virtual_services#filter) returns them.
      type: list
      elements: dict
    hash:
      description: Hash of the rule set; the first rule carries it as a comment (see C(marker)).
      type: str
    marker:
      description: The comment of the first rule, C(lvs-ha <hash>).
      type: str
    families:
      description: Address families with rules (C(ipv4), C(ipv6)).
      type: list
      elements: str
    chain:
      description: The iptables chain.
      type: str
    table:
      description: The nftables table.
      type: str
    iptables:
      description: C(iptables-restore --noflush) input for IPv4 (empty without IPv4 services).
      type: str
    ip6tables:
      description: C(ip6tables-restore --noflush) input for IPv6 (empty without IPv6 services).
      type: str
    nft:
      description: C(nft -f) input that replaces the table atomically.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.module_utils._fwmark import CHAIN, NFT_TABLE
from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError, Hosts, fwmark_of, normalise_services


def fwmark_rules(services, hostvars, groups, host, group='lvs_colocated', interface=None, fwmark_base=1000,
                 drained=None, removed=None, chain=CHAIN, table=NFT_TABLE):
    try:
        hosts = Hosts(hostvars, groups, interface)
        normalised = normalise_services(services, hostvars, groups, host=host, realservers_group=group,
                                        interface=interface, use_fwmarks=True, fwmark_base=fwmark_base,
                                        drained=drained, removed=removed, hosts=hosts)
        result = fwmark_of(normalised, hosts, {'lvs_colocated_group': group, 'lvs_colocated_chain': chain,
                                               'lvs_colocated_nft_table': table}, host)
    except ModelError as exc:
        raise AnsibleFilterError('lvs.ha.fwmark_rules: %s' % exc)
    result['services'] = normalised
    return result


class FilterModule:
    def filters(self):
        return {'fwmark_rules': fwmark_rules}
