# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The static scripts the roles install on hosts (roles/*/files).

shellcheck, when it is installed, on every shell script there. Then lvs-ha-vips and
lvs-ha-fwmark run by /bin/sh against the stand-in commands of fake_host.py, with their
data directory and state file moved to a temporary directory: start, stop and check as
the roles and units use them, and data that would be shell code if it were pasted into
a script, which must be refused (exit 2) before any command runs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import pytest

import fake_host

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FILES = sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'files', '*')))


def shebang(path):
    with open(path, 'rb') as f:
        return f.readline().rstrip()


SHELL_SCRIPTS = [path for path in FILES if shebang(path) in (b'#!/bin/sh', b'#!/bin/bash')]

# Data that must stay data: each would run `touch PWNED` (or worse) if it were shell code.
EVIL = ['$(touch PWNED)', '`touch PWNED`', 'x;touch${IFS}PWNED', "x'$(touch PWNED)'", 'x"&&touch PWNED&&"', '-x']


def test_there_are_shell_scripts():
    names = [os.path.basename(path) for path in SHELL_SCRIPTS]
    assert {'lvs-ha-vips', 'lvs-ha-fwmark', 'lvs-ha-keepalived-check'} <= set(names), names


@pytest.mark.skipif(shutil.which('shellcheck') is None, reason='shellcheck is not installed (tools/install-system-deps)')
@pytest.mark.parametrize('path', SHELL_SCRIPTS, ids=lambda path: os.path.relpath(path, ROOT))
def test_shellcheck(path):
    shell = 'sh' if shebang(path) == b'#!/bin/sh' else 'bash'
    result = subprocess.run(['shellcheck', '-s', shell, path], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


class Host:
    """One script with its data, state and commands moved under tmp_path."""

    def __init__(self, tmp_path, role, name):
        self.tmp = tmp_path
        self.conf = tmp_path / 'etc'
        self.state_dir = tmp_path / 'host'
        self.bin = tmp_path / 'bin'
        self.var = tmp_path / 'var'
        for path in (self.conf, self.state_dir):
            path.mkdir()
        fake_host.install(str(self.bin), str(self.state_dir))
        with open(os.path.join(ROOT, 'roles', role, 'files', name)) as f:
            text = f.read()
        for old, new in [
            ('\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n', '\nPATH=%s:/usr/bin:/bin\n' % self.bin),
            ('\nCONF=/etc/lvs-ha\n', '\nCONF=%s\n' % self.conf),
            ('\nSTATE=/var/lib/lvs-ha/vips\n', '\nSTATE=%s/lib/vips\n' % self.var),
        ]:
            assert text.count(old) <= 1
            text = text.replace(old, new)
        assert str(self.bin) in text and str(self.conf) in text
        self.script = tmp_path / name
        self.script.write_text(text)

    def write(self, name, text):
        (self.conf / name).write_text(text)

    def run(self, *args):
        return subprocess.run(['/bin/sh', str(self.script)] + list(args), cwd=str(self.tmp),
                              capture_output=True, text=True, check=False)

    def ok(self, *args):
        result = self.run(*args)
        assert result.returncode == 0, (args, result.returncode, result.stdout, result.stderr)
        return result

    @property
    def model(self):
        return fake_host.load(str(self.state_dir))

    def set_model(self, model):
        fake_host.save(str(self.state_dir), model)

    def calls(self):
        return fake_host.calls(str(self.state_dir))

    def forget_calls(self):
        calls = self.state_dir / 'calls'
        if calls.exists():
            calls.unlink()

    def pwned(self):
        return any(path.name == 'PWNED' for path in self.tmp.rglob('*'))


# lvs-ha-vips

VIPS = '# Ansible managed\n# comment\n\nlo 10.0.0.40/32\nlo 2001:db8::40/128\n'
SYSCTLS = ('# Ansible managed\nnet.ipv4.conf.all.arp_announce=2\nnet.ipv4.conf.all.arp_ignore=1\n'
           'net.ipv4.conf.eth0.arp_announce=2\nnet.ipv4.conf.eth0.arp_ignore=1\n')
TUNL_VIPS = 'lo 10.0.0.40/32\ntunl0 10.0.0.41/32\n'
TUNL_SYSCTLS = SYSCTLS + 'net.ipv4.conf.all.rp_filter=0\nnet.ipv4.conf.tunl0.rp_filter=0\n'


@pytest.fixture
def vips(tmp_path):
    host = Host(tmp_path, 'realserver', 'lvs-ha-vips')
    host.write('vips', VIPS)
    host.write('realserver.sysctl', SYSCTLS)
    return host


def test_vips_start_sets_the_sysctls_before_any_vip(vips):
    assert vips.run('check').returncode == 1
    vips.ok('start')
    model = vips.model
    assert model['devices']['lo'] == ['10.0.0.40/32', '2001:db8::40/128']
    assert model['sysctls'] == {'net.ipv4.conf.all.arp_announce': '2', 'net.ipv4.conf.all.arp_ignore': '1',
                                'net.ipv4.conf.eth0.arp_announce': '2', 'net.ipv4.conf.eth0.arp_ignore': '1'}
    writes = [call[0] for call in vips.calls() if call[0] == 'sysctl' and '-w' in call or call[1:3] == ['addr', 'replace']]
    assert writes == ['sysctl'] * 4 + ['ip'] * 2
    assert not any(call[0] == 'modprobe' for call in vips.calls())
    assert (vips.var / 'lib' / 'vips').read_text() == 'lo 10.0.0.40/32\nlo 2001:db8::40/128\n'
    vips.ok('check')


def test_vips_start_again_changes_nothing(vips):
    vips.ok('start')
    before = vips.model
    vips.ok('start')
    assert vips.model == before
    vips.ok('check')


def test_vips_tunnel_loads_ipip_and_sets_tunl0_up_first(vips):
    vips.write('vips', TUNL_VIPS)
    vips.write('realserver.sysctl', TUNL_SYSCTLS)
    vips.ok('start')
    calls = vips.calls()
    assert calls[:2] == [['modprobe', 'ipip'], ['ip', 'link', 'set', 'tunl0', 'up']]
    assert vips.model['devices']['tunl0'] == ['10.0.0.41/32']
    assert vips.model['sysctls']['net.ipv4.conf.tunl0.rp_filter'] == '0'
    vips.ok('check')


def drift_is_seen(vips, edit, check, repair):
    """Change the host model with EDIT (a function of the model), then CHECK must report a
    difference (exit 1) and REPAIR must succeed."""
    model = vips.model
    edit(model)
    vips.set_model(model)
    assert vips.run(check).returncode == 1
    vips.ok(repair)


def test_vips_check_sees_every_difference(vips):
    vips.ok('start')
    vips.ok('check')
    drift_is_seen(vips, lambda m: m['sysctls'].update({'net.ipv4.conf.eth0.arp_ignore': '0'}), 'check', 'start')
    vips.ok('check')
    drift_is_seen(vips, lambda m: m['devices']['lo'].remove('10.0.0.40/32'), 'check', 'start')
    vips.ok('check')
    # the data changed: one VIP less, so the state differs although every wanted VIP is there
    vips.write('vips', 'lo 10.0.0.40/32\n')
    assert vips.run('check').returncode == 1
    vips.ok('start')
    assert vips.model['devices']['lo'] == ['10.0.0.40/32']
    vips.ok('check')


def test_vips_start_removes_only_the_stale_vips_it_added(vips):
    model = vips.model
    model['devices']['lo'] = ['127.0.0.1/8']
    vips.set_model(model)
    vips.ok('start')
    vips.write('vips', 'lo 10.0.0.42/32\n')
    vips.ok('start')
    assert vips.model['devices']['lo'] == ['127.0.0.1/8', '10.0.0.42/32']
    vips.ok('check')
    vips.ok('stop')
    assert vips.model['devices']['lo'] == ['127.0.0.1/8']
    assert not (vips.var / 'lib' / 'vips').exists()
    vips.ok('stop')


def test_vips_add_keeps_stale_vips_until_start(vips):
    """site.yml's order: `add` before the directors change (a VIP no longer wanted stays),
    `start` after them (it goes); stop removes what either added."""
    vips.ok('start')
    vips.write('vips', 'lo 10.0.0.40/32\nlo 10.0.0.42/32\n')
    assert vips.run('check-add').returncode == 1
    vips.ok('add')
    assert vips.model['devices']['lo'] == ['10.0.0.40/32', '2001:db8::40/128', '10.0.0.42/32']
    assert (vips.var / 'lib' / 'vips').read_text() == 'lo 10.0.0.40/32\nlo 10.0.0.42/32\nlo 2001:db8::40/128\n'
    vips.ok('check-add')
    assert vips.run('check').returncode == 1  # the stale VIP is still there
    before = vips.model
    vips.ok('add')
    assert vips.model == before
    vips.ok('start')
    assert vips.model['devices']['lo'] == ['10.0.0.40/32', '10.0.0.42/32']
    assert (vips.var / 'lib' / 'vips').read_text() == 'lo 10.0.0.40/32\nlo 10.0.0.42/32\n'
    vips.ok('check')
    vips.ok('check-add')
    vips.write('vips', 'lo 10.0.0.43/32\n')
    vips.ok('add')
    vips.ok('stop')
    assert vips.model['devices']['lo'] == []


def test_vips_check_add_sees_sysctls_missing_vips_and_state(vips):
    assert vips.run('check-add').returncode == 1  # nothing added yet
    vips.ok('add')
    vips.ok('check-add')
    vips.ok('check')
    drift_is_seen(vips, lambda m: m['sysctls'].update({'net.ipv4.conf.all.arp_ignore': '0'}), 'check-add', 'add')
    drift_is_seen(vips, lambda m: m['devices']['lo'].remove('2001:db8::40/128'), 'check-add', 'add')
    vips.ok('check-add')
    # a VIP present but not in the state (added by hand): add must take it over, or stop would leave it
    (vips.var / 'lib' / 'vips').write_text('lo 10.0.0.40/32\n')
    assert vips.run('check-add').returncode == 1


def test_vips_without_any_vip(vips):
    vips.write('vips', '# Ansible managed\n')
    vips.write('realserver.sysctl', '# Ansible managed\n')
    vips.ok('check')  # nothing wanted, nothing added before
    vips.ok('start')
    assert (vips.var / 'lib' / 'vips').read_text() == ''
    vips.ok('check')


def test_vips_last_line_without_newline(vips):
    vips.write('vips', 'lo 10.0.0.40/32\nlo 10.0.0.41/32')
    vips.write('realserver.sysctl', 'net.ipv4.conf.all.arp_ignore=1')
    vips.ok('start')
    assert vips.model['devices']['lo'] == ['10.0.0.40/32', '10.0.0.41/32']
    assert vips.model['sysctls'] == {'net.ipv4.conf.all.arp_ignore': '1'}


@pytest.mark.parametrize('name', ['vips', 'realserver.sysctl'])
def test_vips_missing_data_changes_nothing(vips, name):
    (vips.conf / name).unlink()
    for action in ('start', 'add', 'check', 'check-add'):
        result = vips.run(action)
        assert result.returncode == 2 and 'no such file' in result.stderr, result
    assert vips.calls() == []


@pytest.mark.parametrize('line', ['lo %s/32' % evil for evil in EVIL] + ['%s 10.0.0.40/32' % evil for evil in EVIL]
                         + ['lo 10.0.0.40', 'lo 10.0.0.40/32 extra', 'lo'])
def test_vips_refuse_bad_vip_lines(vips, line):
    vips.write('vips', VIPS + line + '\n')
    for action in ('check', 'start', 'add', 'check-add'):
        assert vips.run(action).returncode == 2
    assert vips.calls() == [] and not vips.pwned()


# (a value may start with -, as in -1: it is never an argument of its own, always KEY=VALUE)
@pytest.mark.parametrize('line', ['net.ipv4.conf.all.arp_ignore=%s' % evil for evil in EVIL if evil != '-x']
                         + ['%s=1' % evil for evil in EVIL] + ['net.ipv4.conf.all.arp_ignore', ' net.ipv4.conf.all.arp_ignore=1'])
def test_vips_refuse_bad_sysctl_lines(vips, line):
    vips.write('realserver.sysctl', SYSCTLS + line + '\n')
    for action in ('check', 'start', 'add', 'check-add'):
        assert vips.run(action).returncode == 2
    assert vips.calls() == [] and not vips.pwned()


def test_vips_usage(vips):
    for args in ((), ('restart',), ('check_add',)):
        result = vips.run(*args)
        assert result.returncode == 2 and 'usage' in result.stderr
    assert vips.calls() == []


# lvs-ha-fwmark

MARKER = 'lvs-ha 0123456789abcdef'
IPTABLES = ('*mangle\n:LVS-HA - [0:0]\n-A LVS-HA -m comment --comment "%s"\n'
            '-A LVS-HA -m mac --mac-source 52:54:00:00:00:02 -j RETURN\n'
            '-A LVS-HA -d 10.0.0.40/32 -p tcp -m tcp --dport 80 -j MARK --set-mark 1001\nCOMMIT\n' % MARKER)
NFT = ('table inet lvs_ha\ndelete table inet lvs_ha\ntable inet lvs_ha {\n  chain prerouting {\n'
       '    counter comment "%s"\n  }\n}\n' % MARKER)


def settings(backend='iptables', **values):
    fields = {'backend': backend, 'interface': 'eth0', 'chain': 'LVS-HA', 'table': 'lvs_ha', 'marker': MARKER}
    fields.update(values)
    return '# Ansible managed\n\n' + ''.join('%s=%s\n' % item for item in fields.items() if item[1] is not None)


@pytest.fixture
def fwmark(tmp_path):
    host = Host(tmp_path, 'colocated', 'lvs-ha-fwmark')
    host.write('fwmark.conf', settings())
    host.write('fwmark.iptables', IPTABLES)
    host.write('fwmark.ip6tables', '')
    host.write('fwmark.nft', NFT)
    return host


def test_fwmark_iptables_start_and_check(fwmark):
    assert fwmark.run('check').returncode == 1
    fwmark.ok('start')
    mangle = fwmark.model['mangle']
    assert mangle['iptables']['chains']['LVS-HA'] == IPTABLES.splitlines()[2:-1]
    assert mangle['iptables']['prerouting'] == ['-A PREROUTING -i eth0 -j LVS-HA']
    assert mangle['ip6tables'] == {'chains': {}, 'prerouting': []}  # empty file: no IPv6 rule
    assert not any(call[0].startswith('ip6tables') for call in fwmark.calls())
    fwmark.ok('check')
    fwmark.ok('start')  # the jump is added only if absent
    assert fwmark.model['mangle']['iptables']['prerouting'] == ['-A PREROUTING -i eth0 -j LVS-HA']
    fwmark.ok('check')


def test_fwmark_iptables_both_families(fwmark):
    fwmark.write('fwmark.ip6tables', IPTABLES.replace('10.0.0.40/32', '2001:db8::40/128'))
    fwmark.ok('start')
    assert fwmark.model['mangle']['ip6tables']['prerouting'] == ['-A PREROUTING -i eth0 -j LVS-HA']
    fwmark.ok('check')
    model = fwmark.model
    model['mangle']['ip6tables']['prerouting'] = []
    fwmark.set_model(model)
    assert fwmark.run('check').returncode == 1


def test_fwmark_absent_family_file(fwmark):
    (fwmark.conf / 'fwmark.ip6tables').unlink()
    fwmark.ok('start')
    fwmark.ok('check')


def test_fwmark_check_sees_new_rules(fwmark):
    fwmark.ok('start')
    fwmark.write('fwmark.conf', settings(marker='lvs-ha fedcba9876543210'))
    fwmark.write('fwmark.iptables', IPTABLES.replace(MARKER, 'lvs-ha fedcba9876543210'))
    assert fwmark.run('check').returncode == 1
    fwmark.ok('start')
    fwmark.ok('check')
    assert fwmark.model['mangle']['iptables']['prerouting'] == ['-A PREROUTING -i eth0 -j LVS-HA']


def test_fwmark_switch_between_backends(fwmark):
    fwmark.ok('start')
    fwmark.write('fwmark.conf', settings('nftables'))
    assert fwmark.run('check').returncode == 1
    fwmark.ok('start')
    model = fwmark.model
    assert model['nft'] == {'lvs_ha': NFT}
    assert model['mangle']['iptables'] == {'chains': {}, 'prerouting': []}
    fwmark.ok('check')
    fwmark.write('fwmark.conf', settings())
    assert fwmark.run('check').returncode == 1
    fwmark.ok('start')
    assert fwmark.model['nft'] == {}
    fwmark.ok('check')


def test_fwmark_other_backends_leftover_fails_check(fwmark):
    fwmark.ok('start')
    fwmark.ok('check')
    model = fwmark.model
    model['nft']['lvs_ha'] = 'table inet lvs_ha {\n}\n'
    fwmark.set_model(model)
    assert fwmark.run('check').returncode == 1
    fwmark.write('fwmark.conf', settings('nftables'))
    fwmark.ok('start')
    model = fwmark.model
    model['mangle']['ip6tables']['chains']['LVS-HA'] = []
    fwmark.set_model(model)
    assert fwmark.run('check').returncode == 1
    fwmark.ok('start')
    fwmark.ok('check')


def test_fwmark_stop(fwmark):
    fwmark.ok('start')
    fwmark.ok('stop')
    assert fwmark.model['mangle']['iptables'] == {'chains': {}, 'prerouting': []}
    assert fwmark.run('check').returncode == 1
    fwmark.write('fwmark.conf', settings('nftables'))
    fwmark.ok('start')
    fwmark.ok('stop')
    assert fwmark.model['nft'] == {}


def test_fwmark_nftables_without_iptables(fwmark):
    for name in ('iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore'):
        (fwmark.bin / name).unlink()
    fwmark.write('fwmark.conf', settings('nftables'))
    fwmark.ok('start')
    fwmark.ok('check')


def test_fwmark_settings_format(fwmark):
    # any order, comments, an interface wildcard, no newline at the end
    fwmark.write('fwmark.conf', '# x=y\nmarker=%s\n\ntable=t1\nchain=C_1.x\ninterface=bond0.100+\nbackend=iptables' % MARKER)
    fwmark.write('fwmark.iptables', IPTABLES.replace('LVS-HA', 'C_1.x'))
    fwmark.ok('start')
    assert fwmark.model['mangle']['iptables']['prerouting'] == ['-A PREROUTING -i bond0.100+ -j C_1.x']
    fwmark.ok('check')


@pytest.mark.parametrize('values', [{'interface': evil} for evil in EVIL] + [{'chain': evil} for evil in EVIL]
                         + [{'table': evil} for evil in EVIL]
                         + [{'table': 'lvs_ha; flush ruleset'}, {'chain': 'LVS+HA'}, {'table': 'lvs+ha'}]
                         + [{'backend': evil} for evil in EVIL + ['', 'firewalld']]
                         + [{key: None} for key in ('backend', 'interface', 'chain', 'table', 'marker')]
                         + [{'marker': ''}, {'interface': ''}, {'shell': 'touch PWNED'}],
                         ids=repr)
def test_fwmark_refuses_bad_settings(fwmark, values):
    fwmark.write('fwmark.conf', settings(**values))
    for action in ('check', 'start', 'stop'):
        result = fwmark.run(action)
        assert result.returncode == 2, (action, result)
    assert fwmark.calls() == [] and not fwmark.pwned()


def test_fwmark_marker_is_data(fwmark):
    fwmark.ok('start')
    for marker in EVIL:
        fwmark.write('fwmark.conf', settings(marker=marker))
        assert fwmark.run('check').returncode == 1
    assert not fwmark.pwned()


def test_fwmark_missing_data(fwmark):
    (fwmark.conf / 'fwmark.conf').unlink()
    for action in ('start', 'stop', 'check'):
        result = fwmark.run(action)
        assert result.returncode == 2 and 'no such file' in result.stderr
    fwmark.write('fwmark.conf', settings('nftables'))
    (fwmark.conf / 'fwmark.nft').unlink()
    assert fwmark.run('start').returncode == 2
    assert fwmark.calls() == []


def test_fwmark_usage(fwmark):
    for args in ((), ('restart',), ('check_add',)):
        result = fwmark.run(*args)
        assert result.returncode == 2 and 'usage' in result.stderr
    assert fwmark.calls() == []
