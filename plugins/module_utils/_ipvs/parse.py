# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parsing what ipvsadm prints (`-S -n`, every `-L -n` form, timeouts, sync daemons) into the model.

PRIVATE module_utils: may change in any release without notice.

The modules parse only ipvsadm's output, never their own rule lines. rule_op() and
apply_lines() read rule lines as `ipvsadm -R` would, for the tests and their ipvsadm
emulator.
"""

from __future__ import annotations

import re

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import (
    DEFAULT_SCHEDULER, PROTOCOLS, Destination, IpvsError, Service, ServiceKey, canonical_ip, family_of,
    netmask_prefix, sched_flag_names,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import (
    ADD_SERVER, ADD_SERVICE, DELETE_SERVER, DELETE_SERVICE, EDIT_SERVER, EDIT_SERVICE, Op, simulate,
)

DEFAULT_PERSISTENCE = 360          # what a bare `ipvsadm -p` gives (1.31, recorded; the man page says 300)

_SWITCH_PROTOCOL = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp', '--udp-service': 'udp',
                    '--sctp-service': 'sctp'}
_SWITCH_FORWARDING = {'-g': 'dr', '--gatewaying': 'dr', '-i': 'tunnel', '--ipip': 'tunnel',
                      '-m': 'nat', '--masquerading': 'nat'}
# -L prints these names. Older kernels list a real server on the director itself as "Local"
# (6.1 keeps Route/Masq, as recorded); -S prints -g for it.
_LISTED_FORWARDING = {'Route': 'dr', 'Tunnel': 'tunnel', 'Masq': 'nat', 'Local': 'local'}
_LONG_COMMANDS = {'--add-service': '-A', '--edit-service': '-E', '--delete-service': '-D',
                  '--add-server': '-a', '--edit-server': '-e', '--delete-server': '-d'}
_COMMAND_VERBS = {'-A': ADD_SERVICE, '-E': EDIT_SERVICE, '-D': DELETE_SERVICE,
                  '-a': ADD_SERVER, '-e': EDIT_SERVER, '-d': DELETE_SERVER}
_LONG = {'--persistent': '-p', '--tcp-service': '-t', '--udp-service': '-u', '--fwmark-service': '-f',
         '--scheduler': '-s', '--netmask': '-M', '--sched-flags': '-b', '--real-server': '-r', '--weight': '-w',
         '--u-threshold': '-x', '--l-threshold': '-y'}


def parse_rule(line):
    """Parse one ipvsadm rule line (as `ipvsadm -S` prints and `-R` reads).

    Returns (command, key, service_options, destination) where command is one of
    -A -E -D -a -e -d, service_options a dict of Service fields (for -A/-E) and
    destination a Destination (for -a/-e/-d; settings at ipvsadm's defaults for -d).
    """
    tokens = line.split()
    if tokens and tokens[0] == 'ipvsadm':
        tokens = tokens[1:]
    if tokens:
        tokens[0] = _LONG_COMMANDS.get(tokens[0], tokens[0])
    if not tokens or tokens[0] not in _COMMAND_VERBS:
        raise ValueError('not an ipvsadm rule: %r' % line)
    command = tokens[0]
    opts = {}
    flags = set()
    index = 1
    while index < len(tokens):
        token = tokens[index]
        value = tokens[index + 1] if index + 1 < len(tokens) else None
        if token in ('-6', '--ipv6', '-o', '--ops', '--tun-nocsum', '--tun-csum', '--tun-remcsum') \
                or token in _SWITCH_FORWARDING:
            flags.add(token)
            index += 1
        elif token in ('-p', '--persistent') and (value is None or not value.isdigit()):
            opts['-p'] = str(DEFAULT_PERSISTENCE)
            index += 1
        elif value is None:
            raise ValueError('option %s has no value in %r' % (token, line))
        else:
            opts[_LONG.get(token, token)] = value
            index += 2
    key = _key_from_rule(opts, flags, line)
    service, destination = None, None
    if command in ('-A', '-E'):
        family = key.family
        persistent = int(opts['-p']) if '-p' in opts else None
        netmask = None
        if persistent is not None and '-M' in opts:
            netmask = netmask_prefix(opts['-M'], family)
        scheduler = opts.get('-s', DEFAULT_SCHEDULER)
        service = dict(scheduler=scheduler, persistent=persistent, netmask=netmask,
                       persistence_engine=opts.get('--pe'), one_packet=bool(flags & {'-o', '--ops'}),
                       sched_flags=sched_flag_names(opts.get('-b', '').split(',') if '-b' in opts else (),
                                                    scheduler))
    elif command in ('-a', '-e', '-d'):
        if '-r' not in opts:
            raise ValueError('no real server (-r) in %r' % line)
        forwarding = next((_SWITCH_FORWARDING[f] for f in flags if f in _SWITCH_FORWARDING), 'dr')
        checksum = next((f[6:] for f in ('--tun-csum', '--tun-remcsum') if f in flags), None)
        destination = _destination(command, key, opts['-r'], forwarding, opts.get('-w', 1), opts.get('-x'),
                                   opts.get('-y'), opts.get('--tun-type'), opts.get('--tun-port'), checksum)
    return command, key, service, destination


def rule_op(line):
    """One rule line as the plan.Op that `ipvsadm -R` would carry out."""
    command, key, options, dest = parse_rule(line)
    return Op(_COMMAND_VERBS[command], key, None if options is None else Service(key, **options), dest)


def apply_lines(table, lines):
    """Simulate `ipvsadm -R` of rule lines on a table (see plan.simulate); returns a new
    table, raises ValueError where the kernel would refuse a line. For the tests and
    their emulator of ipvsadm: the modules simulate their plan's ops directly."""
    return simulate(table, (rule_op(line) for line in lines))


def _key_from_rule(opts, flags, line):
    if '-f' in opts:
        return ServiceKey(fwmark=int(opts['-f']), family='ipv6' if flags & {'-6', '--ipv6'} else 'ipv4')
    for switch in ('-t', '-u', '--sctp-service'):
        if switch in opts:
            address, port = split_addr_port(opts[switch])
            return ServiceKey(protocol=_SWITCH_PROTOCOL[switch], address=address,
                              port=port or 0, family=family_of(address))
    raise ValueError('no service (-t, -u, --sctp-service or -f) in %r' % line)


def split_addr_port(text):
    """'10.0.0.1:80' or '[2001:db8::1]:80' -> (address, port or None)."""
    if text.startswith('['):
        host, _sep, rest = text[1:].partition(']')
        port = rest[1:] if rest.startswith(':') else None
    elif text.count(':') == 1:
        host, _sep, port = text.partition(':')
    else:
        host, port = text, None
    address = canonical_ip(host)
    if address is None:
        raise ValueError('not an IP address: %r' % host)
    return address, int(port) if port else None


def _destination(command, key, real, forwarding, weight, upper, lower, tun_type, tun_port, checksum):
    """A Destination from the values of one -a/-e/-d rule, as the kernel would store it."""
    address, port = split_addr_port(real)
    if port is None:
        port = 0 if key.fwmark is not None else key.port
    if key.fwmark is None and forwarding in ('dr', 'tunnel') and command != '-d':
        port = key.port     # what the kernel stores, whatever the line says
    tunnel = (None, None, None)
    if forwarding == 'tunnel':
        kind = tun_type or 'ipip'
        tunnel = (kind, int(tun_port) if tun_port is not None else None,
                  None if kind == 'ipip' else checksum or 'nocsum')
    return Destination(address, port, forwarding, int(weight), None if upper is None else int(upper),
                       None if lower is None else int(lower), *tunnel)


# What `ipvsadm -S -n` prints for almost every real server, parsed without parse_rule.
# ipvsadm prints addresses with inet_ntop, the form canonical_ip() makes: no need to redo it.
_SAVED_SERVER = re.compile(r'^-a (-t|-u|--sctp-service|-f) (\S+)( -6)? '
                           r'-r (?:(\d+\.\d+\.\d+\.\d+)|\[([0-9a-f:.]+)\]):(\d+) (-[gim]) -w (\d+)$')


def parse_save(text):
    """Parse `ipvsadm -S -n` output (or any -A/-a rule lines) into a table.

    Thresholds stay None (unknown) unless the lines carry -x/-y.
    Raises IpvsError naming the line that does not parse.
    """
    table = {}
    keys = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        try:
            match = _SAVED_SERVER.match(line)
            if match:
                switch, name, six, address4, address6, port, forwarding, weight = match.groups()
                key = keys.get(match.group(1, 2, 3))
                if key is None:
                    key = keys[match.group(1, 2, 3)] = _key_from_rule({switch: name}, {six.strip()} if six else set(),
                                                                      line)
                forwarding = _SWITCH_FORWARDING[forwarding]
                port = int(port)
                if key.fwmark is None and forwarding != 'nat':
                    port = key.port
                dest = Destination(address4 or address6, port, forwarding, int(weight),
                                   tunnel_type='ipip' if forwarding == 'tunnel' else None)
                table[key].destinations[(dest.address, port)] = dest
                continue
            command, key, service, destination = parse_rule(line)
            if command == '-A':
                table[key] = Service(key, **service)
            elif command == '-a':
                table[key].destinations[destination.key] = destination
            else:
                raise ValueError('%s is not a saved rule' % command)
        except (ValueError, KeyError, IpvsError) as exc:
            raise IpvsError('cannot parse line %d of ipvsadm -S output: %r (%s)' % (number, line, exc))
    return table


_NUMBER = re.compile(r'^(\d+)([KMGT]?)$')
_SCALE = {'': 1, 'K': 1000, 'M': 1000 ** 2, 'G': 1000 ** 3, 'T': 1000 ** 4}


def parse_number(text):
    """A counter as -L prints it: exact, or rounded with a K/M/G/T suffix (without --exact)."""
    match = _NUMBER.match(text)
    if not match:
        raise ValueError('not a counter: %r' % text)
    return int(match.group(1)) * _SCALE[match.group(2)]


_LIST_COLUMNS = {
    'stats': ('connections', 'packets_in', 'packets_out', 'bytes_in', 'bytes_out'),
    'rate': ('connections', 'packets_in', 'packets_out', 'bytes_in', 'bytes_out'),   # per second
    'thresholds': ('upper_threshold', 'lower_threshold', 'active_connections', 'inactive_connections'),
    'persistent-conn': ('weight', 'persistent_connections', 'active_connections', 'inactive_connections'),
    'plain': ('forwarding', 'weight', 'active_connections', 'inactive_connections'),
}


def parse_list(text):
    """Parse `ipvsadm -L -n` output in any of its forms (plain, --stats, --rate,
    --thresholds, --persistent-conn; with or without --exact).

    Returns a list of (key, service_fields, destinations) where service_fields is a dict
    (scheduler, sched_flags, persistent, netmask, persistence_engine, one_packet for the
    forms that print them; the counters for --stats/--rate) and destinations a list of
    dicts with address, port and the columns of that form.
    """
    form = 'plain'
    services = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0] == 'IP' or 'RemoteAddress:Port' in tokens:
            continue
        try:
            if tokens[0] == 'Prot':
                form = next((name for name, marker in (('stats', 'Conns'), ('rate', 'CPS'),
                                                       ('thresholds', 'Uthreshold'),
                                                       ('persistent-conn', 'PersistConn'))
                             if marker in tokens), 'plain')
            elif tokens[0] == '->':
                address, port = split_addr_port(tokens[1])
                dest = {'address': address, 'port': port}
                columns = _LIST_COLUMNS[form]
                values = tokens[2:]
                if form == 'plain' and len(values) == 5:   # --tun-info adds a column
                    values = values[:1] + values[2:]
                if len(values) != len(columns):
                    raise ValueError('expected %d columns' % (len(columns) + 1))
                for name, value in zip(columns, values):
                    dest[name] = _LISTED_FORWARDING[value] if name == 'forwarding' else parse_number(value)
                services[-1][2].append(dest)
            else:
                services.append(_parse_listed_service(tokens, form))
        except (ValueError, KeyError, IndexError, IpvsError) as exc:
            raise IpvsError('cannot parse line %d of ipvsadm -L output: %r (%s)' % (number, line, exc))
    return services


def thresholds_all_zero(text):
    """Whether every destination of an `ipvsadm -L -n --thresholds` listing has both
    thresholds 0 (its first two columns), told without parsing the addresses; a listing
    of another form: False."""
    lines = text.splitlines()
    if not any('Uthreshold' in line for line in lines[:3]):
        return False
    for line in lines:
        tokens = line.split()
        if tokens and tokens[0] == '->' and tokens[1] != 'RemoteAddress:Port' and tokens[2:4] != ['0', '0']:
            return False
    return True


def _parse_listed_service(tokens, form):
    kind = tokens[0]
    if kind == 'FWM':
        family = 'ipv6' if len(tokens) > 2 and tokens[2] == 'IPv6' else 'ipv4'
        key = ServiceKey(fwmark=int(tokens[1]), family=family)
        rest = tokens[3:] if family == 'ipv6' else tokens[2:]
    elif kind.lower() in PROTOCOLS:
        address, port = split_addr_port(tokens[1])
        key = ServiceKey(protocol=kind.lower(), address=address, port=port, family=family_of(address))
        rest = tokens[2:]
    else:
        raise ValueError('unknown service type %r' % kind)
    if form in ('stats', 'rate'):
        columns = _LIST_COLUMNS[form]
        if len(rest) != len(columns):
            raise ValueError('expected %d counters' % len(columns))
        return key, dict(zip(columns, (parse_number(value) for value in rest))), []
    fields = {'scheduler': rest[0], 'sched_flags': (), 'persistent': None, 'netmask': None,
              'persistence_engine': None, 'one_packet': False}
    index = 1
    while index < len(rest):
        word = rest[index]
        if word.startswith('('):
            fields['sched_flags'] = tuple(word.strip('()').split(','))
            index += 1
        elif word == 'persistent':
            fields['persistent'] = int(rest[index + 1])
            index += 2
        elif word == 'mask':
            fields['netmask'] = netmask_prefix(rest[index + 1], key.family)
            index += 2
        elif word == 'pe':
            fields['persistence_engine'] = rest[index + 1]
            index += 2
        elif word == 'ops':
            fields['one_packet'] = True
            index += 1
        else:
            raise ValueError('unexpected %r' % word)
    return key, fields, []


def merge_thresholds(table, listed):
    """Fill the thresholds of `table`'s destinations from parse_list() of --thresholds.

    Only services present in `listed` change; returns `table` (modified in place).
    """
    for key, _fields, destinations in listed:
        service = table.get(key)
        if service is None:
            continue
        for item in destinations:
            dest = service.destinations.get((item['address'], item['port']))
            if dest is not None:
                dest.upper_threshold = item['upper_threshold']
                dest.lower_threshold = item['lower_threshold']
    return table


_TIMEOUTS = re.compile(r'Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)')
_DAEMON = re.compile(r'^(master|backup) sync daemon \((.*)\)\s*$')
_DAEMON_FIELDS = {'mcast': 'interface', 'syncid': 'syncid', 'maxlen': 'maxlen', 'group': 'group',
                  'port': 'port', 'ttl': 'ttl'}


def parse_timeouts(text):
    """Parse `ipvsadm -L --timeout` into {'tcp': s, 'tcp_fin': s, 'udp': s}."""
    match = _TIMEOUTS.search(text)
    if not match:
        raise IpvsError('cannot parse ipvsadm --timeout output: %r' % text)
    return dict(zip(('tcp', 'tcp_fin', 'udp'), (int(value) for value in match.groups())))


def parse_daemons(text):
    """Parse `ipvsadm -L --daemon` into a list of sync daemon dicts (empty when none runs)."""
    daemons = []
    for line in text.splitlines():
        match = _DAEMON.match(line.strip())
        if not match:
            if line.strip():
                raise IpvsError('cannot parse ipvsadm --daemon output line: %r' % line)
            continue
        daemon = {'state': match.group(1), 'interface': None, 'syncid': None, 'maxlen': None,
                  'group': None, 'port': None, 'ttl': None}
        for item in match.group(2).split(','):
            name, _sep, value = item.strip().partition('=')
            if name in _DAEMON_FIELDS:
                daemon[_DAEMON_FIELDS[name]] = int(value) if value.isdigit() and name != 'mcast' else value
        daemons.append(daemon)
    return daemons


_CONNECTION = re.compile(r'^(TCP|UDP|SCTP)\s+(\d+):([0-5]\d)\s+([A-Z_]+)\s+(\S+)\s+(\S+)\s+(\S+)$')


def parse_connections(text):
    """Parse `ipvsadm -L -n -c` into a list of connection entries: protocol, state, expires
    (seconds), client, client_port, virtual, virtual_port, destination, destination_port and
    flow (protocol, client and virtual address and port: what names a connection on every
    director, the same after a sync)."""
    entries = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped == 'IPVS connection entries' or stripped.startswith('pro expire'):
            continue
        match = _CONNECTION.match(stripped)
        if not match:
            raise IpvsError('cannot parse ipvsadm -L -n -c output line: %r' % line)
        protocol, minutes, seconds, state, source, virtual, destination = match.groups()
        try:
            parts = [split_addr_port(text) for text in (source, virtual, destination)]
        except ValueError as exc:
            raise IpvsError('cannot parse ipvsadm -L -n -c output line: %r (%s)' % (line, exc))
        entry = {'protocol': protocol.lower(), 'state': state, 'expires': int(minutes) * 60 + int(seconds)}
        for name, (address, port) in zip(('client', 'virtual', 'destination'), parts):
            entry[name], entry[name + '_port'] = address, port
        entry['flow'] = '%s %s %s' % (entry['protocol'], source, virtual)
        entries.append(entry)
    return entries
