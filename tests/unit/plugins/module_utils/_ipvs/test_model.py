# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipvs/model.py: the model and the validation of the modules' options."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.module_utils import _schema
from ansible_collections.lvs.ha.plugins.module_utils._ipvs import model
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    IpvsError, ServiceKey, service_from_params, table_from_params,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import parse_save

from ipvs_tables import V4, V6, ip, recorded, tcp


# ---------------------------------------------------------------------------
# Addresses


def test_addresses_are_canonical_text():
    assert ip('2001:0DB8:0:0::40') == '2001:db8::40' and ip('192.168.56.40') == '192.168.56.40'
    assert ip('192.168.56.400') is None and ip('www.example.com') is None and ip('') is None
    assert ip('::ffff:192.168.56.40') == '::ffff:192.168.56.40'   # as glibc's inet_ntop, ipvsadm's
    svc = service_from_params({'address': '2001:DB8::40', 'port': 80,
                               'destinations': [{'address': '2001:0db8:0::41'}]})
    tbl = parse_save(recorded('full-save.txt'))
    assert list(svc.destinations)[0] in tbl[svc.key].destinations


# ---------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize('params, message', [
    ({'address': '192.168.56.300', 'port': 80}, r"^address: is not an IPv4 or IPv6 address \(got '192.168.56.300'\)"),
    ({'address': 'www.example.com', 'port': 80}, r"address: is not an IPv4 or IPv6 address \(got 'www.example"),
    ({'address': '10.0.0.1', 'port': 0}, r'^port: port 0 \(all ports\) is only valid for a persistent service'),
    ({'address': '10.0.0.1', 'port': 65536}, r'^port: must be between 0 and 65535 \(got 65536\)'),
    ({'address': '10.0.0.1', 'port': -1}, r'^port: must be between 0 and 65535 \(got -1\)'),
    ({'address': '10.0.0.1', 'port': 'http'}, r"^port: must be an integer \(got 'http'\)"),
    ({'address': '10.0.0.1'}, r'^port: is required with address'),
    ({'port': 80}, r'^address: is required unless fwmark is set'),
    ({'address': '10.0.0.1', 'port': 80, 'scheduler': 'random'}, r"^scheduler: must be one of: rr, .* \(got 'random'\)"),
    ({'fwmark': 5, 'port': 80}, r'^port: must not be set with fwmark.* \(got 80\)'),
    ({'fwmark': 5, 'address': '10.0.0.1'}, r"^address: must not be set with fwmark"),
    ({'fwmark': 0}, r'^fwmark: must be between 1 and 4294967295 \(got 0\)'),
    ({'address': '10.0.0.1', 'port': 80, 'family': 'ipv6'}, r"^family: does not match address 10.0.0.1 \(got 'ipv6'\)"),
    ({'address': '10.0.0.1', 'port': 80, 'protocol': 'icmp'}, r"^protocol: must be one of: tcp, udp, sctp \(got 'icmp'\)"),
    ({'address': '10.0.0.1', 'port': 80, 'netmask': '255.255.255.0'}, r'^netmask: only applies to a persistent service'),
    ({'address': '10.0.0.1', 'port': 80, 'persistent': 60, 'netmask': '255.0.255.0'}, r'^netmask: must be a prefix length'),
    ({'address': '10.0.0.1', 'port': 80, 'persistent': 60, 'netmask': 33}, r'^netmask: must be a prefix length between 1 and 32'),
    ({'address': '10.0.0.1', 'port': 80, 'persistent': 0}, r'^persistent: must be between 1 and 2678400'),
    ({'address': '10.0.0.1', 'port': 80, 'persistence_engine': 'sip'}, r'^persistence_engine: only applies to a persistent'),
    ({'address': '10.0.0.1', 'port': 80, 'one_packet': True}, r'^one_packet: one-packet scheduling is only for udp'),
    ({'address': '10.0.0.1', 'port': 80, 'scheduler': 'rr', 'sched_flags': ['sh-port']},
     r"^sched_flags: is not a flag of scheduler rr.* \(got 'sh-port'\)"),
])
def test_bad_service_fails_naming_option_and_value(params, message):
    with pytest.raises(IpvsError, match=message):
        service_from_params(params)


@pytest.mark.parametrize('svc, dests, message', [
    (V4, [{'address': '192.168.56.41'}, {'address': '192.168.56.41', 'port': 80}],
     r"^destinations\[1\]\.address: duplicate destination 192.168.56.41:80 in tcp 192.168.56.40:80 \(got '192.168.56.41'\)"),
    (V6, [{'address': '192.168.56.41'}],
     r"^destinations\[0\]\.address: is ipv4 but service tcp \[2001:db8::40\]:80 is ipv6; only tunnel forwarding"),
    (V4, [{'address': '192.168.56.41', 'port': 8080}],
     r'^destinations\[0\]\.port: must equal the service port 80 with forwarding dr .* \(got 8080\)'),
    (V4, [{'address': '192.168.56.41', 'port': 0, 'forwarding': 'nat'}],
     r'^destinations\[0\]\.port: must be between 1 and 65535 \(got 0\)'),
    (V4, [{'address': '192.168.56.41', 'weight': 65536}], r'^destinations\[0\]\.weight: must be between 0 and 65535'),
    (V4, [{'address': '192.168.56.41', 'weight': -1}], r'^destinations\[0\]\.weight: must be between 0 and 65535'),
    (V4, [{'address': '192.168.56.41', 'forwarding': 'fullnat'}], r"^destinations\[0\]\.forwarding: must be one of: dr, tunnel, nat"),
    (V4, [{'address': '192.168.56.41', 'upper_threshold': 10, 'lower_threshold': 20}],
     r'^destinations\[0\]\.lower_threshold: must not exceed upper_threshold \(10\) \(got 20\)'),
    (V4, [{'address': '192.168.56.41', 'lower_threshold': 20}], r'lower_threshold: must not exceed upper_threshold \(None\)'),
    (V4, [{'address': '192.168.56.41', 'tunnel_type': 'gue'}], r'tunnel_type: only applies to forwarding tunnel'),
    (V4, [{'address': '192.168.56.41', 'forwarding': 'tunnel', 'tunnel_type': 'gue'}], r'tunnel_port: is required with tunnel_type gue'),
    (V4, [{'address': '192.168.56.41', 'forwarding': 'tunnel', 'tunnel_port': 6080}], r'tunnel_port: only applies to tunnel_type gue'),
    (V4, [{'address': '192.168.56.41', 'forwarding': 'tunnel', 'tunnel_type': 'gre', 'tunnel_checksum': 'remcsum'}],
     r'tunnel_checksum: remcsum is only valid with tunnel_type gue'),
    (V4, [{'address': '192.168.56.41', 'wieght': 2}], r"^destinations\[0\]\.wieght: unsupported option; supported: address, port"),
    (V4, ['192.168.56.41'], r"^destinations\[0\]: must be a dictionary"),
])
def test_bad_destination_fails_naming_option_and_value(svc, dests, message):
    with pytest.raises(IpvsError, match=message):
        service_from_params(dict(svc, destinations=dests))


def test_duplicate_services_fail_with_their_index():
    with pytest.raises(IpvsError, match=r'^services\[1\]\.address: duplicate service tcp 192.168.56.40:80'):
        table_from_params([V4, dict(V4, scheduler='rr')])
    with pytest.raises(IpvsError, match=r'^services\[2\]\.fwmark: duplicate service fwmark 5'):
        table_from_params([{'fwmark': 5}, {'fwmark': 5, 'family': 'ipv6'}, {'fwmark': 5, 'state': 'absent'}])


def test_normalisation():
    svc = service_from_params({'address': '2001:DB8:0:0::40', 'port': 443, 'scheduler': 'sh', 'persistent': 60,
                               'netmask': '/128', 'sched_flags': ['flag-2', 'sh-fallback', 'flag-2'],
                               'destinations': [{'address': '2001:db8::0:41'},
                                                {'address': '10.0.0.1', 'forwarding': 'tunnel'}]})
    assert svc.key == ServiceKey('tcp', '2001:db8::40', 443, family='ipv6')
    assert svc.netmask is None                      # /128 is the default granularity
    assert svc.sched_flags == ('sh-fallback', 'sh-port')
    assert list(svc.destinations) == [(ip('2001:db8::41'), 443), (ip('10.0.0.1'), 443)]
    assert service_from_params(dict(V4, persistent=1, netmask='255.255.255.0')).netmask == 24
    assert service_from_params(dict(V4, persistent=1, netmask=16)).netmask == 16
    mark = service_from_params({'fwmark': 9, 'destinations': [{'address': '10.0.0.2'}]})
    assert list(mark.destinations) == [(ip('10.0.0.2'), 0)]
    allports = service_from_params({'address': '10.0.0.1', 'port': 0, 'persistent': 300,
                                    'destinations': [{'address': '10.0.0.2'}]})
    assert list(allports.destinations) == [(ip('10.0.0.2'), 0)]
    # Strings from templating are accepted where they are whole numbers.
    assert service_from_params({'address': '10.0.0.1', 'port': '80', 'persistent': '60'}).persistent == 60


@pytest.mark.parametrize('entry, message', [
    (dict(V4, schedular='rr'), r"^services\[0\]\.schedular: unsupported option; supported: protocol, address, port"),
    ('192.168.56.40:80', r"^services\[0\]: must be a dictionary"),
    (dict(V4, state='gone'), r"^services\[0\]\.state: must be one of: present, absent \(got 'gone'\)"),
    (dict(V4, protocol='udp', one_packet='perhaps'), r"^services\[0\]\.one_packet: must be a boolean"),
    (dict(V4, sched_flags=5), r"^services\[0\]\.sched_flags: must be a list \(got 5\)"),
    (dict(V4, destinations='192.168.56.41'), r"^services\[0\]\.destinations\[0\]: must be a dictionary"),
])
def test_service_entries_are_checked_like_an_argument_spec(entry, message):
    with pytest.raises(IpvsError, match=message):
        table_from_params([entry])


def test_service_entries_take_what_templating_produces():
    tbl, _absent = table_from_params([dict(V4, protocol='udp', port='53', one_packet='yes', scheduler='sh',
                                           sched_flags='sh-port, sh-fallback')])
    svc = list(tbl.values())[0]
    assert svc.one_packet is True and svc.sched_flags == ('sh-fallback', 'sh-port') and svc.key.port == 53


def test_table_from_params_splits_absent_services():
    tbl, absent = table_from_params([V4, {'fwmark': 3, 'state': 'absent', 'scheduler': 'nonsense-ignored'}])
    assert list(tbl) == [tcp()] and absent == [ServiceKey(fwmark=3)]


# ---------------------------------------------------------------------------
# persistence_netmask, and netmask, its alias


@pytest.mark.parametrize('option', ['persistence_netmask', 'netmask'])
def test_persistence_netmask_under_either_name(option):
    assert service_from_params(dict(V4, persistent=60, **{option: '255.255.255.0'})).netmask == 24
    tbl, _absent = table_from_params([dict(V4, persistent=60, **{option: 16})])
    assert tbl[tcp()].netmask == 16
    # Errors name the option as the entry has it.
    with pytest.raises(IpvsError, match=r'^%s: only applies to a persistent service' % option):
        service_from_params(dict(V4, **{option: '255.255.255.0'}))
    with pytest.raises(IpvsError, match=r'^services\[0\]\.%s: must be a prefix length between 1 and 32' % option):
        table_from_params([dict(V4, persistent=60, **{option: 33})])


def test_persistence_netmask_with_its_alias():
    # What an argument spec's alias handling leaves (lvs.ha.ipvs_service, the ipvs_services filter): both, equal.
    svc = service_from_params(dict(V4, persistent=60, netmask='24', persistence_netmask='24'))
    assert svc.netmask == 24
    with pytest.raises(IpvsError, match=r"^services\[0\]\.netmask: is an alias of persistence_netmask, which is "
                                        r"set to '16' \(got '24'\)"):
        table_from_params([dict(V4, persistent=60, netmask='24', persistence_netmask='16')])


def test_argument_spec_names_persistence_netmask_with_netmask_as_alias():
    spec = model.service_argument_spec()
    assert spec['persistence_netmask'] == {'type': 'str', 'aliases': ['netmask']} and 'netmask' not in spec
    assert 'persistence_netmask' in model.SERVICE_OPTIONS and 'netmask' not in model.SERVICE_OPTIONS
    assert model.SERVICE_ALIASES == {'netmask': 'persistence_netmask'}
    # The returned service keeps the key the modules have always returned.
    assert service_from_params(dict(V4, persistent=60, persistence_netmask=24)).to_dict()['netmask'] == 24


def test_constants_are_the_schemas():
    for name in ('PROTOCOLS', 'FAMILIES', 'FORWARDING', 'SCHEDULERS', 'DEFAULT_SCHEDULER', 'SCHED_FLAGS',
                 'MAX_WEIGHT', 'MAX_THRESHOLD', 'MAX_FWMARK', 'MAX_PERSISTENCE', 'MAX_PORT'):
        assert getattr(model, name) is getattr(_schema, name), name
    assert 'twos' not in model.SCHEDULERS
    assert set(model.SCHED_FLAGS) == set(model.GENERIC_FLAGS) | set(model.FLAG_NAMES['sh']) | set(model.FLAG_NAMES['mh'])
    spec = model.service_argument_spec()
    assert spec['scheduler']['choices'] == list(_schema.SCHEDULERS)
    assert spec['sched_flags']['choices'] == list(_schema.SCHED_FLAGS)


# ---------------------------------------------------------------------------
# Thresholds: a lower one needs an upper one at least as large


@pytest.mark.parametrize('thresholds, message', [
    ({'lower_threshold': 20}, r'lower_threshold: must not exceed upper_threshold \(None\) \(got 20\)'),
    ({'lower_threshold': '20'}, r'lower_threshold: must not exceed upper_threshold \(None\) \(got 20\)'),
    ({'upper_threshold': 10, 'lower_threshold': 20}, r'lower_threshold: must not exceed upper_threshold \(10\) \(got 20\)'),
    ({'upper_threshold': 0, 'lower_threshold': 1}, r'lower_threshold: must not exceed upper_threshold \(0\) \(got 1\)'),
])
@pytest.mark.parametrize('forwarding', ['dr', 'nat', 'tunnel'])
def test_lower_threshold_alone_or_above_the_upper_is_refused(thresholds, message, forwarding):
    entry = dict(thresholds, address='192.168.56.41', forwarding=forwarding)
    with pytest.raises(IpvsError, match='^' + message):
        model.thresholds_from_params(entry)
    with pytest.raises(IpvsError, match='^' + message):
        model.destination_from_params(entry, tcp())
    with pytest.raises(IpvsError, match=r'^services\[0\]\.destinations\[1\]\.' + message):
        table_from_params([dict(V4, destinations=[{'address': '192.168.56.42'}, entry])])


def test_lower_threshold_zero_or_up_to_the_upper_is_taken():
    assert model.thresholds_from_params({}) == (None, None)
    assert model.thresholds_from_params({'lower_threshold': 0}) == (None, 0)
    assert model.thresholds_from_params({'upper_threshold': 10, 'lower_threshold': 10}) == (10, 10)
    dest = model.destination_from_params({'address': '192.168.56.41', 'upper_threshold': 100, 'lower_threshold': 10},
                                         tcp())
    assert (dest.upper_threshold, dest.lower_threshold) == (100, 10)


FAST_PATH_LINES = [
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 1',          # taken inline
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 0',
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 65535',
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 65536',      # refused: weight
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -g -w 0000001',
    '-a -t 10.1.0.1:80 -r 10.2.0.1:81 -g -w 1',          # refused: dr changes no port
    '-a -t 10.1.0.1:80 -r 10.2.0.1:080 -g -w 1',
    '-a -t 10.1.0.1:80 -r 10.2.0.256:80 -g -w 1',        # refused: no address
    '-a -t 10.1.0.1:80 -r 010.2.0.1:80 -g -w 1',
    '-a -t 10.1.0.1:80 -r 10.2.0.1.5:80 -g -w 1',
    '-a -t 10.1.0.1:80 -r 10.2.0.1 -g -w 1',
    '-a -t 10.1.0.1:80 -r [2001:db8::1]:80 -g -w 1',     # refused: family
    '-a -t 10.1.0.1:80 -r 10.2.0.1:80 -m -w 1',          # nat: the general path
    '-a -t 10.1.0.1:80 -r 10.2.0.1:8080 -m -w 1',
    '-a -t 10.1.0.9:80 -r 10.2.0.1:80 -g -w 1',          # refused: no -A line
    '-a -u 10.1.0.1:80 -r 10.2.0.1:80 -g -w 1',
    '-a -f 7 -r 10.2.0.1:80 -g -w 1',
    '-a -f 7 -r 10.2.0.1:0 -g -w 1',
    '-a -t [2001:db8::80]:80 -r 10.2.0.1:80 -g -w 1',
    '-a -t [2001:db8::80]:80 -r [2001:db8::1]:80 -g -w 1',
]


@pytest.mark.parametrize('line', FAST_PATH_LINES)
def test_table_from_rules_inline_path_agrees_with_the_general_one(line, monkeypatch):
    """The -a line of an IPv4 real server by direct routing is checked inline; every line,
    taken or refused, gives the same table or the same error as the general path."""
    text = ('-A -t 10.1.0.1:80 -s wlc\n-A -f 7 -s rr\n-A -t [2001:db8::80]:80 -s rr\n'
            '-a -t 10.1.0.1:80 -r 10.2.0.2:80 -g -w 3\n%s\n%s\n' % (line, line))

    def outcome():
        try:
            return model.table_from_rules(text)
        except model.IpvsError as exc:
            return str(exc)

    fast = outcome()
    monkeypatch.setattr(model, '_ipv4_dr_destination', lambda *args: None)
    general = outcome()
    assert fast == general
    # each line twice: refused on its first line, or taken and then refused as a duplicate
    assert isinstance(fast, str)
    assert fast.startswith('rules line 5: ') or fast.startswith('rules line 6: -r: duplicate destination')
