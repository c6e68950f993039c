# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ipvs_services
short_description: Map normalised services to the lvs.ha.ipvs module's services
version_added: 0.1.0
author: lvs.ha contributors
description:
  - Takes the output of P(lvs.ha.virtual_services#filter) and returns the O(lvs.ha.ipvs#module:services)
    input of the M(lvs.ha.ipvs) module, so the same data that renders keepalived's
    C(virtual_server) blocks drives a static IPVS table.
  - With O(format=ipvsadm), returns the table as C(ipvsadm -R) lines instead (the file
    restored at boot by the director role).
options:
  _input:
    description: Normalised services.
    type: list
    elements: dict
    required: true
  format:
    description: C(module) for the module's input, C(ipvsadm) for C(ipvsadm -R) lines.
    type: str
    choices: [module, ipvsadm]
    default: module
"""

EXAMPLES = r"""
- name: Apply the table
  lvs.ha.ipvs:
    services: "{{ services | lvs.ha.ipvs_services }}"
    purge: true

- name: The same table as ipvsadm -R lines
  ansible.builtin.debug:
    msg: "{{ services | lvs.ha.ipvs_services(format='ipvsadm') }}"
"""

RETURN = r"""
_value:
  description:
    - O(format=module) - a list of services with C(protocol), C(address), C(port), C(fwmark), C(family),
      C(scheduler), C(persistent), C(netmask), C(sched_flags) and C(destinations) (C(address), C(port),
      C(forwarding), C(weight), C(upper_threshold), C(lower_threshold)). A fwmark service has
      no protocol, address or port, and its DR/tunnel destinations have port 0.
    - O(format=ipvsadm) - a list of strings.
  type: list
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.module_utils._model import ipvs_services as _ipvs_services, ipvsadm_rules


def ipvs_services(services, format='module'):  # pylint: disable=redefined-builtin
    if not isinstance(services, list):
        raise AnsibleFilterError('lvs.ha.ipvs_services: input must be the list returned by lvs.ha.virtual_services')
    try:
        result = _ipvs_services(services)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError('lvs.ha.ipvs_services: input must be the list returned by '
                                 'lvs.ha.virtual_services (%s)' % exc)
    if format == 'module':
        return result
    if format == 'ipvsadm':
        return ipvsadm_rules(result)
    raise AnsibleFilterError('lvs.ha.ipvs_services: format must be one of: module, ipvsadm, got %r' % format)


class FilterModule:
    def filters(self):
        return {'ipvs_services': ipvs_services}
