#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ipvs_service
short_description: Manage one IPVS virtual service
version_added: 0.1.0
description:
  - Adds, edits or deletes one IPVS (LVS) virtual service with C(ipvsadm).
  - A service is identified by protocol, address and port, or by firewall mark and address family.
  - An existing service whose settings differ is edited in place (C(ipvsadm -E)), keeping its destinations and connections.
  - Destinations are left alone; manage them with M(lvs.ha.ipvs_destination), or the whole table with M(lvs.ha.ipvs).
author:
  - lvs.ha contributors (@lvs-ha)
options:
  scheduler:
    description:
      - Scheduling algorithm. The kernel loads C(ip_vs_<scheduler>) on first use.
      - V(rr) round robin, V(wrr) weighted round robin, V(lc) least-connection, V(wlc) weighted least-connection,
        V(lblc) locality-based least-connection, V(lblcr) the same with replication, V(dh) destination hashing,
        V(sh) source hashing, V(sed) shortest expected delay, V(nq) never queue, V(fo) weighted failover,
        V(ovf) weighted overflow, V(mh) Maglev hashing.
    type: str
    choices: [rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh]
    default: wlc
  persistent:
    description:
      - Persistence timeout in seconds (1 to 2678400). Requests from one client go to the same destination while
        the client is seen within this time.
      - Omit for a service without persistence.
    type: int
  persistence_netmask:
    description:
      - Persistence granularity, only with O(persistent). Clients in one network of this size share a destination.
      - A prefix length (V(24)), or for IPv4 also a netmask (V(255.255.255.0)). The default is per client address.
      - The alias V(netmask) is the name this option had first.
    type: str
    aliases: [netmask]
  persistence_engine:
    description:
      - Alternative persistence engine, only with O(persistent).
    type: str
    choices: [sip]
  one_packet:
    description:
      - One-packet scheduling (C(ipvsadm -o)) for UDP or firewall-mark services.
    type: bool
    default: false
  sched_flags:
    description:
      - Scheduler flags. V(sh-fallback) and V(sh-port) are for O(scheduler=sh), V(mh-fallback) and V(mh-port) for
        O(scheduler=mh); V(flag-1), V(flag-2), V(flag-3) are the generic names of the same three bits.
      - The module compares and returns the names C(ipvsadm -S) prints for the scheduler.
    type: list
    elements: str
    choices: [sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3]
    default: []
  state:
    description:
      - V(present) adds the service or edits it to match; V(absent) deletes it with all its destinations.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - lvs.ha.ipvs
  - lvs.ha.ipvs.service_key
seealso:
  - module: lvs.ha.ipvs_destination
  - module: lvs.ha.ipvs
  - module: lvs.ha.ipvs_info
'''

EXAMPLES = r'''
- name: Round-robin web service on the VIP
  lvs.ha.ipvs_service:
    address: 192.168.56.40
    port: 80
    scheduler: rr

- name: Persistent HTTPS service, clients grouped by /24
  lvs.ha.ipvs_service:
    protocol: tcp
    address: 192.168.56.40
    port: 443
    scheduler: wlc
    persistent: 600
    persistence_netmask: 255.255.255.0

- name: IPv6 DNS service with source hashing that falls back when a server is down
  lvs.ha.ipvs_service:
    protocol: udp
    address: 2001:db8::53
    port: 53
    scheduler: sh
    sched_flags: [sh-fallback, sh-port]

- name: Firewall-mark service (packets marked 1234 by iptables or nftables)
  lvs.ha.ipvs_service:
    fwmark: 1234
    scheduler: wrr

- name: Remove a service and its destinations
  lvs.ha.ipvs_service:
    address: 192.168.56.40
    port: 8080
    state: absent
'''

RETURN = r'''
commands:
  description: The C(ipvsadm) rule lines applied (in check mode, that would be applied), as fed to C(ipvsadm -R).
  returned: always
  type: list
  elements: str
  sample: ['-E -t 192.168.56.40:80 -s rr']
service:
  description:
    - The service as it is now (in check mode, as it would be); V(null) when O(state=absent).
    - The persistence granularity is returned as C(netmask), a prefix length (or V(null)).
  returned: always
  type: dict
  sample:
    protocol: tcp
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
'''

from dataclasses import replace

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    IpvsError, key_argument_spec, key_from_params, service_argument_spec, service_from_params,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.run import IpvsadmRunner, reconcile


def main():
    argument_spec = key_argument_spec()
    argument_spec.update(service_argument_spec())
    argument_spec.update(state=dict(type='str', choices=['present', 'absent'], default='present'))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    present = module.params['state'] == 'present'

    def desire(current):
        if not present:
            return {}, [key], []
        have = current.get(key)
        # Destinations are not this module's business: keep them as they are.
        return {key: replace(service, destinations=have.destinations if have else {})}, [], []

    try:
        key = key_from_params(module.params)
        service = service_from_params(module.params, destinations=False) if present else None
        result = reconcile(IpvsadmRunner(module), desire, module.check_mode, module._diff)
    except IpvsError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    desired = result.pop('desired')
    del result['current'], result['summary']
    result['service'] = desired[key].to_dict(destinations=False) if present else None
    module.exit_json(**result)


if __name__ == '__main__':
    main()
