# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipvs/parse.py: ipvsadm -S and -L output into the model."""

from __future__ import annotations

import random

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    Destination, IpvsError, Service, ServiceKey, table_from_params,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import (
    merge_thresholds, parse_connections, parse_daemons, parse_list, parse_number, parse_rule, parse_save, parse_timeouts, rule_op,
    thresholds_all_zero,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import Op
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_save

from ipvs_tables import diff_lines, full_declared, full_table, random_table, recorded, tcp, zero_thresholds


# ---------------------------------------------------------------------------
# parse_save


def test_parse_save_reads_every_kind_of_rule():
    tbl = parse_save(recorded('full-save.txt'))
    assert len(tbl) == 20
    web = tbl[tcp()]
    assert web.scheduler == 'rr' and web.persistent is None
    assert [(d.address, d.port, d.forwarding, d.weight) for d in web.destinations.values()] == [
        ('192.168.56.41', 80, 'dr', 1), ('192.168.56.42', 80, 'dr', 3), ('192.168.56.43', 80, 'dr', 0)]
    https = tbl[tcp(port=443)]
    assert (https.scheduler, https.persistent, https.netmask) == ('wlc', 1800, 24)
    assert [(d.forwarding, d.tunnel_type, d.tunnel_port, d.tunnel_checksum) for d in https.destinations.values()] == [
        ('tunnel', 'ipip', None, None), ('tunnel', 'gue', 6080, 'nocsum'), ('tunnel', 'gre', None, 'csum')]
    assert tbl[tcp(port=8443)].persistent == 360          # a bare -p
    dns = tbl[ServiceKey('udp', '192.168.56.40', 53)]
    assert dns.sched_flags == ('sh-fallback', 'sh-port')
    assert [(d.forwarding, d.port) for d in dns.destinations.values()] == [('nat', 5353), ('nat', 5353)]
    assert tbl[ServiceKey('udp', '192.168.56.40', 514)].one_packet is True
    sip = tbl[ServiceKey('udp', '192.168.56.40', 5060)]
    assert (sip.persistent, sip.persistence_engine) == (60, 'sip')
    diameter = tbl[ServiceKey('sctp', '192.168.56.40', 3868)]
    assert (diameter.scheduler, diameter.sched_flags) == ('mh', ('mh-fallback', 'mh-port'))
    v6 = tbl[tcp('2001:db8::40')]
    assert list(v6.destinations) == [('2001:db8::41', 80), ('2001:db8::42', 8080)]
    assert tbl[tcp('2001:db8::40', 443)].netmask == 64
    mark4, mark6 = tbl[ServiceKey(fwmark=5)], tbl[ServiceKey(fwmark=5, family='ipv6')]
    assert [d.port for d in mark4.destinations.values()] == [0, 0] and mark4.scheduler == 'wrr'
    assert (mark6.scheduler, mark6.persistent) == ('lc', 360)
    assert list(mark6.destinations) == [('2001:db8::41', 0), ('2001:db8::42', 0)]
    assert tbl[tcp(port=8086)].scheduler == 'wlc'          # ipvsadm's default
    assert tbl[tcp(port=8087)].destinations[('192.168.56.31', 80)].forwarding == 'nat'   # local, still Masq
    assert all(d.upper_threshold is None for svc in tbl.values() for d in svc.destinations.values())


def test_parse_save_matches_the_declared_table():
    """The hand-written declaration of the recorded table needs no change."""
    declared, _absent = table_from_params(full_declared())
    assert sorted(map(str, declared)) == sorted(map(str, full_table()))
    assert diff_lines(full_table(), declared, purge=True) == []


def test_every_recorded_save_parses():
    for name in ('empty-save.txt', 'basic-save.txt', 'traffic-save.txt', 'full-restore-from-save.txt'):
        parse_save(recorded(name))
    assert parse_save(recorded('empty-save.txt')) == {}
    assert len(parse_save(recorded('basic-save.txt'))[tcp()].destinations) == 3


def test_restore_of_a_save_gives_the_same_table():
    """ipvsadm -R of -S output recreates the table (recorded), and so does ours."""
    assert parse_save(recorded('full-restore-from-save.txt')) == parse_save(recorded('full-save.txt'))
    ours = render_save(parse_save(recorded('full-save.txt')))
    assert zero_thresholds(parse_save('\n'.join(ours))) == zero_thresholds(parse_save(recorded('full-save.txt')))


def test_parse_save_tunnel_rule_of_ipvsadm_before_1_30():
    # Constructed (no older ipvsadm in the lab): before 1.30, -S printed no --tun-type.
    tbl = parse_save('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.2:80 -i -w 1\n')
    assert list(tbl[tcp('10.0.0.1')].destinations.values())[0].tunnel_type == 'ipip'


def test_parse_save_accepts_ipvsadm_prefix_and_long_options():
    commands = recorded('full.commands').replace('ipvsadm -A -t 192.168.56.40:8086',
                                                 'ipvsadm --add-service --tcp-service 192.168.56.40:8086')
    tbl = parse_save(commands)
    assert zero_thresholds(tbl) == full_table()


def test_parse_save_names_the_bad_line():
    with pytest.raises(IpvsError, match=r"line 2 of ipvsadm -S output: '-a -t 10.0.0.9:80 -r 10.0.0.2:80"):
        parse_save('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.9:80 -r 10.0.0.2:80 -g -w 1\n')
    with pytest.raises(IpvsError, match='line 1'):
        parse_save(recorded('error-bad-address.stderr'))


@pytest.mark.parametrize('seed', range(50))
def test_fast_path_agrees_with_parse_rule(seed):
    for text in (''.join(line + '\n' for line in render_save(random_table(random.Random(seed)))),
                 recorded('full-save.txt'), recorded('traffic-save.txt')):
        fast = parse_save(text)
        for line in text.splitlines():
            if line.startswith('-a'):
                _command, key, _service, destination = parse_rule(line)
                assert fast[key].destinations[destination.key] == destination


def test_dr_destination_port_is_the_service_port_as_the_kernel_stores_it():
    # ipvsadm sets the real-server port to the service port for -g and -i.
    tbl = parse_save('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g -w 1\n')
    assert list(tbl[tcp('10.0.0.1')].destinations) == [('10.0.0.2', 80)]


# ---------------------------------------------------------------------------
# parse_list and friends


def test_parse_list_agrees_with_parse_save():
    saved = parse_save(recorded('full-save.txt'))
    for name in ('full-list.txt', 'full-list-exact.txt', 'full-list-nosort.txt', 'full-thresholds.txt',
                 'full-persistent-conn.txt', 'full-tun-info.txt'):
        listed = parse_list(recorded(name))
        assert sorted(map(str, (key for key, _f, _d in listed))) == sorted(map(str, saved)), name
        for key, fields, dests in listed:
            assert fields == dict((name, getattr(saved[key], name)) for name in fields), (name, key)
            listed_keys = [(d['address'], d['port']) for d in dests]
            if name == 'full-list-nosort.txt':
                listed_keys.sort()
            assert listed_keys == list(saved[key].destinations), (name, key)
            for item in dests:
                dest = saved[key].destinations[(item['address'], item['port'])]
                assert item.get('forwarding', dest.forwarding) == dest.forwarding
                assert item.get('weight', dest.weight) == dest.weight


def test_parse_list_plain_columns():
    listed = dict((key, dests) for key, _f, dests in parse_list(recorded('traffic-list.txt')))
    assert listed[tcp()] == [{'address': '192.168.56.31', 'port': 80, 'forwarding': 'dr', 'weight': 1,
                              'active_connections': 3, 'inactive_connections': 167}]
    assert listed[tcp(port=8080)][0]['forwarding'] == 'nat'


def test_parse_list_thresholds():
    listed = dict((key, dests) for key, _f, dests in parse_list(recorded('full-thresholds.txt')))
    assert [(d['upper_threshold'], d['lower_threshold']) for d in listed[tcp()]] == [(0, 0), (100, 10), (0, 0)]
    assert listed[ServiceKey('udp', '192.168.56.40', 53)][1]['upper_threshold'] == 5000


def test_parse_list_stats_exact_and_rounded():
    (_web, _fields, dests), _other = parse_list(recorded('traffic-stats-exact.txt'))
    exact = dict((key, fields) for key, fields, _d in parse_list(recorded('traffic-stats-exact.txt')))
    assert exact[tcp()] == {'connections': 257, 'packets_in': 3902, 'packets_out': 3607, 'bytes_in': 224634,
                            'bytes_out': 128804252}
    assert dests[0]['bytes_out'] == 128804252
    rounded = dict((key, fields) for key, fields, _d in parse_list(recorded('traffic-stats.txt')))
    assert rounded[tcp()]['bytes_out'] == 128522000        # printed as 128522K without --exact
    # Constructed: larger suffixes, same rule.
    assert parse_number('1234G') == 1234 * 1000 ** 3 and parse_number('7T') == 7 * 1000 ** 4
    assert parse_list(recorded('empty-stats.txt')) == []


def test_parse_list_rate_and_persistent_conn():
    rates = dict((key, (fields, dests)) for key, fields, dests in parse_list(recorded('traffic-rate.txt')))
    assert rates[tcp()][0] == {'connections': 12, 'packets_in': 110, 'packets_out': 87, 'bytes_in': 6749,
                               'bytes_out': 962447}
    assert rates[tcp(port=8080)][1][0]['bytes_out'] == 5754
    pconn = dict((key, dests) for key, _f, dests in parse_list(recorded('traffic-persistent-conn.txt')))
    assert pconn[tcp(port=8080)][0]['persistent_connections'] == 1
    assert pconn[tcp()][0]['inactive_connections'] == 291


def test_parse_list_single_service_has_no_version_line():
    (key, fields, dests), = parse_list(recorded('full-one-service.txt'))
    assert key == tcp() and fields['scheduler'] == 'rr' and len(dests) == 3
    (key, fields, dests), = parse_list(recorded('full-one-fwmark6.txt'))
    assert key == ServiceKey(fwmark=5, family='ipv6') and fields['persistent'] == 360
    assert parse_list(recorded('empty-list.txt')) == [] and parse_list(recorded('module-autoload-list.txt')) == []


def test_parse_list_names_the_bad_line():
    with pytest.raises(IpvsError, match='line 4 of ipvsadm -L output'):
        parse_list(recorded('full-list.txt').replace(' rr\n', ' rr bogus\n', 1))


def test_merge_thresholds_fills_only_listed_services():
    tbl = parse_save(recorded('full-save.txt'))
    merge_thresholds(tbl, [entry for entry in parse_list(recorded('full-thresholds.txt')) if entry[0] == tcp()])
    web = list(tbl[tcp()].destinations.values())
    assert [(d.upper_threshold, d.lower_threshold) for d in web] == [(0, 0), (100, 10), (0, 0)]
    assert list(tbl[tcp(port=8443)].destinations.values())[0].upper_threshold is None


def test_parse_timeouts_and_daemons():
    assert parse_timeouts(recorded('timeout-default.txt')) == {'tcp': 900, 'tcp_fin': 120, 'udp': 300}
    assert parse_timeouts(recorded('timeout-set.txt')) == {'tcp': 600, 'tcp_fin': 90, 'udp': 200}
    assert parse_daemons(recorded('daemon-none.txt')) == []
    assert parse_daemons(recorded('daemon-stopped.txt')) == []
    assert parse_daemons(recorded('daemon-master-backup.txt')) == [
        {'state': 'master', 'interface': 'ens4', 'syncid': 0, 'maxlen': 1472, 'group': '224.0.0.81',
         'port': 8848, 'ttl': 1},
        {'state': 'backup', 'interface': 'ens4', 'syncid': 7, 'maxlen': 1472, 'group': '224.0.0.81',
         'port': 8848, 'ttl': 1},
    ]
    with pytest.raises(IpvsError):
        parse_timeouts('nonsense')


# ---------------------------------------------------------------------------
# Rule lines as ops (the emulator's ipvsadm -R)


def test_rule_op_reads_a_line_as_the_op_ipvsadm_carries_out():
    web = tcp('10.0.0.1')
    assert rule_op('-E -t 10.0.0.1:80 -s wrr -p 60 -M 255.255.255.0') == Op(
        'edit_service', web, Service(web, 'wrr', 60, 24))
    assert rule_op('ipvsadm --delete-service --tcp-service 10.0.0.1:80') == Op('delete_service', web)
    assert rule_op('-e -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 3 -x 100 -y 10') == Op(
        'edit_server', web, None, Destination('10.0.1.1', 8080, 'nat', 3, 100, 10))
    assert rule_op('-a -f 7 -6 -r [2001:db8::1]:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum') == Op(
        'add_server', ServiceKey(fwmark=7, family='ipv6'), None,
        Destination('2001:db8::1', 0, 'tunnel', 1, None, None, 'gue', 6080, 'csum'))
    with pytest.raises(ValueError, match='not an ipvsadm rule'):
        rule_op('-C')


def test_parse_connections():
    entries = parse_connections(recorded('traffic-connections.txt'))
    assert len(entries) == 365
    established = [e for e in entries if e['state'] == 'ESTABLISHED']
    assert len(established) == 4
    assert established[0] == {'protocol': 'tcp', 'state': 'ESTABLISHED', 'expires': 881, 'client': '192.168.56.1',
                              'client_port': 33128, 'virtual': '192.168.56.40', 'virtual_port': 8080,
                              'destination': '192.168.56.31', 'destination_port': 80,
                              'flow': 'tcp 192.168.56.1:33128 192.168.56.40:8080'}
    # a persistence template: client port 0
    assert [e['client_port'] for e in entries if e['state'] == 'ASSURED'] == [0]
    six = parse_connections('UDP 04:59  UDP         [2001:db8::1]:5353 [2001:db8::40]:53 [2001:db8::41]:53\n')
    assert (six[0]['client'], six[0]['virtual_port'], six[0]['flow']) == (
        '2001:db8::1', 53, 'udp [2001:db8::1]:5353 [2001:db8::40]:53')
    assert parse_connections('IPVS connection entries\npro expire state       source             virtual\n') == []
    for bad in ('TCP 14:59 ESTABLISHED 192.168.56.1:1 192.168.56.40:80\n',
                'TCP 14:59 ESTABLISHED host:1 192.168.56.40:80 192.168.56.41:80\n'):
        with pytest.raises(IpvsError, match='cannot parse ipvsadm -L -n -c output line'):
            parse_connections(bad)


def test_thresholds_all_zero_reads_the_first_two_columns():
    listing = recorded('full-thresholds.txt')
    assert thresholds_all_zero(listing) is False        # 100/10, 50, 5000 among them
    zeroed = '\n'.join(line if not line.lstrip().startswith('-> ') or 'RemoteAddress' in line
                       else ' '.join(line.split()[:2] + ['0', '0'] + line.split()[4:]) for line in listing.splitlines())
    assert thresholds_all_zero(zeroed) is True
    assert all(dest['upper_threshold'] == dest['lower_threshold'] == 0
               for _key, _fields, dests in parse_list(zeroed) for dest in dests)
    # another form of the listing (its first columns are not thresholds): not told
    assert thresholds_all_zero(recorded('full-stats.txt')) is False
    assert thresholds_all_zero(recorded('empty-list.txt')) is False
