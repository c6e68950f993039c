# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.ha.ipvs_service against an emulated ipvsadm."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.modules import ipvs_service

from ipvsadm_emulator import FakeIpvsadm, Fail

TABLE = ('-A -t 192.168.56.40:80 -s rr\n'
         '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1\n'
         '-A -f 5 -6 -s wlc -p 300 -M 64\n')


def test_adds_then_nothing(run_module):
    fake = FakeIpvsadm()
    args = {'protocol': 'udp', 'address': '2001:db8::53', 'port': 53, 'scheduler': 'sh',
            'sched_flags': ['flag-2', 'sh-fallback']}
    result = run_module(ipvs_service.main, args, fake)
    assert result['commands'] == ['-A -u [2001:db8::53]:53 -s sh -b sh-fallback,sh-port']
    assert result['service'] == {'protocol': 'udp', 'address': '2001:db8::53', 'port': 53, 'fwmark': None,
                                 'family': 'ipv6', 'scheduler': 'sh', 'persistent': None, 'netmask': None,
                                 'persistence_engine': None, 'one_packet': False,
                                 'sched_flags': ['sh-fallback', 'sh-port']}
    again = run_module(ipvs_service.main, args, fake)
    assert again['changed'] is False and again['commands'] == []


def test_edit_keeps_destinations(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_service.main, {'address': '192.168.56.40', 'port': 80, 'scheduler': 'wrr',
                                            'persistent': 60, 'netmask': '255.255.255.0'}, fake, diff=True)
    assert result['commands'] == ['-E -t 192.168.56.40:80 -s wrr -p 60 -M 255.255.255.0']
    assert result['diff']['after'] == ('-A -t 192.168.56.40:80 -s wrr -p 60 -M 255.255.255.0\n'
                                       '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1\n')
    assert len(list(fake.table.values())[0].destinations) == 1


def test_fwmark_ipv6_is_idempotent(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_service.main, {'fwmark': 5, 'family': 'ipv6', 'persistent': 300, 'netmask': '64'},
                        fake)
    assert result['changed'] is False and fake.mutating_calls() == []
    # Same mark, IPv4: another service.
    result = run_module(ipvs_service.main, {'fwmark': 5, 'persistent': 300}, fake, check_mode=True)
    assert result['commands'] == ['-A -f 5 -s wlc -p 300']


def test_absent(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_service.main, {'address': '192.168.56.40', 'port': 80, 'state': 'absent'}, fake)
    assert result['commands'] == ['-D -t 192.168.56.40:80'] and result['service'] is None
    again = run_module(ipvs_service.main, {'address': '192.168.56.40', 'port': 80, 'state': 'absent'}, fake)
    assert again['changed'] is False


@pytest.mark.parametrize('args, message', [
    ({'address': '192.168.56.40', 'port': 0}, 'port: port 0 (all ports) is only valid for a persistent service'),
    ({'address': '192.168.56.40', 'port': 65536}, 'port: must be between 0 and 65535 (got 65536)'),
    ({'fwmark': 5, 'port': 80}, 'port: must not be set with fwmark'),
    ({'address': '192.168.56.400', 'port': 80}, "address: is not an IPv4 or IPv6 address (got '192.168.56.400')"),
])
def test_bad_input_fails_before_anything_runs(run_module, args, message):
    fake = FakeIpvsadm(TABLE)
    with pytest.raises(Fail) as error:
        run_module(ipvs_service.main, args, fake)
    assert error.value.args[0]['msg'].startswith(message)
    assert fake.calls == []


def test_unknown_scheduler_is_refused_by_the_argument_spec(run_module):
    fake = FakeIpvsadm(TABLE)
    with pytest.raises(Fail) as error:
        run_module(ipvs_service.main, {'address': '192.168.56.40', 'port': 80, 'scheduler': 'nosuch'}, fake)
    assert 'scheduler' in error.value.args[0]['msg'] and 'nosuch' in error.value.args[0]['msg']
    assert fake.calls == []


@pytest.mark.parametrize('option', ['persistence_netmask', 'netmask'])
def test_persistence_netmask_or_its_alias(run_module, option):
    fake = FakeIpvsadm(TABLE)
    args = {'address': '192.168.56.40', 'port': 80, 'scheduler': 'rr', 'persistent': 60, option: '255.255.0.0'}
    result = run_module(ipvs_service.main, args, fake)
    assert result['commands'] == ['-E -t 192.168.56.40:80 -s rr -p 60 -M 255.255.0.0']
    assert result['service']['netmask'] == 16 and 'persistence_netmask' not in result['service']
    assert run_module(ipvs_service.main, dict(args, **{option: 16}), fake)['changed'] is False
    fake.calls = []
    with pytest.raises(Fail) as error:
        run_module(ipvs_service.main, {'address': '192.168.56.40', 'port': 80, option: '24'}, fake)
    assert error.value.args[0]['msg'].startswith('%s: only applies to a persistent service' % option)
    assert fake.calls == []
