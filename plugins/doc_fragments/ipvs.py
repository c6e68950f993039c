# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Attributes of the modules that change the IPVS table.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reports the exact C(ipvsadm) lines that would run; nothing that changes the table runs.
      - If the C(ip_vs) kernel module is not loaded, check mode does not load it and treats the table as empty.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Shows the affected services, before and after, as C(ipvsadm -S -n) lines.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
requirements:
  - C(ipvsadm) on the target.
  - A Linux kernel with IPVS (C(ip_vs) built in, or as a module that C(modprobe) can load).
notes:
  - Changes are fed to one C(ipvsadm -R) run. C(ipvsadm -R) is not atomic and its exit code only reflects its last line,
    but it prints the kernel's error for every line refused. When it prints anything or fails, the module reads the
    table again and fails, listing the lines that did not take effect, if it does not match (a batch that ran without a
    word is not read back). Lines are ordered so that a batch cut short leaves a usable table.
  - Upper and lower connection thresholds are not part of C(ipvsadm -S); they are read from C(ipvsadm -L -n --thresholds)
    only for the services where they matter.
'''

    # Attributes of ipvs_info.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
requirements:
  - C(ipvsadm) on the target.
'''

    # The service key as top-level options (ipvs_service). The same text, with option
    # references under service., is in SERVICE below and in the ipvs module's services
    # suboptions; tests/unit/plugins/modules/test_docs.py keeps the three in step.
    SERVICE_KEY = r'''
options:
  protocol:
    description:
      - Protocol of the virtual service.
      - Defaults to V(tcp) when O(address) is set. Must not be set with O(fwmark).
    type: str
    choices: [tcp, udp, sctp]
  address:
    description:
      - Virtual IP address of the service, IPv4 or IPv6 (without brackets).
      - Required unless O(fwmark) is set.
    type: str
  port:
    description:
      - Port of the virtual service, 0 to 65535.
      - V(0) means every port and is only valid for a persistent service.
      - Required with O(address); must not be set with O(fwmark).
    type: int
  fwmark:
    description:
      - Firewall mark (1 to 4294967295) that identifies the service instead of protocol, address and port.
    type: int
  family:
    description:
      - Address family of a firewall-mark service.
      - With O(address) it is implied by the address; if given it must match.
      - Defaults to V(ipv4) with O(fwmark).
    type: str
    choices: [ipv4, ipv6]
'''

    # The service key as suboptions of a `service` option (ipvs_destination).
    SERVICE = r'''
options:
  service:
    description:
      - The virtual service, by protocol, address and port, or by firewall mark.
    type: dict
    required: true
    suboptions:
      protocol:
        description:
          - Protocol of the virtual service.
          - Defaults to V(tcp) when O(service.address) is set. Must not be set with O(service.fwmark).
        type: str
        choices: [tcp, udp, sctp]
      address:
        description:
          - Virtual IP address of the service, IPv4 or IPv6 (without brackets).
          - Required unless O(service.fwmark) is set.
        type: str
      port:
        description:
          - Port of the virtual service, 0 to 65535.
          - V(0) means every port and is only valid for a persistent service.
          - Required with O(service.address); must not be set with O(service.fwmark).
        type: int
      fwmark:
        description:
          - Firewall mark (1 to 4294967295) that identifies the service instead of protocol, address and port.
        type: int
      family:
        description:
          - Address family of a firewall-mark service.
          - With O(service.address) it is implied by the address; if given it must match.
          - Defaults to V(ipv4) with O(service.fwmark).
        type: str
        choices: [ipv4, ipv6]
'''
