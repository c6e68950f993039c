#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ipvs
short_description: Manage the IPVS table as a whole
version_added: 0.1.0
description:
  - Makes the IPVS (LVS) table match a declared list of virtual services, each with its destinations (real servers).
  - Reads the table once, computes the difference and applies only that, in one C(ipvsadm -R) batch on standard input.
    Services and destinations whose settings differ are edited in place (C(ipvsadm -E), C(ipvsadm -e)), keeping their
    connections. The table is never flushed (no C(ipvsadm -C)).
  - Built for large tables; a run with nothing to change executes only reads.
  - Without O(purge), services and destinations that are not declared are left alone.
author:
  - lvs.ha contributors (@lvs-ha)
options:
  services:
    description:
      - The virtual services. Each is identified by O(services[].protocol), O(services[].address) and
        O(services[].port), or by O(services[].fwmark) and O(services[].family).
      - The module validates the entries itself, destinations included, rather than through Ansible's
        argument spec, which is several times slower on tables of thousands of destinations; errors name the
        entry and the option (for example C(services[3].destinations[0].port)).
      - Exactly one of O(services) and O(rules) is required.
    type: list
    elements: dict
    suboptions:
      protocol:
        description:
          - Protocol of the virtual service.
          - Defaults to V(tcp) when O(services[].address) is set. Must not be set with O(services[].fwmark).
        type: str
        choices: [tcp, udp, sctp]
      address:
        description:
          - Virtual IP address of the service, IPv4 or IPv6 (without brackets).
          - Required unless O(services[].fwmark) is set.
        type: str
      port:
        description:
          - Port of the virtual service, 0 to 65535.
          - V(0) means every port and is only valid for a persistent service.
          - Required with O(services[].address); must not be set with O(services[].fwmark).
        type: int
      fwmark:
        description:
          - Firewall mark (1 to 4294967295) that identifies the service instead of protocol, address and port.
        type: int
      family:
        description:
          - Address family of a firewall-mark service.
          - With O(services[].address) it is implied by the address; if given it must match.
          - Defaults to V(ipv4) with O(services[].fwmark).
        type: str
        choices: [ipv4, ipv6]
      scheduler:
        description:
          - Scheduling algorithm; see M(lvs.ha.ipvs_service) for what each does.
        type: str
        choices: [rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh]
        default: wlc
      persistent:
        description:
          - Persistence timeout in seconds (1 to 2678400); omit for no persistence.
        type: int
      persistence_netmask:
        description:
          - Persistence granularity, a prefix length or (IPv4) a netmask; only with O(services[].persistent).
          - The alias V(netmask) is the name this option had first.
        type: str
        aliases: [netmask]
      persistence_engine:
        description:
          - Alternative persistence engine, only with O(services[].persistent).
        type: str
        choices: [sip]
      one_packet:
        description:
          - One-packet scheduling, for UDP or firewall-mark services.
        type: bool
        default: false
      sched_flags:
        description:
          - Scheduler flags; see M(lvs.ha.ipvs_service).
        type: list
        elements: str
        choices: [sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3]
        default: []
      state:
        description:
          - V(absent) deletes the service (with its destinations) if it exists; then only its key options count.
        type: str
        choices: [present, absent]
        default: present
      destinations:
        description:
          - The real servers of the service. Without O(purge), destinations not listed are left alone.
        type: list
        elements: dict
        default: []
        suboptions:
          address:
            description:
              - Address of the real server; of the service's family unless O(services[].destinations[].forwarding=tunnel).
            type: str
            required: true
          port:
            description:
              - Port on the real server. Defaults to the service port (V(0) for a firewall-mark service).
              - With V(dr) or V(tunnel) forwarding it must be the service port.
            type: int
          forwarding:
            description:
              - V(dr) direct routing, V(tunnel) IP tunnelling, V(nat) masquerading.
            type: str
            choices: [dr, tunnel, nat]
            default: dr
          weight:
            description:
              - Weight, 0 to 65535. V(0) drains the server (no new connections).
            type: int
            default: 1
          upper_threshold:
            description:
              - Upper connection threshold (V(0) none). When omitted, an existing destination keeps its own.
            type: int
          lower_threshold:
            description:
              - Lower connection threshold, not above the upper one. When omitted, an existing destination keeps its own.
            type: int
          tunnel_type:
            description:
              - Encapsulation with V(tunnel) forwarding; default V(ipip).
            type: str
            choices: [ipip, gue, gre]
          tunnel_port:
            description:
              - UDP port of the encapsulation; required with V(gue), invalid otherwise.
            type: int
          tunnel_checksum:
            description:
              - Tunnel checksum for V(gue) or V(gre); default V(nocsum). V(remcsum) is for V(gue) only.
            type: str
            choices: [nocsum, csum, remcsum]
  rules:
    description:
      - The same table in compact form, as text of rule lines, one per line, as C(ipvsadm -S -n) prints them
        (C(-A) lines for services, C(-a) lines for their destinations after them; blank lines and lines
        starting with C(#) are skipped). Each line is checked by the same validation as an entry of O(services);
        errors name the line.
      - When the lines are the live table word for word (in any order; the C(-x)/C(-y) that end an C(-a) line
        compared with C(ipvsadm -L -n --thresholds)), the task reports no change without parsing them (the
        kernel holds them already). Otherwise they are validated, after that read and before any change.
      - Thresholds are managed only where a line gives C(-x)/C(-y), like O(services[].destinations[].upper_threshold)
        omitted. Services cannot be declared absent in this form; use O(purge).
      - Ansible copies, checks and logs a module's arguments several times; one string instead of tens of
        thousands of entries saves most of that on large tables. The director role passes its table this way.
      - Mutually exclusive with O(services).
    type: str
    version_added: 0.2.0
  purge:
    description:
      - Also delete the services that O(services) does not declare, and the destinations that a declared service
        does not list (with O(rules), that the lines do not declare). O(services=[]) with O(purge=true) empties
        the table, one service at a time.
    type: bool
    default: false
extends_documentation_fragment:
  - lvs.ha.ipvs
seealso:
  - module: lvs.ha.ipvs_service
  - module: lvs.ha.ipvs_destination
  - module: lvs.ha.ipvs_info
'''

EXAMPLES = r'''
- name: The whole table of a director, nothing else
  lvs.ha.ipvs:
    purge: true
    services:
      - address: 192.168.56.40
        port: 80
        scheduler: rr
        destinations:
          - address: 192.168.56.41
          - address: 192.168.56.42
          - address: 192.168.56.43
            weight: 0          # drained
      - fwmark: 1234
        scheduler: wlc
        persistent: 300
        destinations:
          - address: 192.168.56.41
          - address: 192.168.56.42

- name: Add an IPv6 service next to whatever is there
  lvs.ha.ipvs:
    services:
      - protocol: tcp
        address: 2001:db8::40
        port: 443
        destinations:
          - address: 2001:db8::41
          - address: 2001:db8::42

- name: The same table as rule lines (compact form, for large tables)
  lvs.ha.ipvs:
    purge: true
    rules: |
      -A -t 192.168.56.40:80 -s rr
      -a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1
      -a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1
      -a -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 0

- name: Retire a service without touching the rest
  lvs.ha.ipvs:
    services:
      - address: 192.168.56.40
        port: 8080
        state: absent
'''

RETURN = r'''
commands:
  description: The C(ipvsadm) rule lines applied (in check mode, that would be applied), in order, as fed to C(ipvsadm -R).
  returned: always
  type: list
  elements: str
  sample:
    - -A -t 192.168.56.40:80 -s rr
    - -a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1
    - -e -t 192.168.56.40:443 -r 192.168.56.42:443 -g -w 0
summary:
  description: How many lines of each kind RV(commands) has.
  returned: always
  type: dict
  contains:
    add_service:
      description: Services added (C(-A)).
      type: int
    edit_service:
      description: Services edited (C(-E)).
      type: int
    delete_service:
      description: Services deleted (C(-D)).
      type: int
    add_server:
      description: Destinations added (C(-a)).
      type: int
    edit_server:
      description: Destinations edited (C(-e)).
      type: int
    delete_server:
      description: Destinations deleted (C(-d)).
      type: int
  sample: {add_service: 1, edit_service: 0, delete_service: 0, add_server: 3, edit_server: 1, delete_server: 0}
not_applied:
  description: On failure after C(ipvsadm -R) ran, the lines whose effect is missing from the table read back.
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import IpvsError, table_from_params, table_from_rules
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.run import IpvsadmRunner, reconcile, rules_unchanged, unchanged_result


def argument_spec():
    """The module's options. Service entries, destinations included, are validated by
    _ipvs.model.table_from_params: for 1,000 services x 10 destinations Ansible's nested
    validation cost over a second on a lab guest, for the same checks."""
    return dict(
        services=dict(type='list', elements='dict'),
        rules=dict(type='str'),
        purge=dict(type='bool', default=False),
    )


def _invocation(params):
    """The arguments echoed in the result: `rules` as its line count (the lines are in
    the task; echoing them back costs a transfer and a scan for secrets on both ends)."""
    result = dict(params)
    if result.get('rules') is not None:
        result['rules'] = '(%d lines)' % result['rules'].count('\n')
    return {'module_args': result}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[('services', 'rules')], required_one_of=[('services', 'rules')])
    try:
        runner = IpvsadmRunner(module)
        rules = module.params['rules']
        if rules is not None and rules_unchanged(runner, rules):
            # the lines are the live table word for word: nothing to parse, validate or plan
            module.exit_json(invocation=_invocation(module.params), **unchanged_result(module._diff))
        if rules is not None:
            desired, absent = table_from_rules(rules), []
        else:
            desired, absent = table_from_params(module.params['services'])
        result = reconcile(runner, lambda current: (desired, absent, []),
                           module.check_mode, module._diff, module.params['purge'])
    except IpvsError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    del result['current'], result['desired']
    module.exit_json(invocation=_invocation(module.params), **result)


if __name__ == '__main__':
    main()
