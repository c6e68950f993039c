# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster
short_description: One host's validated view of the cluster - the one gate of the roles
version_added: 0.2.0
author: lvs.ha contributors
description:
  - Validates every C(lvs_*) variable of the host against the collection's schema
    (C(plugins/module_utils/_schema.py)) and the rules between options and between hosts
    (VRRP peers agree on router id, advert interval, version and authentication; priorities
    are distinct; a VIP is a unicast host address that no cluster host owns; MACs are
    unicast and quoted; names, interfaces, paths and commands match strict patterns), and
    returns everything the host needs in one result.
  - The roles set it as the fact C(lvs_ha) in their C(preflight) entry point, before they
    change anything; C(playbooks/site.yml) runs those preflights for every host first. The
    result is public - playbooks read C(lvs_ha), never the roles' internal variables.
  - Any refusal names the host, the variable and the value.
  - Requires netaddr on the controller.
positional: hostvars, groups, host, role
options:
  _input:
    description:
      - The C(lvs_*) variables as the role sees them, as a mapping of name to value. Any option
        of the role not given takes its default; an C(lvs_*) name that is no variable of the
        collection is refused (a typo).
    type: dict
    required: true
  host:
    description: The host (C(inventory_hostname)).
    type: str
    required: true
  role:
    description: The role the host plays.
    type: str
    choices: [director, realserver, colocated]
    required: true
  local_state:
    description: C({drained, removed}) kept by the C(lvs.ha.drain) and C(lvs.ha.enable) playbooks.
    type: dict
  previous:
    description: An earlier result; returned unchanged when its inputs were the same (computed once per run).
    type: dict
  fingerprint_only:
    description:
      - Return only the fingerprint of the inputs, without validating anything, so that a task can skip
        setting an unchanged C(lvs_ha) again (Ansible spends time on every large fact it sets).
    type: bool
    default: false
  services:
    description:
      - Directors - also return RV(_value.services), the normalised services as structures. The roles do without
        (they read RV(_value.keepalived_services), RV(_value.ipvs_rules) and the summaries); the
        C(lvs.ha.status) playbook asks for them.
    type: bool
    default: false
    version_added: 0.2.0
extends_documentation_fragment:
  - lvs.ha.inventory
"""

EXAMPLES = r"""
- name: Compute and validate this host's view of the cluster
  ansible.builtin.set_fact:
    lvs_ha: >-
      {{ dict(__names | zip(q('ansible.builtin.vars', *__names)))
         | lvs.ha.cluster(hostvars, groups, inventory_hostname, 'director') }}
  vars:
    __names: "{{ q('ansible.builtin.varnames', '^lvs_') }}"
"""

RETURN = r"""
_value:
  description: The host's view of the cluster.
  type: dict
  contains:
    host:
      description: The host.
      type: str
    role:
      description: C(director), C(realserver) or C(colocated).
      type: str
    fingerprint:
      description: Hash of the inputs; the same inputs give the same result.
      type: str
    settings:
      description: Every option of the role, validated, with defaults filled in (colocated - the groups and marks set).
      type: dict
    services:
      description:
        - Directors, with O(services=true) only - the normalised services (see P(lvs.ha.virtual_services#filter)).
        - Before 0.2.0 every director's result had them; on large tables Ansible spent seconds on the structure each
          time it set or passed the fact on.
      type: list
      elements: dict
    keepalived_services:
      description:
        - Directors with the C(keepalived) driver - keepalived.conf's C(virtual_server) blocks of the services, as
          text (empty with the other drivers). The role's template inserts it as it is.
      type: str
      version_added: 0.2.0
    service_names:
      description: Directors - the names of the services, in their order.
      type: list
      elements: str
      version_added: 0.2.0
    nat_families:
      description: Directors - the address families (C(ipv4), C(ipv6)) of the services with NAT forwarding.
      type: list
      elements: str
      version_added: 0.2.0
    realserver_addresses:
      description:
        - Directors - the addresses of each real server in the services, by name (its inventory host, or its
          address when it is none).
      type: dict
      version_added: 0.2.0
    vrrp:
      description: Directors - VRRP instances, priorities and master (see P(lvs.ha.vrrp_instances#filter)).
      type: dict
    ipvs_rules:
      description:
        - Directors with the C(ipvsadm) driver - the O(lvs.ha.ipvs#module:rules) of the M(lvs.ha.ipvs) module, the
          table as rule lines (empty with the other drivers; the IPVS layer checks the table with every driver
          but C(none)). Thresholds of 0 are left out.
        - Replaces C(ipvs_services), a list of thousands of entries on large tables that Ansible spent seconds
          on; P(lvs.ha.ipvs_services#filter) still gives that form from RV(_value.services).
      type: str
      version_added: 0.2.0
    realserver_vips:
      description: Real servers - the VIPs to hold (see P(lvs.ha.realserver_vips#filter)).
      type: list
      elements: dict
    fwmark:
      description: Colocated nodes - the firewall-mark rules (see P(lvs.ha.fwmark_rules#filter)).
      type: dict
    warnings:
      description:
        - Settings that work but leave something unprotected (the C(ipvsadm) driver has no health checks);
          the filter shows each as an Ansible warning.
      type: list
      elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError, cluster as _cluster


def _plain(value):
    """Plain dicts and lists of the same values: each template in them is rendered once, here.

    Ansible (2.19 and later) passes a filter lazy containers that render a value each time it
    is read; the model reads the services more than once (the fingerprint, then the checks).
    """
    if isinstance(value, Mapping):
        return dict((key, _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def cluster(settings, hostvars, groups, host, role, local_state=None, previous=None, fingerprint_only=False,
            services=False):
    try:
        result = _cluster(_plain(settings), hostvars, groups, host, role, local_state=local_state, previous=previous,
                          fingerprint_only=fingerprint_only, with_services=services)
    except ModelError as exc:
        raise AnsibleFilterError('lvs.ha.cluster: %s' % exc)
    if isinstance(result, dict) and result is not previous:
        for text in result.get('warnings', []):
            Display().warning('lvs.ha.cluster: %s' % text)
    return result


class FilterModule:
    def filters(self):
        return {'cluster': cluster}
