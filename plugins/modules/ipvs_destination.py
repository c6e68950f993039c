#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ipvs_destination
short_description: Manage one real server (destination) of an IPVS virtual service
version_added: 0.1.0
description:
  - Adds, edits, drains or deletes one destination (real server) of an existing IPVS virtual service with C(ipvsadm).
  - A destination whose settings differ is edited in place (C(ipvsadm -e)), keeping its connections; a change of
    forwarding method is an edit too.
  - The service must exist; create it with M(lvs.ha.ipvs_service). In check mode a missing service is reported as a
    warning, since an earlier task of the same run may be about to create it.
author:
  - lvs.ha contributors (@lvs-ha)
options:
  address:
    description:
      - Address of the real server, IPv4 or IPv6. It must be of the service's family unless O(forwarding=tunnel).
    type: str
    required: true
  port:
    description:
      - Port on the real server.
      - Defaults to the service port; for a firewall-mark service to V(0), which keeps each packet's destination port.
      - With O(forwarding=dr) or O(forwarding=tunnel) the kernel always uses the service port, so any other value
        is refused; use O(forwarding=nat) to map to another port.
    type: int
  forwarding:
    description:
      - Packet-forwarding method. V(dr) direct routing (gatewaying, C(-g)), V(tunnel) IP tunnelling (C(-i)),
        V(nat) masquerading (C(-m)).
    type: str
    choices: [dr, tunnel, nat]
    default: dr
  weight:
    description:
      - Weight of this real server relative to the others, 0 to 65535. V(0) takes no new connections.
      - Ignored with O(state=drained).
    type: int
    default: 1
  upper_threshold:
    description:
      - Upper connection threshold; no new connections beyond it. V(0) means none.
      - When omitted, an existing destination keeps its threshold and a new one gets V(0).
    type: int
  lower_threshold:
    description:
      - Lower connection threshold below which the server takes connections again after reaching
        O(upper_threshold). V(0) means three quarters of the upper threshold. Any other value needs O(upper_threshold)
        in the same task, at least as large (the kernel's rule); this is checked with every O(state).
      - When omitted, an existing destination keeps its threshold and a new one gets V(0).
    type: int
  tunnel_type:
    description:
      - Encapsulation, with O(forwarding=tunnel) only. Defaults to V(ipip). V(gue) and V(gre) need ipvsadm 1.30 or
        later and a kernel that supports them.
    type: str
    choices: [ipip, gue, gre]
  tunnel_port:
    description:
      - Destination UDP port of the encapsulation, required with O(tunnel_type=gue) and only valid with it.
    type: int
  tunnel_checksum:
    description:
      - Tunnel checksum, with O(tunnel_type=gue) or O(tunnel_type=gre). Defaults to V(nocsum).
        V(remcsum) (remote checksum offload) is for V(gue) only.
    type: str
    choices: [nocsum, csum, remcsum]
  state:
    description:
      - V(present) adds the destination or edits it to match the options.
      - V(drained) sets the weight of an existing destination to V(0) and changes nothing else, so that established
        connections finish while no new ones arrive; a missing destination is added with weight V(0).
      - V(absent) deletes the destination (its connections are dropped).
    type: str
    choices: [present, absent, drained]
    default: present
extends_documentation_fragment:
  - lvs.ha.ipvs
  - lvs.ha.ipvs.service
seealso:
  - module: lvs.ha.ipvs_service
  - module: lvs.ha.ipvs
  - module: lvs.ha.ipvs_info
'''

EXAMPLES = r'''
- name: Direct-routing real server for the web VIP
  lvs.ha.ipvs_destination:
    service:
      address: 192.168.56.40
      port: 80
    address: 192.168.56.41
    weight: 2

- name: Take rs1 out of rotation and let its connections finish
  lvs.ha.ipvs_destination:
    service:
      address: 192.168.56.40
      port: 80
    address: 192.168.56.41
    state: drained

- name: NAT real server on another port, with connection thresholds
  lvs.ha.ipvs_destination:
    service:
      protocol: tcp
      address: 192.168.56.40
      port: 80
    address: 10.0.0.11
    port: 8080
    forwarding: nat
    upper_threshold: 500
    lower_threshold: 400

- name: Real server of an IPv6 firewall-mark service
  lvs.ha.ipvs_destination:
    service:
      fwmark: 1234
      family: ipv6
    address: 2001:db8::41

- name: Remove rs3
  lvs.ha.ipvs_destination:
    service:
      address: 192.168.56.40
      port: 80
    address: 192.168.56.43
    state: absent
'''

RETURN = r'''
commands:
  description: The C(ipvsadm) rule lines applied (in check mode, that would be applied), as fed to C(ipvsadm -R).
  returned: always
  type: list
  elements: str
  sample: ['-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 0']
destination:
  description:
    - The destination as it is now (in check mode, as it would be); V(null) when O(state=absent).
    - Thresholds are V(null) when they were neither given nor read.
  returned: always
  type: dict
  sample:
    address: 192.168.56.41
    port: 80
    forwarding: dr
    weight: 0
    upper_threshold: 0
    lower_threshold: 0
    tunnel_type: null
    tunnel_port: null
    tunnel_checksum: null
'''

from dataclasses import replace

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    IpvsError, destination_argument_spec, destination_from_params, destination_key_from_params, key_argument_spec,
    key_from_params, thresholds_from_params,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import ADD_SERVER, Op, resulting_destination
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.run import IpvsadmRunner, reconcile


class MissingService(IpvsError):
    """The destination's service does not exist (only a warning in check mode)."""


def main():
    argument_spec = destination_argument_spec()
    argument_spec.update(
        service=dict(type='dict', required=True, options=key_argument_spec()),
        state=dict(type='str', choices=['present', 'absent', 'drained'], default='present'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    state = module.params['state']
    params = dict((name, module.params[name]) for name in destination_argument_spec())

    def drained(existing):
        # Draining an existing destination changes its weight only; a missing one is added.
        return replace(existing or destination_from_params(params, key), weight=0)

    def desire(current):
        have = current.get(key)
        if state == 'absent':
            return {}, [], [(key, dest_key)]
        if have is None:
            raise MissingService('service %s does not exist; create it first (lvs.ha.ipvs_service)' % key)
        target = drained(have.destinations.get(dest_key)) if state == 'drained' else dest
        # Same settings as the current service, so only this destination can change.
        return {key: replace(have, destinations={dest_key: target})}, [], []

    try:
        key = key_from_params(module.params['service'], 'service.')
        if state == 'present':
            dest = destination_from_params(params, key)
            dest_key = dest.key
        else:
            # The address and port name the destination; thresholds, if given, must still make
            # sense (drained adds a missing destination with them), whatever the table holds.
            thresholds_from_params(params)
            dest_key = destination_key_from_params(params, key)
        result = reconcile(IpvsadmRunner(module), desire, module.check_mode, module._diff)
    except MissingService as exc:
        if not module.check_mode:
            module.fail_json(msg=str(exc))
        try:
            target = drained(None) if state == 'drained' else dest
        except IpvsError as error:
            module.fail_json(msg=str(error))
        module.exit_json(changed=True, commands=render([Op(ADD_SERVER, key, dest=target)]),
                         destination=resulting_destination(None, target).to_dict(),
                         warnings=['%s; check mode assumes an earlier task creates it' % exc])
    except IpvsError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    desired, current = result.pop('desired'), result.pop('current')
    del result['summary']
    result['destination'] = None
    if state != 'absent':
        have = current[key].destinations.get(dest_key)
        result['destination'] = resulting_destination(have, desired[key].destinations[dest_key]).to_dict()
    module.exit_json(**result)


if __name__ == '__main__':
    main()
