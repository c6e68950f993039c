# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: realserver_vips
short_description: The VIPs a real server must accept
version_added: 0.1.0
author: lvs.ha contributors
description:
  - From the normalised services (output of P(lvs.ha.virtual_services#filter)), the VIPs of the
    services that O(host) serves as a real server, with their forwarding method.
options:
  _input:
    description: Normalised services.
    type: list
    elements: dict
    required: true
  host:
    description: The real server's inventory name.
    type: str
    required: true
  extra:
    description: Further VIPs to hold (for DR), e.g. C(lvs_realserver_extra_vips).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: VIPs of this real server
  ansible.builtin.debug:
    msg: "{{ services | lvs.ha.realserver_vips(inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: One dict per VIP and forwarding method - C(vip), C(family), C(forwarding), C(services) (names).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError, realserver_vips as _realserver_vips


def realserver_vips(services, host, extra=None):
    try:
        return _realserver_vips(services, host, extra)
    except ModelError as exc:
        raise AnsibleFilterError('lvs.ha.realserver_vips: %s' % exc)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError('lvs.ha.realserver_vips: input must be the list returned by '
                                 'lvs.ha.virtual_services (%s)' % exc)


class FilterModule:
    def filters(self):
        return {'realserver_vips': realserver_vips}
