# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: virtual_services
short_description: Normalise and validate lvs_virtual_services
version_added: 0.1.0
author: lvs.ha contributors
description:
  - Turns the user's O(_input) (the C(lvs_virtual_services) variable) into fully defaulted
    services whose real servers are resolved to addresses.
  - A real server given as an inventory host resolves to its C(lvs_address) (C(lvs_address6)
    for an IPv6 VIP), else to the address of its C(lvs_interface) in its gathered facts.
  - A service without C(realservers) takes the hosts of its C(realservers_group), by default
    the group named by O(realservers_group).
  - Fails with a message naming the variable and the host on any invalid or missing data.
    The logic lives in C(plugins/module_utils/_model.py); the keys are described in the
    collection's C(docs/variables.md).
positional: hostvars, groups
options:
  _input:
    description: The C(lvs_virtual_services) list.
    type: list
    elements: dict
    required: true
  host:
    description: The host evaluating the filter (C(inventory_hostname)), named in errors.
    type: str
  realservers_group:
    description: Default group of real servers.
    type: str
    default: lvs_realservers
  interface:
    description: Default C(lvs_interface) for hosts that set none.
    type: str
  fwmarks:
    description:
      - Define every service by a firewall mark (colocated mode); marks not given are
        allocated deterministically from the service name (see P(lvs.ha.fwmark_rules#filter)).
    type: bool
    default: false
  fwmark_base:
    description: First mark of the allocation range (1000 marks wide).
    type: int
    default: 1000
  drained:
    description: Real servers (inventory names or addresses) whose weight becomes 0.
    type: list
    elements: str
    default: []
  removed:
    description: Real servers (inventory names or addresses) left out of every service.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - lvs.ha.inventory
"""

EXAMPLES = r"""
- name: Normalise the services for this director
  ansible.builtin.set_fact:
    services: "{{ lvs_virtual_services | lvs.ha.virtual_services(hostvars, groups, host=inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description:
    - One dict per service with the keys C(name), C(vip), C(family) (C(ipv4)/C(ipv6)), C(protocol),
      C(port), C(fwmark), C(scheduler), C(sched_flags), C(persistent), C(persistence_netmask),
      C(forwarding), C(realserver_port), C(delay_loop), C(inhibit_on_failure), C(quorum),
      C(hysteresis), C(sorry_server), C(health_check) and C(realservers).
    - Each real server has C(name), C(host) (inventory name or null), C(address), C(port),
      C(weight), C(upper_threshold) and C(lower_threshold).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError, normalise_services


def virtual_services(services, hostvars, groups, host=None, realservers_group='lvs_realservers', interface=None,
                     fwmarks=False, fwmark_base=1000, drained=None, removed=None):
    try:
        return normalise_services(services, hostvars, groups, host=host, realservers_group=realservers_group,
                                  interface=interface, use_fwmarks=fwmarks, fwmark_base=fwmark_base,
                                  drained=drained, removed=removed)
    except ModelError as exc:
        raise AnsibleFilterError('lvs.ha.virtual_services: %s' % exc)


class FilterModule:
    def filters(self):
        return {'virtual_services': virtual_services}
