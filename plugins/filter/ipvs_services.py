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
  - The result is checked against the module's own argument spec and IPVS model.
  - With O(format=ipvsadm), returns the table as C(ipvsadm -R) lines instead, rendered by the
    module's own code (the file restored at boot by the director role).
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
      C(scheduler), C(persistent), C(persistence_netmask), C(sched_flags) and C(destinations) (C(address), C(port),
      C(forwarding), C(weight), C(upper_threshold), C(lower_threshold)); keys without a value are left
      out - a fwmark service has no protocol, address or port, and its DR/tunnel destinations have port 0.
    - O(format=ipvsadm) - a list of strings.
  type: list
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    IpvsError, key_argument_spec, service_argument_spec, table_from_params)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_save
from ansible_collections.lvs.ha.plugins.module_utils._model import ipvs_services as _ipvs_services


def _module_spec():
    """The lvs.ha.ipvs module's ``services`` option, from the same functions the module uses."""
    options = key_argument_spec()
    options.update(service_argument_spec())
    options.update(state=dict(type='str', choices=['present', 'absent'], default='present'),
                   destinations=dict(type='list', elements='dict', default=[]))
    return {'services': dict(type='list', elements='dict', required=True, options=options)}


def ipvs_services(services, format='module'):  # pylint: disable=redefined-builtin
    if not isinstance(services, list):
        raise AnsibleFilterError('lvs.ha.ipvs_services: input must be the list returned by lvs.ha.virtual_services')
    if format not in ('module', 'ipvsadm'):
        raise AnsibleFilterError('lvs.ha.ipvs_services: format must be one of: module, ipvsadm, got %r' % format)
    try:
        result = _ipvs_services(services)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError('lvs.ha.ipvs_services: input must be the list returned by '
                                 'lvs.ha.virtual_services (%s)' % exc)
    # Checked against the module's own argument spec and IPVS model, so what the role
    # passes to lvs.ha.ipvs (and saves for boot) cannot drift from what it accepts.
    checked = ArgumentSpecValidator(_module_spec()).validate({'services': result})
    if checked.error_messages:
        raise AnsibleFilterError('lvs.ha.ipvs_services: %s' % '; '.join(checked.error_messages))
    try:
        table = table_from_params(checked.validated_parameters['services'])[0]
    except IpvsError as exc:
        raise AnsibleFilterError('lvs.ha.ipvs_services: %s' % exc)
    if format == 'ipvsadm':
        return render_save(table)
    return result


class FilterModule:
    def filters(self):
        return {'ipvs_services': ipvs_services}
