# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.ha.ipvs_destination against an emulated ipvsadm."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import ServiceKey
from ansible_collections.lvs.ha.plugins.modules import ipvs_destination

from ipvsadm_emulator import FakeIpvsadm, Fail

TABLE = ('-A -t 192.168.56.40:80 -s rr\n'
         '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 2\n'
         '-A -t 192.168.56.40:443 -s rr\n'
         '-a -t 192.168.56.40:443 -r 10.0.0.11:8443 -m -w 3\n'
         '-A -f 5 -6 -s wlc\n')
WEB = {'address': '192.168.56.40', 'port': 80}
KEY = ServiceKey('tcp', '192.168.56.40', 80)
THRESHOLDS = {KEY: {('192.168.56.41', 80): (100, 10)}}


def dest_of(fake, key, address, port):
    return fake.table[key].destinations[(address, port)]


def test_adds_then_nothing(run_module):
    fake = FakeIpvsadm(TABLE)
    args = {'service': WEB, 'address': '192.168.56.42', 'weight': 2}
    result = run_module(ipvs_destination.main, args, fake)
    assert result['commands'] == ['-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 2']
    assert result['destination']['port'] == 80 and result['destination']['upper_threshold'] == 0
    assert run_module(ipvs_destination.main, args, fake)['changed'] is False


def test_weight_edit_keeps_thresholds(run_module):
    fake = FakeIpvsadm(TABLE, thresholds=THRESHOLDS)
    result = run_module(ipvs_destination.main, {'service': WEB, 'address': '192.168.56.41', 'weight': 5}, fake)
    assert result['commands'] == ['-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 5 -x 100 -y 10']
    assert result['destination']['upper_threshold'] == 100
    assert dest_of(fake, KEY, '192.168.56.41', 80).upper_threshold == 100


def test_declared_thresholds_are_idempotent(run_module):
    fake = FakeIpvsadm(TABLE, thresholds=THRESHOLDS)
    args = {'service': WEB, 'address': '192.168.56.41', 'weight': 2, 'upper_threshold': 100, 'lower_threshold': 10}
    result = run_module(ipvs_destination.main, args, fake)
    assert result['changed'] is False and fake.mutating_calls() == []
    args['upper_threshold'] = 0
    args['lower_threshold'] = 0
    assert run_module(ipvs_destination.main, args, fake)['commands'] == [
        '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 2']
    assert run_module(ipvs_destination.main, args, fake)['changed'] is False


def test_forwarding_change_is_an_edit(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_destination.main, {'service': WEB, 'address': '192.168.56.41', 'weight': 2,
                                                'forwarding': 'tunnel'}, fake)
    assert result['commands'] == ['-e -t 192.168.56.40:80 -r 192.168.56.41:80 -i -w 2']


def test_drained_sets_weight_zero_and_nothing_else(run_module):
    fake = FakeIpvsadm(TABLE)
    args = {'service': {'address': '192.168.56.40', 'port': 443}, 'address': '10.0.0.11', 'port': 8443,
            'state': 'drained'}
    result = run_module(ipvs_destination.main, args, fake, diff=True)
    # forwarding stays nat although the option's default is dr
    assert result['commands'] == ['-e -t 192.168.56.40:443 -r 10.0.0.11:8443 -m -w 0']
    assert result['destination']['weight'] == 0 and result['destination']['forwarding'] == 'nat'
    assert '-m -w 3\n' in result['diff']['before'] and '-m -w 0\n' in result['diff']['after']
    assert run_module(ipvs_destination.main, args, fake)['changed'] is False


def test_drained_adds_a_missing_destination_with_weight_zero(run_module):
    fake = FakeIpvsadm(TABLE)
    result = run_module(ipvs_destination.main, {'service': WEB, 'address': '192.168.56.43', 'weight': 4,
                                                'state': 'drained'}, fake)
    assert result['commands'] == ['-a -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 0']


def test_absent(run_module):
    fake = FakeIpvsadm(TABLE)
    args = {'service': {'address': '192.168.56.40', 'port': 443}, 'address': '10.0.0.11', 'port': 8443,
            'state': 'absent'}
    result = run_module(ipvs_destination.main, args, fake)
    assert result['commands'] == ['-d -t 192.168.56.40:443 -r 10.0.0.11:8443'] and result['destination'] is None
    assert run_module(ipvs_destination.main, args, fake)['changed'] is False


def test_ipv6_fwmark_destination(run_module):
    fake = FakeIpvsadm(TABLE)
    args = {'service': {'fwmark': 5, 'family': 'ipv6'}, 'address': '2001:db8::41'}
    result = run_module(ipvs_destination.main, args, fake)
    assert result['commands'] == ['-a -f 5 -6 -r [2001:db8::41]:0 -g -w 1']
    assert run_module(ipvs_destination.main, args, fake)['changed'] is False


def test_missing_service_fails_but_check_mode_warns(run_module):
    fake = FakeIpvsadm(TABLE)
    args = {'service': {'address': '192.168.56.40', 'port': 8080}, 'address': '192.168.56.41'}
    with pytest.raises(Fail) as error:
        run_module(ipvs_destination.main, args, fake)
    assert error.value.args[0]['msg'] == ('service tcp 192.168.56.40:8080 does not exist; create it first '
                                          '(lvs.ha.ipvs_service)')
    result = run_module(ipvs_destination.main, args, fake, check_mode=True)
    assert result['changed'] is True and result['commands'] == [
        '-a -t 192.168.56.40:8080 -r 192.168.56.41:8080 -g -w 1']
    assert 'does not exist' in result['warnings'][0]
    assert fake.mutating_calls() == []


@pytest.mark.parametrize('args, message', [
    ({'service': {'address': '2001:db8::40', 'port': 80}, 'address': '192.168.56.41'},
     'address: is ipv4 but service tcp [2001:db8::40]:80 is ipv6'),
    ({'service': WEB, 'address': '192.168.56.41', 'port': 8080},
     'port: must equal the service port 80 with forwarding dr'),
    ({'service': WEB, 'address': '192.168.56.41', 'weight': 70000}, 'weight: must be between 0 and 65535'),
    ({'service': {'fwmark': 5, 'port': 80}, 'address': '192.168.56.41'}, 'service.port: must not be set with fwmark'),
    ({'service': WEB, 'address': 'rs1.example.com'}, "address: is not an IPv4 or IPv6 address (got 'rs1.example.com')"),
])
def test_bad_input_fails_before_anything_runs(run_module, args, message):
    fake = FakeIpvsadm(TABLE)
    with pytest.raises(Fail) as error:
        run_module(ipvs_destination.main, args, fake)
    assert error.value.args[0]['msg'].startswith(message)
    assert fake.calls == []


@pytest.mark.parametrize('state', ['present', 'drained', 'absent'])
@pytest.mark.parametrize('thresholds, message', [
    ({'lower_threshold': 10}, 'lower_threshold: must not exceed upper_threshold (None) (got 10)'),
    ({'upper_threshold': 5, 'lower_threshold': 10}, 'lower_threshold: must not exceed upper_threshold (5) (got 10)'),
])
@pytest.mark.parametrize('address', ['192.168.56.41', '192.168.56.49'])     # existing (thresholds 100/10), new
def test_lower_threshold_alone_or_above_the_upper_is_refused(run_module, state, thresholds, message, address):
    fake = FakeIpvsadm(TABLE, thresholds=THRESHOLDS)
    for check_mode in (False, True):
        with pytest.raises(Fail) as error:
            run_module(ipvs_destination.main, dict(thresholds, service=WEB, address=address, state=state), fake,
                       check_mode=check_mode)
        assert error.value.args[0]['msg'] == message
    assert fake.calls == []
