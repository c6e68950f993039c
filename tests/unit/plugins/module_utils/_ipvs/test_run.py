# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipvs/run.py: the runner (one seam: module.run_command), reconcile, read_info."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs import run
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import Destination, IpvsError, Service, ServiceKey
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import apply_lines, merge_thresholds, parse_list, parse_save
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

from ipvs_tables import WEB, desired, diff_lines, full_table, recorded, tcp, without_thresholds


# ---------------------------------------------------------------------------
# The runner


class FakeModule(object):
    def __init__(self, responses=None, binaries=('ipvsadm', 'modprobe'), check_mode=False):
        self.calls = []
        self.responses = list(responses or [])
        self.binaries = binaries
        self.check_mode = check_mode

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/%s' % name if name in self.binaries else None

    def run_command(self, argv, data=None, environ_update=None, **kwargs):
        self.calls.append((argv, data, environ_update))
        return self.responses.pop(0)


def test_runner_requires_ipvsadm():
    with pytest.raises(IpvsError, match='ipvsadm is not installed on this host'):
        run.IpvsadmRunner(FakeModule(binaries=()))


def test_runner_reads_with_argv_list_and_c_locale():
    module = FakeModule([(0, recorded('full-save.txt'), '')])
    tbl = run.IpvsadmRunner(module).read()
    assert len(tbl) == 20
    assert module.calls == [(['/usr/sbin/ipvsadm', '-S', '-n'], None, {'LANG': 'C', 'LC_ALL': 'C',
                                                                       'LC_MESSAGES': 'C'})]


@pytest.mark.parametrize('case, modprobe', [
    ('no-ipvs-kernel-save', 'no-ipvs-kernel-save'),      # the lab machine: no IPVS in its kernel
    ('module-unavailable-save', 'module-unavailable-save'),   # a guest whose modprobe of ip_vs fails
])
def test_runner_says_when_the_kernel_lacks_ipvs(case, modprobe):
    rc = int(recorded(case + '.rc'))
    stderr = recorded(case + '.stderr')
    # modprobe answers as it did inside ipvsadm (the first lines of ipvsadm's stderr)
    modprobe_says = ''.join(line + '\n' for line in recorded(modprobe + '.stderr').splitlines()
                            if line.startswith('modprobe'))
    module = FakeModule([(rc, '', stderr), (1, '', modprobe_says)])
    with pytest.raises(IpvsError) as error:
        run.IpvsadmRunner(module).read()
    assert str(error.value) == (
        'IPVS is not available in this kernel: ipvsadm says "Can\'t initialize ipvs: Protocol not available"; '
        "'modprobe ip_vs' failed: " + ' '.join(modprobe_says.split()))
    assert module.calls[1][0] == ['/usr/sbin/modprobe', 'ip_vs']


def test_runner_loads_ip_vs_and_retries():
    module = FakeModule([(2, '', recorded('module-unavailable-save.stderr')), (0, '', ''),
                         (0, recorded('basic-save.txt'), '')])
    assert list(run.IpvsadmRunner(module).read()) == [tcp()]
    assert [call[0][-1] for call in module.calls] == ['-n', 'ip_vs', '-n']


def test_runner_reports_other_failures():
    module = FakeModule([(int(recorded('error-unknown-option.rc')), '', recorded('error-unknown-option.stderr'))])
    with pytest.raises(IpvsError, match=r'ipvsadm -S -n failed \(rc=255\): --bogus: unknown option'):
        run.IpvsadmRunner(module).read()


def test_runner_reads_thresholds_per_service_or_whole_table():
    listing = recorded('full-thresholds.txt')
    module = FakeModule([(0, listing, '')])
    runner = run.IpvsadmRunner(module)
    tbl = parse_save(recorded('full-save.txt'))
    runner.read_thresholds(tbl, [tcp()])
    assert module.calls[0][0] == ['/usr/sbin/ipvsadm', '-L', '-n', '--thresholds', '-t', '192.168.56.40:80']
    assert list(tbl[tcp()].destinations.values())[1].upper_threshold == 100
    module.responses = [(0, listing, '')]
    runner.read_thresholds(tbl, [ServiceKey(fwmark=n) for n in range(1, 10)])
    assert module.calls[1][0] == ['/usr/sbin/ipvsadm', '-L', '-n', '--thresholds']


def test_runner_applies_one_batch_on_stdin():
    module = FakeModule([(0, '', '')])
    run.IpvsadmRunner(module).apply(['-A -f 1 -s rr', '-a -f 1 -r 10.0.0.1:0 -g -w 1'])
    assert module.calls == [(['/usr/sbin/ipvsadm', '-R'], '-A -f 1 -s rr\n-a -f 1 -r 10.0.0.1:0 -g -w 1\n',
                             {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'})]


# ---------------------------------------------------------------------------
# reconcile and read_info


class SimulatedRunner(object):
    """A runner over a simulated table, to exercise reconcile()."""

    def __init__(self, tbl, thresholds_text='', lose=(), stderr='', loaded=True):
        self.table, self.thresholds_text, self.lose, self.stderr = tbl, thresholds_text, lose, stderr
        self.is_loaded = loaded
        self.applied = []
        self.reads = 0

    def loaded(self):
        return self.is_loaded

    def ensure_loadable(self):
        pass

    def read(self):
        self.reads += 1
        return without_thresholds(self.table)

    def read_thresholds(self, tbl, keys):
        if keys:
            listed = parse_list(self.thresholds_text) if self.thresholds_text else [
                (key, {}, [{'address': d.address, 'port': d.port, 'upper_threshold': d.upper_threshold or 0,
                            'lower_threshold': d.lower_threshold or 0} for d in svc.destinations.values()])
                for key, svc in self.table.items()]
            merge_thresholds(tbl, [entry for entry in listed if entry[0] in keys])
        return tbl

    def apply(self, lines):
        self.applied.append(lines)
        kept = [line for line in lines if line not in self.lose]
        self.table = apply_lines(self.table, kept)
        return (2 if self.lose else 0), '', self.stderr


def test_reconcile_applies_once_then_is_idempotent():
    runner = SimulatedRunner({})
    want = desired(WEB)
    result = run.reconcile(runner, lambda current: (want, [], []))
    assert result['changed'] and result['commands'] == diff_lines({}, want)
    assert runner.applied == [result['commands']]
    assert runner.reads == 1        # ipvsadm -R said nothing: no read-back
    again = run.reconcile(runner, lambda current: (want, [], []))
    assert not again['changed'] and again['commands'] == [] and len(runner.applied) == 1


def test_reconcile_check_mode_runs_nothing_mutating():
    runner = SimulatedRunner(full_table())
    result = run.reconcile(runner, lambda current: ({}, [tcp()], []), check_mode=True, diff_mode=True)
    assert result['commands'] == ['-D -t 192.168.56.40:80'] and runner.applied == []
    assert result['diff']['after'] == '' and result['diff']['before'].startswith('-A -t 192.168.56.40:80 -s rr\n')


def test_reconcile_check_mode_without_ip_vs_loaded_reads_nothing():
    runner = SimulatedRunner(full_table(), loaded=False)
    result = run.reconcile(runner, lambda current: (desired(WEB), [], []), check_mode=True)
    assert runner.reads == 0 and result['commands'][0] == '-A -t 192.168.56.40:80 -s rr'


def test_reconcile_detects_partial_failure():
    lost = '-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1'
    runner = SimulatedRunner({}, lose=[lost], stderr='Memory allocation problem\n')
    with pytest.raises(IpvsError) as error:
        run.reconcile(runner, lambda current: (desired(WEB), [], []))
    assert str(error.value) == ('ipvsadm -R applied only part of the change: 1 of 3 lines did not take effect '
                                '(ipvsadm -R rc=2): Memory allocation problem')
    assert error.value.details['not_applied'] == [lost]
    assert error.value.details['changed'] is True


def test_reconcile_reads_back_when_ipvsadm_says_something():
    """rc 0 with a message on stderr: read the table back; it matches, so a warning."""
    runner = SimulatedRunner({}, stderr='Some kernel grumble\n')
    result = run.reconcile(runner, lambda current: (desired(WEB), [], []))
    assert runner.reads == 2 and result['changed']
    assert result['warnings'] == ['ipvsadm -R reported (rc=0) but the table matches: Some kernel grumble']


def test_reconcile_a_line_lost_without_a_word_is_planned_again():
    """What a silent, successful batch does not do (ipvsadm never hides a refused line;
    this simulates an older kernel ignoring an attribute) shows up in the next run's plan."""
    lost = '-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1'

    class Silent(SimulatedRunner):
        def apply(self, lines):
            super(Silent, self).apply(lines)
            return 0, '', ''

    runner = Silent({}, lose=[lost])
    first = run.reconcile(runner, lambda current: (desired(WEB), [], []))
    assert first['changed'] and runner.reads == 1
    again = run.reconcile(runner, lambda current: (desired(WEB), [], []))
    assert again['commands'] == [lost]


def test_reconcile_reads_thresholds_to_keep_them_on_edit():
    runner = SimulatedRunner(full_table(), thresholds_text=recorded('full-thresholds.txt'))
    want = desired(dict(WEB, destinations=[{'address': '192.168.56.42', 'weight': 4}]))
    result = run.reconcile(runner, lambda current: (want, [], []))
    assert result['commands'] == ['-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 4 -x 100 -y 10']
    assert runner.table[tcp()].destinations[('192.168.56.42', 80)].upper_threshold == 100


def test_read_info_merges_listings():
    listings = ['full-save.txt', 'full-thresholds.txt', 'full-persistent-conn.txt', 'full-stats.txt',
                'full-rate.txt', 'timeout-set.txt', 'daemon-master-backup.txt']
    module = FakeModule([(0, recorded(name), '') for name in listings])
    runner = run.IpvsadmRunner(module)
    runner.loaded = lambda: True
    info = run.read_info(runner)
    assert [call[0][1:] for call in module.calls] == [
        ['-S', '-n'], ['-L', '-n', '--thresholds'], ['-L', '-n', '--persistent-conn'],
        ['-L', '-n', '--stats', '--exact'], ['-L', '-n', '--rate', '--exact'], ['-L', '-n', '--timeout'],
        ['-L', '-n', '--daemon']]
    assert len(info['services']) == 20 and info['loaded'] is True
    assert info['rules'] == recorded('full-save.txt').splitlines()
    web = info['services'][0]
    assert (web['address'], web['port'], web['scheduler']) == ('192.168.56.40', 80, 'rr')
    assert web['stats'] == {'connections': 0, 'packets_in': 0, 'packets_out': 0, 'bytes_in': 0, 'bytes_out': 0}
    second = web['destinations'][1]
    assert (second['weight'], second['upper_threshold'], second['lower_threshold']) == (3, 100, 10)
    assert (second['active_connections'], second['persistent_connections']) == (0, 0)
    assert info['services'][1]['destinations'][1]['tunnel_type'] == 'gue'
    assert info['timeouts'] == {'tcp': 600, 'tcp_fin': 90, 'udp': 200}
    assert [d['syncid'] for d in info['sync_daemons']] == [0, 7]


def test_read_info_counters_under_traffic():
    listings = ['traffic-save.txt', 'empty-list.txt', 'traffic-persistent-conn.txt', 'traffic-stats-exact.txt',
                'traffic-rate.txt', 'timeout-default.txt', 'daemon-none.txt']
    module = FakeModule([(0, recorded(name), '') for name in listings])
    runner = run.IpvsadmRunner(module)
    runner.loaded = lambda: True
    web, alt = run.read_info(runner)['services']
    assert web['stats']['bytes_out'] == 128804252 and web['rates']['connections'] == 12
    local = web['destinations'][0]
    assert (local['address'], local['forwarding'], local['active_connections'], local['inactive_connections']) == (
        '192.168.56.31', 'dr', 3, 291)
    assert local['stats']['connections'] == 257 and local['upper_threshold'] is None
    assert alt['persistent'] == 120 and alt['destinations'][0]['persistent_connections'] == 1


# ---------------------------------------------------------------------------
# Confirming a batch: the table read back


def confirmed(tbl, want, absent=(), absent_dests=(), purge=False):
    """What the read-back after a batch finds missing (as rule lines) when the kernel has `tbl`."""
    return render(run._confirm(SimulatedRunner(tbl), want, purge, list(absent), list(absent_dests)))


def web_with(**changes):
    """The recorded web service (tcp 192.168.56.40:80), changed."""
    return {tcp(): replace(full_table()[tcp()], **changes)}


def web_dest(address, **changes):
    """The web service's destinations, with the one at `address` added or changed."""
    destinations = dict(full_table()[tcp()].destinations)
    destinations[(address, 80)] = replace(destinations.get((address, 80), Destination(address, 80)), **changes)
    return destinations


def test_confirm_sees_the_effect_of_applied_ops():
    """Read back, the table is compared with the plan's goal: what took effect is not reported."""
    current = full_table()
    assert confirmed(current, current) == []          # every service and destination, ipip spelt or not
    assert confirmed(current, web_with(destinations=web_dest('192.168.56.42', weight=3, upper_threshold=100,
                                                             lower_threshold=10))) == []
    assert confirmed(current, {}, absent=[ServiceKey(fwmark=77), tcp(port=9)],
                     absent_dests=[(tcp(), ('192.168.56.44', 80))]) == []      # gone (never there)


@pytest.mark.parametrize('want, absent, absent_dests, line', [
    (lambda: {tcp(port=9): Service(tcp(port=9), 'rr')}, [], [], '-A -t 192.168.56.40:9 -s rr'),
    (lambda: web_with(scheduler='wrr'), [], [], '-E -t 192.168.56.40:80 -s wrr'),
    (lambda: web_with(destinations=web_dest('192.168.56.44')), [], [],
     '-a -t 192.168.56.40:80 -r 192.168.56.44:80 -g -w 1'),
    (lambda: web_with(destinations=web_dest('192.168.56.42', weight=4, upper_threshold=None, lower_threshold=None)),
     [], [], '-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 4 -x 100 -y 10'),     # thresholds kept
    (dict, [], [(tcp(), ('192.168.56.42', 80))], '-d -t 192.168.56.40:80 -r 192.168.56.42:80'),
    (dict, [ServiceKey(fwmark=5)], [], '-D -f 5'),
    (dict, [ServiceKey(fwmark=5, family='ipv6')], [], '-D -f 5 -6'),
    (dict, [ServiceKey('sctp', '192.168.56.40', 3868)], [], '-D --sctp-service 192.168.56.40:3868'),
])
def test_confirm_reports_what_did_not_take_effect(want, absent, absent_dests, line):
    assert confirmed(full_table(), want(), absent, absent_dests) == [line]


def test_confirm_reads_the_table_back_once_and_parses_only_what_ipvsadm_printed(monkeypatch):
    """After a batch ipvsadm said something about: one more `ipvsadm -S -n`, parsed like the
    first read; the plan's own lines are never read back."""
    saved = ''.join(line + '\n' for line in diff_lines({}, desired(WEB)))
    module = FakeModule([(0, '', ''), (0, '', 'a warning\n'), (0, saved, '')])
    parses = []
    monkeypatch.setattr(run, 'parse_save', lambda text: parses.append(text) or parse_save(text))
    result = run.reconcile(run.IpvsadmRunner(module), lambda current: (desired(WEB), [], []))
    assert result['changed'] and result['warnings'] == [
        'ipvsadm -R reported (rc=0) but the table matches: a warning']
    assert [call[0][1:] for call in module.calls] == [['-S', '-n'], ['-R'], ['-S', '-n']]
    assert parses == ['', saved]      # ipvsadm's output: before the plan, and after the batch


def test_confirm_catches_a_lost_threshold_only_edit():
    """-S cannot show a threshold change: the declared thresholds are read back."""
    current = full_table()
    line = '-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 3'
    runner = SimulatedRunner(current, lose=[line])
    want = desired(dict(WEB, destinations=[{'address': '192.168.56.42', 'weight': 3, 'upper_threshold': 0,
                                           'lower_threshold': 0}]))
    with pytest.raises(IpvsError) as error:
        run.reconcile(runner, lambda have: (want, [], []))
    assert error.value.details['not_applied'] == [line]
    ok = SimulatedRunner(full_table())
    assert run.reconcile(ok, lambda have: (want, [], []))['commands'] == [line]


def test_read_info_connections():
    listings = ['traffic-save.txt', 'empty-list.txt', 'traffic-persistent-conn.txt', 'timeout-default.txt',
                'daemon-none.txt', 'traffic-connections.txt']
    module = FakeModule([(0, recorded(name), '') for name in listings])
    runner = run.IpvsadmRunner(module)
    runner.loaded = lambda: True
    info = run.read_info(runner, counters=False, connections=True)
    assert module.calls[-1][0][1:] == ['-L', '-n', '-c']
    assert len(info['connections']) == 365 and info['connections'][0]['state'] == 'TIME_WAIT'
    assert info['connections'][0]['flow'] == 'tcp 192.168.56.1:37236 192.168.56.40:80'
    assert 'connections' not in run.read_info(runner_without_ipvs(), connections=False)
    assert run.read_info(runner_without_ipvs(), connections=True)['connections'] == []


def runner_without_ipvs():
    runner = run.IpvsadmRunner(FakeModule([]))
    runner.loaded = lambda: False
    runner.ensure_loadable = lambda: None
    return runner
