# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the ipvs modules against an emulated ipvsadm (the `run_module` fixture, see conftest.py).

One seam: AnsibleModule.run_command. The emulator keeps a table (seeded from `-S -n`
text, recorded where we have it), serves `-S -n` verbatim while the table is as seeded,
renders it with ipvsadm's formats afterwards, and runs `-R` batches line by line like
ipvsadm: a failing line prints an error and the batch goes on; the exit status is the
last line's.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from ansible.module_utils import basic

from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.ha.plugins.module_utils._ipvs import run as ipvs_run
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import SCHEDULERS, addr_port, netmask_text
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import apply_lines, parse_rule, parse_save
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_save

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'fixtures', 'ipvsadm')


def recorded(name):
    """Real ipvsadm output recorded in the lab (tests/unit/fixtures/ipvsadm/README.md)."""
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


NO_IPVS = recorded('no-ipvs-kernel-save.stderr')
MODPROBE_FAILS = ''.join(line + '\n' for line in NO_IPVS.splitlines() if line.startswith('modprobe'))


class Exit(Exception):
    pass


class Fail(Exception):
    pass


def _svc_name(key):
    if key.fwmark is not None:
        return 'FWM  %d%s' % (key.fwmark, ' IPv6' if key.family == 'ipv6' else '')
    return '%-4s %s' % (key.protocol.upper(), addr_port(key.address, key.port))


def _service_words(svc):
    words = [_svc_name(svc.key), svc.scheduler]
    if svc.sched_flags:
        words.append('(%s)' % ','.join(svc.sched_flags))
    if svc.persistent is not None:
        words += ['persistent', str(svc.persistent)]
        if svc.netmask is not None:
            words += ['mask', netmask_text(svc.netmask, svc.key.family)]
        if svc.persistence_engine:
            words += ['pe', svc.persistence_engine]
    if svc.one_packet:
        words.append('ops')
    return ' '.join(words)


_TITLES = {
    'plain': 'Prot LocalAddress:Port Scheduler Flags\n'
             '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n',
    'thresholds': '%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n' % (
        'Prot LocalAddress:Port', 'Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'),
    'persistent-conn': '%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n' % (
        'Prot LocalAddress:Port', 'Weight', 'PersistConn', 'ActiveConn', 'InActConn'),
    'stats': '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % (
        'Prot LocalAddress:Port', 'Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'),
    'rate': '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n' % (
        'Prot LocalAddress:Port', 'CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'),
}
_FWD = {'dr': 'Route', 'nat': 'Masq', 'tunnel': 'Tunnel'}


def format_list(table, form, keys=None):
    """`ipvsadm -L -n [--FORM]` of `table`, in ipvsadm.c's printf formats; counters are 0."""
    out = [] if keys else ['IP Virtual Server version 1.2.1 (size=4096)\n']
    out.append(_TITLES[form])
    for key, svc in table.items():
        if keys and key not in keys:
            continue
        if form in ('stats', 'rate'):
            out.append('%-33s%9d%9d%9d%9d%9d\n' % ((_svc_name(key),) + (0,) * 5))
        else:
            out.append(_service_words(svc) + '\n')
        for d in svc.destinations.values():
            name = addr_port(d.address, d.port)
            if form == 'thresholds':
                thresholds = (d.upper_threshold or 0, d.lower_threshold or 0)
                out.append('  -> %-28s %-10u %-10u %-10u %-10u\n' % ((name,) + thresholds + (0, 0)))
            elif form == 'persistent-conn':
                out.append('  -> %-28s %-9u %-11u %-10u %-10u\n' % (name, d.weight, 0, 0, 0))
            elif form in ('stats', 'rate'):
                out.append('  -> %-28s%9d%9d%9d%9d%9d\n' % ((name,) + (0,) * 5))
            else:
                out.append('  -> %-28s %-7s %-6d %-10u %-10u\n' % (name, _FWD[d.forwarding], d.weight, 0, 0))
    return ''.join(out)


class FakeIpvsadm(object):
    """ipvsadm and modprobe on an emulated kernel."""

    def __init__(self, save='', thresholds=None, loaded=True, kernel=True, modprobe_ok=True,
                 refuse=None, listings=None):
        self.seeded = save
        self.table = self._zero(parse_save(save))
        for key, dests in (thresholds or {}).items():
            for dkey, (upper, lower) in dests.items():
                dest = self.table[key].destinations[dkey]
                dest.upper_threshold, dest.lower_threshold = upper, lower
        self.pristine = True
        self.loaded, self.kernel, self.modprobe_ok = loaded, kernel, modprobe_ok
        self.refuse = refuse or {}          # rule line -> error message the kernel prints
        self.listings = listings or {}      # argv tail (tuple) -> verbatim stdout
        self.calls = []

    @staticmethod
    def _zero(table):
        return apply_lines({}, render_save(table)) if table else {}

    def mutating_calls(self):
        return [call for call in self.calls if call[0][1:] == ['-R'] or call[0][0].endswith('modprobe')
                and '--dry-run' not in call[0]]

    def __call__(self, argv, data=None, environ_update=None, **kwargs):
        assert isinstance(argv, list), 'commands must be argv lists'
        assert environ_update and environ_update.get('LC_ALL') == 'C'
        self.calls.append((argv, data))
        if argv[0].endswith('modprobe'):
            if self.kernel and self.modprobe_ok:
                if '--dry-run' not in argv:
                    self.loaded = True
                return 0, '', ''
            return 1, '', MODPROBE_FAILS
        if not self.kernel:
            return int(recorded('no-ipvs-kernel-save.rc')), '', NO_IPVS
        self.loaded = True                 # ipvsadm loads ip_vs itself
        args = argv[1:]
        if tuple(args) in self.listings:
            return 0, self.listings[tuple(args)], ''
        if args == ['-S', '-n']:
            if self.pristine:
                return 0, self.seeded, ''
            return 0, ''.join(line + '\n' for line in render_save(self._without_thresholds())), ''
        if args[:2] == ['-L', '-n'] and len(args) >= 3:
            form = {'--thresholds': 'thresholds', '--persistent-conn': 'persistent-conn',
                    '--stats': 'stats', '--rate': 'rate'}.get(args[2])
            if form:
                keys = None
                rest = [a for a in args[3:] if a != '--exact']
                if rest:
                    keys = [parse_rule(' '.join(['-D'] + rest))[1]]
                return 0, format_list(self.table, form, keys), ''
            if args[2] == '--timeout':
                return 0, 'Timeout (tcp tcpfin udp): 900 120 300\n', ''
            if args[2] == '--daemon':
                return 0, '', ''
        if args == ['-R']:
            return self._restore(data)
        raise AssertionError('unexpected command %r' % argv)

    def _without_thresholds(self):
        return dict((k, replace(s, destinations=dict(
            (dk, replace(d, upper_threshold=None, lower_threshold=None)) for dk, d in s.destinations.items())))
            for k, s in self.table.items())

    def _restore(self, data):
        lines = [line for line in data.splitlines() if line.strip()]
        if not set(lines) & set(self.refuse):
            try:        # the common case in one go; per line only to report errors
                self.table = apply_lines(self.table, lines)
                self.pristine = False
                return 0, '', ''
            except ValueError:
                pass
        rc, errors = 0, []
        for line in lines:
            if line in self.refuse:
                rc = 255
                errors.append(self.refuse[line])
                continue
            try:
                self.table = apply_lines(self.table, [line])
                self.pristine = False
                rc = 0
            except ValueError:
                rc = 255
                errors.append(self._kernel_error(line))
        return rc, '', ''.join(message + '\n' for message in errors)

    def _kernel_error(self, line):
        """What ipvsadm prints when the kernel refuses `line` (texts as recorded)."""
        command, key, options, dest = parse_rule(line)
        if options and options['scheduler'] not in SCHEDULERS:
            return 'Scheduler or persistence engine not found'
        if command == '-A':
            return 'Service already exists'
        if key not in self.table:
            return 'Service not defined' if command in ('-a', '-e', '-d') else 'No such service'
        if dest and (dest.lower_threshold or 0) > (dest.upper_threshold or 0):
            return 'Numerical result out of range'
        if command == '-a':
            return 'Destination already exists'
        return 'No such destination'


@pytest.fixture
def run_module(monkeypatch, tmp_path):
    """run_module(main, args, fake, check_mode=False, diff=False) -> result dict (raises Fail)."""

    def run(main, args, fake, check_mode=False, diff=False, binaries=('ipvsadm', 'modprobe')):
        proc = tmp_path / 'ip_vs'
        if fake.loaded:
            proc.write_text('')
        elif proc.exists():
            proc.unlink()
        monkeypatch.setattr(ipvs_run, 'PROC_IP_VS', str(proc))
        monkeypatch.setattr(basic.AnsibleModule, 'run_command', fake)
        monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                            lambda self, name, required=False, opt_dirs=None:
                            '/usr/sbin/%s' % name if name in binaries else None)

        def exit_json(self, **result):
            raise Exit(result)

        def fail_json(self, msg, **result):
            result['msg'] = msg
            raise Fail(result)

        monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
        monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
        module_args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        with patch_module_args(json.loads(json.dumps(module_args))):
            try:
                main()
            except Exit as done:
                return done.args[0]
        raise AssertionError('module did not exit')

    return run
