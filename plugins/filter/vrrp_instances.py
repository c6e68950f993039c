# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vrrp_instances
short_description: The keepalived VRRP instances of a director
version_added: 0.1.0
author: lvs.ha contributors
description:
  - From the normalised services (output of P(lvs.ha.virtual_services#filter)) and the C(lvs_vrrp_*)
    settings, computes the VRRP instances of one director; one instance per address family of
    the VIPs (keepalived speaks VRRPv3 for IPv6).
  - Priorities default to C(150 - 10 * index) in the directors group, so the group's first host
    is the master; a host's C(lvs_vrrp_priority) overrides it. Priorities must be distinct.
  - With unicast, the peers are the other directors' addresses (see C(lvs_address)).
positional: hostvars, groups
options:
  _input:
    description: Normalised services.
    type: list
    elements: dict
    required: true
  host:
    description: The director (C(inventory_hostname)).
    type: str
    required: true
  group:
    description: The group of directors that share the VIPs.
    type: str
    default: lvs_directors
  settings:
    description:
      - The C(lvs_vrrp_*) variables without their prefix - C(virtual_router_id), C(advert_int),
        C(version), C(priority), C(state), C(nopreempt), C(preempt_delay), C(unicast), C(interface),
        C(track_interfaces), C(track_scripts), C(notify), C(auth_pass), C(extra_vips), C(instance_name).
    type: dict
    default: {}
  with_peers:
    description: Resolve the other directors' addresses (C(peers)) even without unicast.
    type: bool
    default: false
extends_documentation_fragment:
  - lvs.ha.inventory
"""

EXAMPLES = r"""
- name: VRRP instances of this director
  ansible.builtin.set_fact:
    vrrp: >-
      {{ services | lvs.ha.vrrp_instances(hostvars, groups, host=inventory_hostname,
         settings={'virtual_router_id': 51, 'advert_int': 1}) }}
"""

RETURN = r"""
_value:
  description:
    - C(instances) - list of dicts C(name), C(family), C(interface), C(virtual_router_id), C(priority),
      C(state), C(advert_int), C(version), C(nopreempt), C(preempt_delay), C(vips) (with prefix length),
      C(unicast_src_ip), C(unicast_peers), C(peers) (C(host), C(family), C(address)), C(track_interfaces), C(track_scripts), C(notify), C(auth_pass).
    - C(sync_group) - with instances of both families, C(name) and C(instances) (their names) of the
      C(vrrp_sync_group) that moves them together; C(None) with one family.
    - C(track_scripts) - normalised C(vrrp_script) definitions.
    - C(priorities) - host to priority for every director; C(master) - the host with the highest priority.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError, vrrp_instances as _vrrp_instances


def vrrp_instances(services, hostvars, groups, host=None, group='lvs_directors', settings=None, with_peers=False):
    try:
        return _vrrp_instances(services or [], hostvars, groups, host, group, settings or {}, with_peers=with_peers)
    except ModelError as exc:
        raise AnsibleFilterError('lvs.ha.vrrp_instances: %s' % exc)


class FilterModule:
    def filters(self):
        return {'vrrp_instances': vrrp_instances}
