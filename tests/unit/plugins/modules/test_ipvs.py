# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lvs.ha.ipvs against an emulated ipvsadm (tests/unit/plugins/modules/conftest.py)."""

from __future__ import annotations

import os
import time

import pytest
import yaml

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import ServiceKey
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import merge_thresholds, parse_list
from ansible_collections.lvs.ha.plugins.modules import ipvs

from ipvsadm_emulator import NO_IPVS, FakeIpvsadm, Fail, recorded

WALKTHROUGH = ('-A -t 192.168.56.40:80 -s rr\n'
               '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1\n'
               '-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1\n'
               '-a -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 1\n')

WEB = {'address': '192.168.56.40', 'port': 80, 'scheduler': 'rr',
       'destinations': [{'address': '192.168.56.41'}, {'address': '192.168.56.42'},
                        {'address': '192.168.56.43'}]}


def test_creates_the_table_then_changes_nothing(run_module):
    fake = FakeIpvsadm()
    result = run_module(ipvs.main, {'services': [WEB]}, fake)
    assert result['changed'] is True
    assert result['commands'] == WALKTHROUGH.splitlines()
    assert result['summary']['add_service'] == 1 and result['summary']['add_server'] == 3
    # ipvsadm -R said nothing: every line was applied, no read-back
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n'], ['-R']]
    assert fake.calls[1][1] == WALKTHROUGH
    fake.calls = []
    again = run_module(ipvs.main, {'services': [WEB]}, fake)
    assert again['changed'] is False and again['commands'] == []
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n']]


def test_idempotent_on_the_table_ipvsadm_saved(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    result = run_module(ipvs.main, {'services': [WEB], 'purge': True}, fake)
    assert result['changed'] is False and fake.mutating_calls() == []


def test_check_mode_reports_and_runs_nothing_mutating(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    args = {'services': [dict(WEB, scheduler='wrr', destinations=[{'address': '192.168.56.44'}])], 'purge': True}
    result = run_module(ipvs.main, args, fake, check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['commands'] == [
        '-E -t 192.168.56.40:80 -s wrr',
        '-a -t 192.168.56.40:80 -r 192.168.56.44:80 -g -w 1',
        '-d -t 192.168.56.40:80 -r 192.168.56.41:80',
        '-d -t 192.168.56.40:80 -r 192.168.56.42:80',
        '-d -t 192.168.56.40:80 -r 192.168.56.43:80',
    ]
    assert result['diff']['before'] == WALKTHROUGH
    assert result['diff']['after'] == ('-A -t 192.168.56.40:80 -s wrr\n'
                                       '-a -t 192.168.56.40:80 -r 192.168.56.44:80 -g -w 1\n')
    assert fake.mutating_calls() == [] and fake.pristine


def test_check_mode_does_not_load_ip_vs(run_module):
    fake = FakeIpvsadm(loaded=False)
    result = run_module(ipvs.main, {'services': [WEB]}, fake, check_mode=True)
    assert result['commands'] == WALKTHROUGH.splitlines()
    assert [argv for argv, _stdin in fake.calls] == [['/usr/sbin/modprobe', '--dry-run', 'ip_vs']]
    assert fake.loaded is False


def test_edits_in_place(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    args = {'services': [dict(WEB, scheduler='wlc', persistent=300, destinations=[
        {'address': '192.168.56.41', 'weight': 0}, {'address': '192.168.56.42', 'forwarding': 'tunnel'}])]}
    result = run_module(ipvs.main, args, fake)
    assert result['commands'] == [
        '-E -t 192.168.56.40:80 -s wlc -p 300',
        '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 0',
        '-e -t 192.168.56.40:80 -r 192.168.56.42:80 -i -w 1',
    ]
    # The edits needed the current thresholds (an -e line resets what it omits): one listing
    # of that service.
    assert [argv[1:] for argv, _stdin in fake.calls] == [
        ['-S', '-n'], ['-L', '-n', '--thresholds', '-t', '192.168.56.40:80'], ['-R']]
    assert run_module(ipvs.main, args, fake)['changed'] is False


def test_thresholds_are_idempotent_and_kept(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    args = {'services': [dict(WEB, destinations=[{'address': '192.168.56.41', 'upper_threshold': 100,
                                                  'lower_threshold': 10}])]}
    first = run_module(ipvs.main, args, fake)
    assert first['commands'] == ['-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1 -x 100 -y 10']
    assert run_module(ipvs.main, args, fake)['changed'] is False
    # A weight change without thresholds keeps them.
    reweigh = {'services': [dict(WEB, destinations=[{'address': '192.168.56.41', 'weight': 5}])]}
    assert run_module(ipvs.main, reweigh, fake)['commands'] == [
        '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 5 -x 100 -y 10']


def test_absent_service_and_purge(run_module):
    fake = FakeIpvsadm(WALKTHROUGH + '-A -f 1234 -s rr\n-a -f 1234 -r 192.168.56.41:0 -g -w 1\n')
    result = run_module(ipvs.main, {'services': [{'fwmark': 1234, 'state': 'absent'}]}, fake)
    assert result['commands'] == ['-D -f 1234']
    result = run_module(ipvs.main, {'services': [], 'purge': True}, fake)
    assert result['commands'] == ['-D -t 192.168.56.40:80'] and fake.table == {}


def test_bad_input_fails_before_anything_runs(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    bad = dict(WEB, destinations=[{'address': '192.168.56.41'}, {'address': '192.168.56.41'}])
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [WEB, dict(WEB, scheduler='wlc')]}, fake)
    assert error.value.args[0]['msg'].startswith('services[1].address: duplicate service tcp 192.168.56.40:80')
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [bad]}, fake)
    assert error.value.args[0]['msg'].startswith(
        "services[0].destinations[1].address: duplicate destination 192.168.56.41:80")
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [{'address': '2001:db8::40', 'port': 80,
                                             'destinations': [{'address': '192.168.56.41'}]}]}, fake)
    assert 'services[0].destinations[0].address: is ipv4 but service tcp [2001:db8::40]:80 is ipv6' in \
        error.value.args[0]['msg']
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [dict(WEB, scheduler='nosuch')]}, fake)
    assert 'scheduler' in error.value.args[0]['msg'] and 'nosuch' in error.value.args[0]['msg']
    assert fake.calls == []


def test_partial_failure_is_reported(run_module):
    refused = '-A -t 192.168.56.40:81 -s mh'
    # as when the kernel cannot load the scheduler's module (recorded: restore-bad-scheduler-midbatch)
    fake = FakeIpvsadm(refuse={refused: 'Scheduler or persistence engine not found'})
    services = [WEB, {'address': '192.168.56.40', 'port': 81, 'scheduler': 'mh',
                      'destinations': [{'address': '192.168.56.41'}]}]
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': services}, fake)
    result = error.value.args[0]
    assert result['msg'] == ('ipvsadm -R applied only part of the change: 2 of 6 lines did not take effect '
                             '(ipvsadm -R rc=255): Scheduler or persistence engine not found Service not defined')
    assert result['not_applied'] == [refused, '-a -t 192.168.56.40:81 -r 192.168.56.41:81 -g -w 1']
    assert result['changed'] is True
    # What could be applied was: the web service is complete.
    assert len(fake.table) == 1 and len(list(fake.table.values())[0].destinations) == 3


def test_missing_ipvsadm(run_module):
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [WEB]}, FakeIpvsadm(), binaries=('modprobe',))
    assert error.value.args[0]['msg'].startswith('ipvsadm is not installed on this host')


def test_kernel_without_ipvs(run_module):
    fake = FakeIpvsadm(kernel=False)
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [WEB]}, fake)
    msg = error.value.args[0]['msg']
    assert msg.startswith('IPVS is not available in this kernel: ipvsadm says "Can\'t initialize ipvs: '
                          'Protocol not available')
    assert "'modprobe ip_vs' failed: modprobe: FATAL: Module ip_vs not found" in msg
    assert NO_IPVS.split('\n', maxsplit=1)[0] in msg


def test_kernel_without_ipvs_in_check_mode(run_module):
    fake = FakeIpvsadm(kernel=False, loaded=False)
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': [WEB]}, fake, check_mode=True)
    assert error.value.args[0]['msg'].startswith('IPVS is not available in this kernel: ')
    assert "'modprobe --dry-run ip_vs' failed" in error.value.args[0]['msg']


def test_large_table_reconciles_in_one_batch_and_no_change_is_cheap(run_module):
    services = [{'address': '10.1.%d.%d' % (i // 250, i % 250 + 1), 'port': 80, 'scheduler': 'rr',
                 'destinations': [{'address': '10.2.%d.%d' % (i // 25, (i % 25) * 10 + j + 1)}
                                  for j in range(10)]} for i in range(1000)]
    fake = FakeIpvsadm()
    result = run_module(ipvs.main, {'services': services}, fake)
    assert len(result['commands']) == 11000 and len([c for c in fake.calls if c[0][1:] == ['-R']]) == 1
    fake.calls = []
    start = time.time()
    again = run_module(ipvs.main, {'services': services}, fake)
    elapsed = time.time() - start
    assert again['changed'] is False and [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n']]
    assert elapsed < 5, elapsed
    services[500]['destinations'][3]['weight'] = 7
    fake.calls = []
    changed = run_module(ipvs.main, {'services': services}, fake)
    assert changed['commands'] == ['-e -t 10.1.2.1:80 -r 10.2.20.4:80 -g -w 7']


def full_table():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'full-table.yml')) as handle:
        return yaml.safe_load(handle)


def recorded_full():
    fake = FakeIpvsadm(recorded('full-save.txt'))
    merge_thresholds(fake.table, parse_list(recorded('full-thresholds.txt')))
    return fake


# A no-change run on the recorded full table: one read of the table, and thresholds only
# for the three services that declare some.
FULL_TABLE_READS = [
    ['-S', '-n'],
    ['-L', '-n', '--thresholds', '-t', '192.168.56.40:80'],
    ['-L', '-n', '--thresholds', '-t', '192.168.56.40:8443'],
    ['-L', '-n', '--thresholds', '-u', '192.168.56.40:53'],
]


def test_recorded_full_table_declared_is_unchanged(run_module):
    fake = recorded_full()
    result = run_module(ipvs.main, {'services': full_table(), 'purge': True}, fake)
    assert result['changed'] is False and result['commands'] == []
    # One read of the table, and thresholds only for the three services that declare some.
    assert [argv[1:] for argv, _stdin in fake.calls] == FULL_TABLE_READS


def test_recorded_full_table_one_threshold_changed(run_module):
    fake = recorded_full()
    services = full_table()
    services[3]['destinations'][1]['upper_threshold'] = 4000
    result = run_module(ipvs.main, {'services': services}, fake)
    assert result['commands'] == ['-e -u 192.168.56.40:53 -r 192.168.56.42:5353 -m -w 2 -x 4000']
    assert run_module(ipvs.main, {'services': services}, fake)['changed'] is False


def test_persistence_netmask_under_either_name(run_module):
    fake = FakeIpvsadm()
    services = [dict(WEB, persistent=300, persistence_netmask='255.255.255.0'),
                {'fwmark': 5, 'family': 'ipv6', 'persistent': 300, 'netmask': 64}]
    result = run_module(ipvs.main, {'services': services}, fake)
    assert result['commands'][:2] == ['-A -t 192.168.56.40:80 -s rr -p 300 -M 255.255.255.0',
                                      '-A -f 5 -6 -s wlc -p 300 -M 64']
    swapped = [dict(WEB, persistent=300, netmask=24), {'fwmark': 5, 'family': 'ipv6', 'persistent': 300,
                                                       'persistence_netmask': '64'}]
    assert run_module(ipvs.main, {'services': swapped}, fake)['changed'] is False


@pytest.mark.parametrize('thresholds, message', [
    ({'lower_threshold': 10}, 'lower_threshold: must not exceed upper_threshold (None) (got 10)'),
    ({'upper_threshold': 5, 'lower_threshold': 10}, 'lower_threshold: must not exceed upper_threshold (5) (got 10)'),
])
def test_lower_threshold_alone_or_above_the_upper_is_refused(run_module, thresholds, message):
    # Also where the destination exists with an upper threshold: the task must declare it.
    fake = FakeIpvsadm(WALKTHROUGH, thresholds={ServiceKey('tcp', '192.168.56.40', 80): {
        ('192.168.56.41', 80): (100, 0)}})
    services = [dict(WEB, destinations=[dict(thresholds, address='192.168.56.41')])]
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'services': services}, fake)
    assert error.value.args[0]['msg'] == 'services[0].destinations[0].' + message
    assert fake.calls == []


# --- the compact form: rules ------------------------------------------------------

def test_rules_equal_the_structured_form_on_the_recorded_full_table(run_module):
    """The full recorded table given as rule lines: the same table as its structured form,
    no change, and the same reads (thresholds only of the services whose lines set some)."""
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_params, table_from_rules
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_rules
    table = table_from_params(full_table())[0]
    text = render_rules(table)
    assert table_from_rules(text) == table
    fake = recorded_full()
    result = run_module(ipvs.main, {'rules': text, 'purge': True}, fake)
    assert result['changed'] is False and result['commands'] == []
    assert [argv[1:] for argv, _stdin in fake.calls] == FULL_TABLE_READS
    # what ipvsadm -S -n prints is a valid `rules` too (thresholds unmanaged): nothing to do
    fake.calls = []
    assert run_module(ipvs.main, {'rules': recorded('full-save.txt')}, fake)['changed'] is False
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n']]


def test_rules_create_edit_and_purge_like_services(run_module):
    fake = FakeIpvsadm()
    result = run_module(ipvs.main, {'rules': '# the web\n\n' + WALKTHROUGH}, fake)
    assert result['commands'] == WALKTHROUGH.splitlines()
    assert result['invocation']['module_args']['rules'] == '(6 lines)'
    fake.calls = []
    assert run_module(ipvs.main, {'rules': WALKTHROUGH}, fake)['changed'] is False
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n']]
    fake.calls = []
    lines = WALKTHROUGH.replace('-s rr', '-s wrr').replace('43:80 -g -w 1', '43:80 -g -w 0')
    result = run_module(ipvs.main, {'rules': '\n'.join(lines.splitlines()[:2] + lines.splitlines()[3:]),
                                    'purge': True}, fake, check_mode=True, diff=True)
    assert result['commands'] == ['-E -t 192.168.56.40:80 -s wrr', '-e -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 0',
                                  '-d -t 192.168.56.40:80 -r 192.168.56.42:80']
    assert fake.mutating_calls() == []


@pytest.mark.parametrize('rules, message', [
    ('-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1', 'rules line 1: service: service tcp 192.168.56.40:80 '
     'has no -A line before this one'),
    (WALKTHROUGH + '-a -t 192.168.56.40:80 -r 192.168.56.41:81 -g -w 1',
     'rules line 5: port: must equal the service port 80 with forwarding dr'),
    (WALKTHROUGH.replace('-w 1', '-w 70000', 1), "rules line 2: weight: must be between 0 and 65535"),
    (WALKTHROUGH.replace('-s rr', '-s nosuch'), "rules line 1: scheduler: must be one of"),
    (WALKTHROUGH.replace('-s rr', '-s rr -x 3'), 'rules line 1: -x: is not an option of an -A line'),
    (WALKTHROUGH + WALKTHROUGH.splitlines()[1], 'rules line 5: -r: duplicate destination 192.168.56.41:80'),
    (WALKTHROUGH + '-D -t 192.168.56.40:80', 'rules line 5: -D: only -A (a service) and -a'),
    ('-A -t 2001:db8::40:80 -s rr', 'rules line 1: port: is required with address'),
    (WALKTHROUGH.replace('41:80 -g -w 1', '41:80 -g -w 1 -y 5'), 'rules line 2: lower_threshold: must not exceed'),
])
def test_bad_rules_fail_naming_the_line_before_anything_changes(run_module, rules, message):
    fake = FakeIpvsadm(WALKTHROUGH)
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'rules': rules}, fake)
    assert message in error.value.args[0]['msg']
    # only the reads that tell whether the lines are the live table already
    assert [argv[1:] for argv, _stdin in fake.calls] in ([['-S', '-n']], [['-S', '-n'], ['-L', '-n', '--thresholds']])
    assert fake.mutating_calls() == [] and fake.pristine


def test_rules_and_services_are_exclusive(run_module):
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'rules': WALKTHROUGH, 'services': [WEB]}, FakeIpvsadm())
    assert 'mutually exclusive' in error.value.args[0]['msg']
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'purge': True}, FakeIpvsadm())
    assert 'one of the following is required' in error.value.args[0]['msg']


# --- rules that are the live table word for word: no parse --------------------------

def _no_parse(monkeypatch, listing_too=False):
    """Make the module's parsing of `rules` and of the saved table (and with `listing_too`
    of the thresholds' listing) fail loudly."""
    def refuse(*_args, **_kwargs):
        raise AssertionError('parsed')
    monkeypatch.setattr(ipvs, 'table_from_rules', refuse)
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs import run
    monkeypatch.setattr(run, 'parse_save', refuse)
    if listing_too:
        monkeypatch.setattr(run, 'parse_list', refuse)


def test_rules_as_the_kernel_holds_them_are_not_parsed(run_module, monkeypatch):
    fake = recorded_full()
    saved = recorded('full-save.txt').splitlines()
    # any order, other spacing, comments and blank lines: still the same table
    rules = '# as saved\n\n' + '\n'.join('  '.join(line.split()) + ' ' for line in reversed(saved))
    _no_parse(monkeypatch)
    result = run_module(ipvs.main, {'rules': rules, 'purge': True}, fake, diff=True)
    assert result['changed'] is False and result['commands'] == []
    assert result['summary'] == dict.fromkeys(result['summary'], 0) and len(result['summary']) == 6
    assert result['diff']['before'] == result['diff']['after'] == ''
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n']]


def test_rules_with_thresholds_the_kernel_has_are_not_parsed(run_module, monkeypatch):
    fake = FakeIpvsadm(WALKTHROUGH, thresholds={ServiceKey('tcp', '192.168.56.40', 80): {
        ('192.168.56.42', 80): (100, 10)}})
    rules = WALKTHROUGH.replace('41:80 -g -w 1', '41:80 -g -w 1 -x 0 -y 0').replace('42:80 -g -w 1', '42:80 -g -w 1 -x 100 -y 10')
    _no_parse(monkeypatch)
    assert run_module(ipvs.main, {'rules': rules}, fake)['changed'] is False
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n'], ['-L', '-n', '--thresholds']]


@pytest.mark.parametrize('old, new, command', [
    # a threshold the kernel lacks, declared as 0 where the kernel has one, a weight
    ('41:80 -g -w 1', '41:80 -g -w 1 -x 5', '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1 -x 5'),
    ('42:80 -g -w 1', '42:80 -g -w 1 -x 0 -y 0', '-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1'),
    ('43:80 -g -w 1', '43:80 -g -w 2', '-e -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 2'),
])
def test_rules_that_differ_are_planned_with_one_read_of_the_table(run_module, old, new, command):
    fake = FakeIpvsadm(WALKTHROUGH, thresholds={ServiceKey('tcp', '192.168.56.40', 80): {
        ('192.168.56.42', 80): (100, 10)}})
    result = run_module(ipvs.main, {'rules': WALKTHROUGH.replace(old, new)}, fake)
    assert result['commands'] == [command]
    assert [argv[1:] for argv, _stdin in fake.calls].count(['-S', '-n']) == 1
    assert run_module(ipvs.main, {'rules': WALKTHROUGH.replace(old, new)}, fake)['changed'] is False


def test_rules_repeating_a_line_of_the_table_are_refused(run_module):
    fake = FakeIpvsadm(WALKTHROUGH)
    with pytest.raises(Fail) as error:
        run_module(ipvs.main, {'rules': WALKTHROUGH + WALKTHROUGH.splitlines()[1]}, fake)
    assert 'duplicate destination' in error.value.args[0]['msg'] and fake.pristine


def test_rules_rendered_as_the_director_role_does_take_the_short_way_on_their_own_table(run_module, monkeypatch):
    """The director role's lines (render_rules, every threshold declared, 0 included) are
    `ipvsadm -S -n`'s words: the run after the one that made the table parses nothing."""
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_params
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_rules
    zero = {'upper_threshold': 0, 'lower_threshold': 0}
    services = [
        dict(WEB, destinations=[dict(dest, **zero) for dest in WEB['destinations']]),
        {'protocol': 'udp', 'address': '192.168.56.40', 'port': 53, 'scheduler': 'wlc', 'persistent': 300,
         'destinations': [dict(zero, address='192.168.56.41', weight=3)]},
        {'address': '2001:db8::40', 'port': 443, 'scheduler': 'mh', 'sched_flags': ['mh-port', 'mh-fallback'],
         'destinations': [dict(zero, address='2001:db8::41', forwarding='nat', port=8443)]},
        {'fwmark': 7, 'scheduler': 'rr', 'persistent': 60, 'persistence_netmask': '255.255.255.0',
         'destinations': [dict(zero, address='192.168.56.42')]},
    ]
    rules = render_rules(table_from_params(services)[0])
    assert rules.count(' -x 0 -y 0\n') == 6
    fake = FakeIpvsadm()
    assert run_module(ipvs.main, {'rules': rules, 'purge': True}, fake)['changed'] is True
    fake.calls = []
    with monkeypatch.context() as patched:
        # every threshold 0, declared and in the kernel: the listing is not parsed either
        _no_parse(patched, listing_too=True)
        assert run_module(ipvs.main, {'rules': rules, 'purge': True}, fake)['changed'] is False
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n'], ['-L', '-n', '--thresholds']]
    # a threshold set by hand where the lines declare 0: planned back to 0
    fake.table[ServiceKey('udp', '192.168.56.40', 53)].destinations[('192.168.56.41', 53)].upper_threshold = 9
    result = run_module(ipvs.main, {'rules': rules, 'purge': True}, fake)
    assert result['commands'] == ['-e -u 192.168.56.40:53 -r 192.168.56.41:53 -g -w 3']


def test_rules_leaving_a_threshold_unmanaged_keep_the_kernels(run_module, monkeypatch):
    fake = FakeIpvsadm(WALKTHROUGH, thresholds={ServiceKey('tcp', '192.168.56.40', 80): {
        ('192.168.56.43', 80): (100, 10)}})
    rules = WALKTHROUGH.replace('41:80 -g -w 1', '41:80 -g -w 1 -x 0 -y 0')
    _no_parse(monkeypatch)
    assert run_module(ipvs.main, {'rules': rules}, fake)['changed'] is False
    assert [argv[1:] for argv, _stdin in fake.calls] == [['-S', '-n'], ['-L', '-n', '--thresholds']]
