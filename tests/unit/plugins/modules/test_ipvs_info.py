# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.ha.ipvs_info against an emulated ipvsadm."""

from __future__ import annotations

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import ServiceKey
from ansible_collections.lvs.ha.plugins.modules import ipvs_info

from ipvsadm_emulator import FakeIpvsadm, recorded

TABLE = ('-A -t 192.168.56.40:80 -s rr\n'
         '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 2\n'
         '-A -f 5 -6 -s wlc -p 300\n'
         '-a -f 5 -6 -r [2001:db8::41]:0 -i -w 1\n')
KEY = ServiceKey('tcp', '192.168.56.40', 80)


def test_reads_table_counters_timeouts(run_module):
    fake = FakeIpvsadm(TABLE, thresholds={KEY: {('192.168.56.41', 80): (100, 10)}})
    result = run_module(ipvs_info.main, {}, fake, check_mode=True)
    assert result['changed'] is False and result['loaded'] is True
    assert result['rules'] == TABLE.splitlines()
    web, mark = result['services']
    assert (web['address'], web['scheduler'], web['stats']['connections']) == ('192.168.56.40', 'rr', 0)
    assert web['destinations'][0]['upper_threshold'] == 100 and web['destinations'][0]['weight'] == 2
    assert web['destinations'][0]['active_connections'] == 0
    assert (mark['fwmark'], mark['family'], mark['persistent']) == (5, 'ipv6', 300)
    assert mark['destinations'][0]['forwarding'] == 'tunnel' and mark['destinations'][0]['tunnel_type'] == 'ipip'
    assert result['timeouts'] == {'tcp': 900, 'tcp_fin': 120, 'udp': 300}
    assert result['sync_daemons'] == []
    assert fake.mutating_calls() == []


def test_without_counters(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_info.main, {'counters': False}, fake)
    assert 'stats' not in result['services'][0]
    assert not [argv for argv, _stdin in fake.calls if '--stats' in argv or '--rate' in argv]


def test_does_not_load_ip_vs(run_module):
    fake = FakeIpvsadm(loaded=False)
    result = run_module(ipvs_info.main, {}, fake)
    assert result['loaded'] is False and result['services'] == []
    assert [argv for argv, _stdin in fake.calls] == [['/usr/sbin/modprobe', '--dry-run', 'ip_vs']]


def test_recorded_traffic(run_module):
    listings = {('-L', '-n', '--persistent-conn'): recorded('traffic-persistent-conn.txt'),
                ('-L', '-n', '--stats', '--exact'): recorded('traffic-stats-exact.txt'),
                ('-L', '-n', '--rate', '--exact'): recorded('traffic-rate.txt'),
                ('-L', '-n', '--timeout'): recorded('timeout-default.txt'),
                ('-L', '-n', '--daemon'): recorded('daemon-master.txt')}
    fake = FakeIpvsadm(recorded('traffic-save.txt'), listings=listings)
    result = run_module(ipvs_info.main, {}, fake)
    web, alt = result['services']
    assert web['stats'] == {'connections': 257, 'packets_in': 3902, 'packets_out': 3607, 'bytes_in': 224634,
                            'bytes_out': 128804252}
    assert web['rates']['connections'] == 12
    assert web['destinations'][0]['active_connections'] == 3 and web['destinations'][0]['inactive_connections'] == 291
    assert alt['destinations'][0]['forwarding'] == 'nat' and alt['destinations'][0]['persistent_connections'] == 1
    assert result['sync_daemons'][0]['state'] == 'master' and result['timeouts']['tcp'] == 900
