#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ipvs_info
short_description: Read the IPVS table, its counters, timeouts and sync daemons
version_added: 0.1.0
description:
  - Returns the IPVS (LVS) table as structured data, in the shape M(lvs.ha.ipvs) takes, with per-destination
    connection counts and thresholds and, with O(counters), traffic counters and rates.
  - Also returns the connection timeouts and the state of the connection synchronisation daemons.
  - Configuration is read from C(ipvsadm -S -n), the rest from C(ipvsadm -L -n) with C(--thresholds),
    C(--persistent-conn), C(--stats --exact), C(--rate --exact), C(--timeout) and C(--daemon).
  - If the C(ip_vs) kernel module is not loaded, nothing is read and nothing is loaded; RV(loaded) is V(false).
author:
  - lvs.ha contributors (@lvs-ha)
options:
  counters:
    description:
      - Also read the packet, byte and connection counters and rates (two more C(ipvsadm) runs).
      - The kernel adds its per-CPU counters into these totals every 2 seconds (the rate estimator's timer), so
        they can lag by up to 2 seconds; wait that long after traffic (or after C(ipvsadm -Z)) before comparing.
    type: bool
    default: true
  connections:
    description:
      - Also read the connection entries (C(ipvsadm -L -n -c)) into RV(connections) - one more C(ipvsadm) run,
        and a list as long as the connection table.
    type: bool
    default: false
extends_documentation_fragment:
  - lvs.ha.ipvs.info_module
seealso:
  - module: lvs.ha.ipvs
'''

EXAMPLES = r'''
- name: Read the table
  lvs.ha.ipvs_info:
  register: ipvs

- name: Active connections per real server of the web VIP
  ansible.builtin.debug:
    msg: "{{ item.address }}: {{ item.active_connections }}"
  loop: "{{ (ipvs.services | selectattr('address', '==', '192.168.56.40') | first).destinations }}"

- name: Wait until a drained real server has no connections left
  lvs.ha.ipvs_info:
    counters: false
  register: ipvs
  until: >-
    ipvs.services | map(attribute='destinations') | flatten
    | selectattr('address', '==', '192.168.56.41')
    | map(attribute='active_connections') | sum == 0
  retries: 30
  delay: 10
'''

RETURN = r'''
loaded:
  description: Whether the C(ip_vs) kernel module was loaded. When V(false) the other values are empty.
  returned: always
  type: bool
  sample: true
rules:
  description: The table as C(ipvsadm -S -n) printed it, one rule per item; what C(ipvsadm -R) restores.
  returned: always
  type: list
  elements: str
  sample: ['-A -t 192.168.56.40:80 -s rr', '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1']
services:
  description: The virtual services.
  returned: always
  type: list
  elements: dict
  contains:
    protocol:
      description: V(tcp), V(udp) or V(sctp); V(null) for a firewall-mark service.
      type: str
    address:
      description: Virtual address; V(null) for a firewall-mark service.
      type: str
    port:
      description: Virtual port; V(null) for a firewall-mark service.
      type: int
    fwmark:
      description: Firewall mark, or V(null).
      type: int
    family:
      description: V(ipv4) or V(ipv6).
      type: str
    scheduler:
      description: Scheduling algorithm.
      type: str
    persistent:
      description: Persistence timeout in seconds, or V(null).
      type: int
    netmask:
      description: Persistence granularity as a prefix length, or V(null) (per client address).
      type: int
    persistence_engine:
      description: Persistence engine, or V(null).
      type: str
    one_packet:
      description: Whether one-packet scheduling is on.
      type: bool
    sched_flags:
      description: Scheduler flags.
      type: list
      elements: str
    stats:
      description:
        - Totals since the service was added (or zeroed); with O(counters).
        - Keys V(connections), V(packets_in), V(packets_out), V(bytes_in), V(bytes_out).
      type: dict
      returned: when O(counters=true)
    rates:
      description:
        - Per-second rates, same keys as RV(services[].stats); with O(counters).
      type: dict
      returned: when O(counters=true)
    destinations:
      description: The real servers.
      type: list
      elements: dict
      contains:
        address:
          description: Real server address.
          type: str
        port:
          description: Real server port.
          type: int
        forwarding:
          description: V(dr), V(tunnel) or V(nat).
          type: str
        weight:
          description: Weight; V(0) is drained.
          type: int
        upper_threshold:
          description: Upper connection threshold (V(0) none).
          type: int
        lower_threshold:
          description: Lower connection threshold.
          type: int
        tunnel_type:
          description: Tunnel encapsulation with V(tunnel) forwarding, else V(null).
          type: str
        tunnel_port:
          description: GUE port, or V(null).
          type: int
        tunnel_checksum:
          description: Tunnel checksum mode for GUE and GRE, or V(null).
          type: str
        active_connections:
          description: Active connections (ActiveConn).
          type: int
        inactive_connections:
          description: Inactive connections (InActConn).
          type: int
        persistent_connections:
          description: Persistence templates pointing at this server (PersistConn).
          type: int
        stats:
          description: Totals, same keys as RV(services[].stats).
          type: dict
          returned: when O(counters=true)
        rates:
          description: Per-second rates, same keys as RV(services[].stats).
          type: dict
          returned: when O(counters=true)
  sample:
    - protocol: tcp
      address: 192.168.56.40
      port: 80
      fwmark: null
      family: ipv4
      scheduler: rr
      persistent: null
      netmask: null
      persistence_engine: null
      one_packet: false
      sched_flags: []
      stats: {connections: 12, packets_in: 72, packets_out: 0, bytes_in: 4823, bytes_out: 0}
      rates: {connections: 0, packets_in: 0, packets_out: 0, bytes_in: 0, bytes_out: 0}
      destinations:
        - address: 192.168.56.41
          port: 80
          forwarding: dr
          weight: 1
          upper_threshold: 0
          lower_threshold: 0
          tunnel_type: null
          tunnel_port: null
          tunnel_checksum: null
          active_connections: 0
          inactive_connections: 4
          persistent_connections: 0
          stats: {connections: 4, packets_in: 24, packets_out: 0, bytes_in: 1607, bytes_out: 0}
          rates: {connections: 0, packets_in: 0, packets_out: 0, bytes_in: 0, bytes_out: 0}
timeouts:
  description: Connection timeouts in seconds (C(ipvsadm --set)); V(null) when RV(loaded) is V(false).
  returned: always
  type: dict
  sample: {tcp: 900, tcp_fin: 120, udp: 300}
connections:
  description:
    - The connection entries (C(ipvsadm -L -n -c)), the synced ones included; with O(connections).
    - The C(flow) of an entry (protocol, client and virtual address and port) names a connection the same way on
      every director.
  returned: when O(connections=true)
  type: list
  elements: dict
  sample:
    - {protocol: tcp, state: ESTABLISHED, expires: 899, client: 192.168.56.1, client_port: 33120,
       virtual: 192.168.56.40, virtual_port: 80, destination: 192.168.56.43, destination_port: 80,
       flow: tcp 192.168.56.1:33120 192.168.56.40:80}
sync_daemons:
  description: Running connection synchronisation daemons; empty when none runs.
  returned: always
  type: list
  elements: dict
  sample:
    - {state: master, interface: ens4, syncid: 51, maxlen: 1472, group: 224.0.0.81, port: 8848, ttl: 1}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import IpvsError
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.run import IpvsadmRunner, read_info


def main():
    module = AnsibleModule(argument_spec=dict(counters=dict(type='bool', default=True),
                                              connections=dict(type='bool', default=False)),
                           supports_check_mode=True)
    try:
        info = read_info(IpvsadmRunner(module), module.params['counters'], module.params['connections'])
    except IpvsError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(changed=False, **info)


if __name__ == '__main__':
    main()
