# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tables and recordings shared by the tests of plugins/module_utils/_ipvs/."""

from __future__ import annotations

import os
from dataclasses import replace

import yaml

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    FLAG_NAMES, SCHEDULERS, Destination, IpvsError, Service, ServiceKey, canonical_ip, service_from_params,
    table_from_params,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import merge_thresholds, parse_list, parse_save
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import diff
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
FIXTURES = os.path.join(UNIT, 'fixtures', 'ipvsadm')


def recorded(name):
    """Real ipvsadm output recorded in the lab (tests/unit/fixtures/ipvsadm/README.md)."""
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def recorded_command(name):
    """The command behind a recorded file, from the fixtures' README."""
    for row in recorded('README.md').splitlines():
        if row.startswith('| `%s.txt`' % name):
            return row.split('|')[2].strip().strip('`')
    raise KeyError(name)


def full_declared():
    """The recorded `full` table as the ipvs module takes it (written by hand)."""
    with open(os.path.join(UNIT, 'plugins', 'modules', 'full-table.yml')) as handle:
        return yaml.safe_load(handle)


def full_table():
    """The recorded `full` table, thresholds included, as the module reads it."""
    return merge_thresholds(parse_save(recorded('full-save.txt')), parse_list(recorded('full-thresholds.txt')))


def ip(text):
    return canonical_ip(text)


def tcp(address='192.168.56.40', port=80):
    return ServiceKey('tcp', ip(address), port, family='ipv6' if ':' in address else 'ipv4')


def table(*services):
    return dict((service.key, service) for service in services)


def service(key=None, destinations=(), **settings):
    result = Service(key or tcp(), **settings)
    for dest in destinations:
        result.destinations[dest.key] = dest
    return result


def dest(address='192.168.56.41', port=80, **settings):
    return Destination(ip(address), port, **settings)


def desired(*services, **kwargs):
    return table_from_params(list(services), **kwargs)[0]


def diff_lines(current, want, *args, **kwargs):
    """The plan as the rule lines the modules return and run."""
    return render(diff(current, want, *args, **kwargs))


def without_thresholds(tbl):
    """Thresholds as -S shows them: unknown."""
    return dict((key, replace(svc, destinations=dict(
        (k, replace(d, upper_threshold=None, lower_threshold=None)) for k, d in svc.destinations.items())))
        for key, svc in tbl.items())


def zero_thresholds(tbl):
    """Unknown thresholds as 0 (what the kernel has for destinations added without -x/-y)."""
    return dict((key, replace(svc, destinations=dict(
        (k, replace(d, upper_threshold=d.upper_threshold or 0, lower_threshold=d.lower_threshold or 0))
        for k, d in svc.destinations.items()))) for key, svc in tbl.items())


V6 = {'protocol': 'tcp', 'address': '2001:db8::40', 'port': 80}
V4 = {'address': '192.168.56.40', 'port': 80}
WEB = dict(V4, scheduler='rr', destinations=[{'address': '192.168.56.41'}, {'address': '192.168.56.42'}])


def random_table(rng, purge_universe=False):
    """A random valid table covering every protocol, family, forwarding and option."""
    services = []
    for index in range(rng.randint(0, 12)):
        kind = rng.choice(['tcp', 'udp', 'sctp', 'fwmark', 'tcp6', 'fwmark6'])
        six = kind.endswith('6')
        svc = {}
        if kind.startswith('fwmark'):
            svc.update(fwmark=rng.randint(1, 6), family='ipv6' if six else 'ipv4')
        else:
            svc.update(protocol=kind.rstrip('6'), port=rng.choice([80, 443, 53]),
                       address='2001:db8::%d' % rng.randint(1, 4) if six else '10.0.0.%d' % rng.randint(1, 4))
        svc['scheduler'] = rng.choice(SCHEDULERS)
        if rng.random() < 0.4:
            svc['persistent'] = rng.choice([60, 300, 3600])
            if rng.random() < 0.5:
                # under either name: persistence_netmask, or netmask, its alias
                svc[rng.choice(['netmask', 'persistence_netmask'])] = (
                    rng.choice([16, 24, 64]) if six else rng.choice(['255.255.0.0', 24]))
        if svc['scheduler'] in ('sh', 'mh') and rng.random() < 0.5:
            svc['sched_flags'] = rng.sample(list(FLAG_NAMES[svc['scheduler']][:2]), rng.randint(1, 2))
        if kind in ('udp', 'fwmark', 'fwmark6') and rng.random() < 0.2:
            svc['one_packet'] = True
        dests = []
        for _index in range(rng.randint(0, 5)):
            forwarding = rng.choice(['dr', 'nat', 'tunnel'])
            d = {'address': ('2001:db8:1::%d' if six else '10.1.0.%d') % rng.randint(1, 8),
                 'forwarding': forwarding, 'weight': rng.choice([0, 1, 2, 100])}
            if forwarding == 'nat' and 'port' in svc:
                d['port'] = rng.choice([svc['port'], 8080])
            if forwarding == 'tunnel' and rng.random() < 0.5:
                d['tunnel_type'] = rng.choice(['ipip', 'gue', 'gre'])
                if d['tunnel_type'] == 'gue':
                    d['tunnel_port'] = 6080
                if d['tunnel_type'] != 'ipip':
                    d['tunnel_checksum'] = rng.choice(['nocsum', 'csum'])
            if rng.random() < 0.3:
                d['upper_threshold'] = rng.choice([0, 10, 100])
                d['lower_threshold'] = rng.choice([0, d['upper_threshold'] // 2])
            if all((x['address'], x.get('port')) != (d['address'], d.get('port')) for x in dests):
                dests.append(d)
        svc['destinations'] = dests
        services.append(svc)
    tbl = {}
    for svc in services:
        try:
            parsed = service_from_params(svc)
        except IpvsError:
            continue
        if parsed.key not in tbl:
            tbl[parsed.key] = parsed
    return tbl


def as_configured(d):
    """A destination's settings but thresholds, independently of _ipvs's own comparison."""
    tunnel = (d.tunnel_type or 'ipip', d.tunnel_port, d.tunnel_checksum) if d.forwarding == 'tunnel' else None
    return (d.forwarding, d.weight, tunnel)
