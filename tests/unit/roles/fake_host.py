# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the commands the roles' host scripts run, to test those scripts as
an unprivileged user: ip, sysctl, modprobe, iptables, ip6tables, their -restore, nft.

``python3 fake_host.py STATE_DIR COMMAND ARGS...`` appends the call to STATE_DIR/calls
(one JSON list a line) and acts on a model of the host kept in STATE_DIR/host.json, as
far as the scripts need: addresses per device, sysctls, tunl0 (there once ``modprobe
ipip`` ran), per family the mangle table's chains and PREROUTING jumps, nftables tables.
Anything else fails loudly (exit 99), so that a call the model does not know is seen.
"""

from __future__ import annotations

import json
import os
import re
import sys

COMMANDS = ('ip', 'sysctl', 'modprobe', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'nft')


def empty_host():
    return {
        'devices': {'lo': [], 'eth0': []},
        'sysctls': {},
        'mangle': {'iptables': {'chains': {}, 'prerouting': []}, 'ip6tables': {'chains': {}, 'prerouting': []}},
        'nft': {},
    }


def load(state_dir):
    try:
        with open(os.path.join(state_dir, 'host.json')) as f:
            return json.load(f)
    except FileNotFoundError:
        return empty_host()


def save(state_dir, host):
    with open(os.path.join(state_dir, 'host.json'), 'w') as f:
        json.dump(host, f)


def calls(state_dir):
    try:
        with open(os.path.join(state_dir, 'calls')) as f:
            return [json.loads(line) for line in f]
    except FileNotFoundError:
        return []


def install(bin_dir, state_dir, commands=COMMANDS):
    """Wrappers named after the commands in bin_dir, all running this file."""
    os.makedirs(bin_dir, exist_ok=True)
    for name in commands:
        path = os.path.join(bin_dir, name)
        with open(path, 'w') as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "%s" %s "$@"\n' % (sys.executable, os.path.abspath(__file__), state_dir, name))
        os.chmod(path, 0o755)


def fail(message, rc=1):
    sys.stderr.write(message + '\n')
    return rc


def unknown(argv):
    return fail('fake_host: unknown call %r' % (argv,), 99)


def ip(host, args):
    devices = host['devices']
    if args[:4] == ['-o', 'addr', 'show', 'dev'] and len(args) == 5:
        dev = args[4]
        if dev not in devices:
            return fail('Device "%s" does not exist.' % dev)
        for n, addr in enumerate(devices[dev]):
            family = 'inet6' if ':' in addr else 'inet'
            print('%d: %s    %s %s scope host %s\\       valid_lft forever' % (n + 1, dev, family, addr, dev))
        return 0
    if len(args) == 5 and args[0] == 'addr' and args[1] in ('replace', 'del') and args[3] == 'dev':
        addr, dev = args[2], args[4]
        if dev not in devices or '/' not in addr:
            return fail('Cannot find device "%s"' % dev)
        if args[1] == 'replace':
            if addr not in devices[dev]:
                devices[dev].append(addr)
            return 0
        if addr not in devices[dev]:
            return fail('RTNETLINK answers: Cannot assign requested address', 2)
        devices[dev].remove(addr)
        return 0
    if args[:2] == ['link', 'set'] and len(args) == 4 and args[3] == 'up':
        return 0 if args[2] in devices else fail('Cannot find device "%s"' % args[2])
    return unknown(['ip'] + args)


def sysctl_exists(host, key):
    # an interface's keys exist while it does
    match = re.match(r'net\.ipv[46]\.conf\.([^.]+)\.', key)
    return match is None or match.group(1) in ('all', 'default') or match.group(1).replace('/', '.') in host['devices']


def sysctl(host, args):
    if len(args) == 2 and args[0] == '-n':
        if not sysctl_exists(host, args[1]):
            return fail('sysctl: cannot stat /proc/sys/%s: No such file or directory' % args[1].replace('.', '/'), 255)
        print(host['sysctls'].get(args[1], '0'))
        return 0
    if len(args) == 3 and args[:2] == ['-q', '-w'] and '=' in args[2]:
        key, value = args[2].split('=', 1)
        if not sysctl_exists(host, key):
            return fail('sysctl: cannot stat /proc/sys/%s' % key.replace('.', '/'), 255)
        host['sysctls'][key] = value
        return 0
    return unknown(['sysctl'] + args)


def modprobe(host, args):
    if args == ['ipip']:
        host['devices'].setdefault('tunl0', [])
        return 0
    return unknown(['modprobe'] + args)


def iptables(host, family, args):
    table = host['mangle'][family]
    chains, jumps = table['chains'], table['prerouting']
    if args[:2] != ['-t', 'mangle']:
        return unknown([family] + args)
    args = args[2:]
    if len(args) == 6 and args[0] in ('-C', '-I', '-D') and args[1] == 'PREROUTING' and args[2] == '-i' and args[4] == '-j':
        jump = '-A PREROUTING -i %s -j %s' % (args[3], args[5])
        if args[0] == '-I':
            if args[5] not in chains:
                return fail("%s: Couldn't load target `%s'" % (family, args[5]), 2)
            jumps.insert(0, jump)
            return 0
        if jump not in jumps:
            return fail('%s: Bad rule (does a matching rule exist in that chain?).' % family)
        if args[0] == '-D':
            jumps.remove(jump)
        return 0
    if len(args) == 2 and args[0] in ('-S', '-F', '-X'):
        chain = args[1]
        if chain not in chains:
            return fail('%s: No chain/target/match by that name.' % family)
        if args[0] == '-S':
            print('-N %s' % chain)
            for rule in chains[chain]:
                print(rule)
        elif args[0] == '-F':
            chains[chain] = []
        elif any(jump.endswith(' -j %s' % chain) for jump in jumps):
            return fail('%s: Too many links.' % family)
        else:
            del chains[chain]
        return 0
    if len(args) == 2 and args[0] == '-N':
        chains.setdefault(args[1], [])
        return 0
    return unknown([family, '-t', 'mangle'] + args)


def iptables_restore(host, family, args, text):
    if args != ['--noflush']:
        return unknown([family + '-restore'] + args)
    chains = host['mangle'][family]['chains']
    lines = text.splitlines()
    if lines[:1] != ['*mangle'] or lines[-1:] != ['COMMIT']:
        return fail('%s-restore: line 1 failed' % family)
    for line in lines[1:-1]:
        declared = re.match(r'^:(\S+) - \[0:0\]$', line)
        if declared:
            chains[declared.group(1)] = []
        elif line.startswith('-A '):
            chain = line.split()[1]
            if chain not in chains:
                return fail('%s-restore: no chain %s' % (family, chain))
            chains[chain].append(line)
        else:
            return fail('%s-restore: bad line %r' % (family, line))
    return 0


def nft(host, args):
    tables = host['nft']
    if len(args) == 2 and args[0] == '-f':
        with open(args[1]) as f:
            text = f.read()
        for name in re.findall(r'^table inet (\S+) \{$', text, re.M):
            tables[name] = text
        return 0
    if len(args) == 4 and args[1:3] == ['table', 'inet']:
        name = args[3]
        if args[0] == 'add':
            tables.setdefault(name, 'table inet %s {\n}\n' % name)
            return 0
        if name not in tables:
            return fail('Error: No such file or directory; did you mean table ...?')
        if args[0] == 'list':
            sys.stdout.write(tables[name])
            return 0
        if args[0] == 'delete':
            del tables[name]
            return 0
    return unknown(['nft'] + args)


def main(argv):
    state_dir, command, args = argv[1], argv[2], argv[3:]
    with open(os.path.join(state_dir, 'calls'), 'a') as f:
        f.write(json.dumps([command] + args) + '\n')
    host = load(state_dir)
    if command == 'ip':
        rc = ip(host, args)
    elif command == 'sysctl':
        rc = sysctl(host, args)
    elif command == 'modprobe':
        rc = modprobe(host, args)
    elif command in ('iptables', 'ip6tables'):
        rc = iptables(host, command, args)
    elif command in ('iptables-restore', 'ip6tables-restore'):
        rc = iptables_restore(host, command.split('-')[0], args, sys.stdin.read())
    elif command == 'nft':
        rc = nft(host, args)
    else:
        rc = unknown(argv[2:])
    if rc == 0:
        save(state_dir, host)
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv))
