# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The IPVS table model behind the lvs.ha ipvs modules.

PRIVATE module_utils (the leading underscore says so): not a public interface of the
collection; it may change in any release without notice.

Everything here is pure (parse, validate, diff, render, simulate) except
IpvsadmRunner, the one place in the collection that executes ipvsadm.

A table is a dict {ServiceKey: Service}, in insertion order. A Service holds its
destinations in a dict {(address, port): Destination}. Addresses are canonical text,
made by the target's own inet_pton/inet_ntop, the form ipvsadm prints: 2001:0DB8:0::1
becomes 2001:db8::1. (Much cheaper than ipaddress objects on tables of thousands.)

Thresholds (-x/-y) are not in `ipvsadm -S`; a destination read from -S has
upper_threshold/lower_threshold None ("unknown") until merge_thresholds() fills them
from `ipvsadm -L -n --thresholds`. In a desired destination, None means "not managed":
keep the current value (0 for a new destination).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass, field, replace
from functools import cached_property

from ansible.module_utils.parsing.convert_bool import boolean


PROTOCOLS = ('tcp', 'udp', 'sctp')
FAMILIES = ('ipv4', 'ipv6')
# Every scheduler ipvsadm 1.31 documents; the kernel loads ip_vs_<name> on first use.
SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')
DEFAULT_SCHEDULER = 'wlc'
FORWARDING = ('dr', 'tunnel', 'nat')
TUNNEL_TYPES = ('ipip', 'gue', 'gre')
TUNNEL_CHECKSUMS = ('nocsum', 'csum', 'remcsum')
PERSISTENCE_ENGINES = ('sip',)
DEFAULT_PERSISTENCE = 360          # what a bare `ipvsadm -p` gives (1.31, recorded; the man page says 300)
MAX_PERSISTENCE = 86400 * 31       # ipvsadm's MAX_TIMEOUT
MAX_WEIGHT = 65535                 # ipvsadm <= 1.31 rejects larger weights
MAX_THRESHOLD = 2147483647
MAX_FWMARK = 4294967295

# The three scheduler flag bits, named as `ipvsadm -S` prints them for each scheduler.
_FLAG_NAMES = {
    'sh': ('sh-fallback', 'sh-port', 'flag-3'),
    'mh': ('mh-fallback', 'mh-port', 'flag-3'),
}
_GENERIC_FLAGS = ('flag-1', 'flag-2', 'flag-3')
SCHED_FLAGS = ('flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port', 'mh-fallback', 'mh-port')

_PROTOCOL_SWITCH = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}
_SWITCH_PROTOCOL = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp', '--udp-service': 'udp',
                    '--sctp-service': 'sctp'}
_FORWARDING_SWITCH = {'dr': '-g', 'tunnel': '-i', 'nat': '-m'}
_SWITCH_FORWARDING = {'-g': 'dr', '--gatewaying': 'dr', '-i': 'tunnel', '--ipip': 'tunnel',
                      '-m': 'nat', '--masquerading': 'nat'}
# -L prints these names. Older kernels list a real server on the director itself as "Local"
# (6.1 keeps Route/Masq, as recorded); -S prints -g for it.
_LISTED_FORWARDING = {'Route': 'dr', 'Tunnel': 'tunnel', 'Masq': 'nat', 'Local': 'local'}
_LONG_COMMANDS = {'--add-service': '-A', '--edit-service': '-E', '--delete-service': '-D',
                  '--add-server': '-a', '--edit-server': '-e', '--delete-server': '-d'}
_COMMANDS = {'-A': 'add-service', '-E': 'edit-service', '-D': 'delete-service',
             '-a': 'add-server', '-e': 'edit-server', '-d': 'delete-server'}

PROC_IP_VS = '/proc/net/ip_vs'
_NO_IPVS = "Can't initialize ipvs"
C_LOCALE = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}


class IpvsError(Exception):
    """A failure to report to the user; `details` go into the module result."""

    def __init__(self, message, **details):
        super(IpvsError, self).__init__(message)
        self.details = details


# ---------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class ServiceKey:
    """What identifies a virtual service: protocol/address/port, or fwmark/family."""

    protocol: str | None = None
    address: str | None = None         # canonical text
    port: int | None = None
    fwmark: int | None = None
    family: str = 'ipv4'

    def args(self):
        """The ipvsadm arguments naming this service, e.g. ['-t', '10.0.0.1:80']."""
        if self.fwmark is not None:
            return ['-f', str(self.fwmark)] + (['-6'] if self.family == 'ipv6' else [])
        return [_PROTOCOL_SWITCH[self.protocol], _addr_port(self.address, self.port)]

    @cached_property
    def name(self):
        """The ipvsadm arguments naming this service as text, e.g. '-t 10.0.0.1:80'
        (computed once: every rule line of a destination repeats it)."""
        return ' '.join(self.args())

    def to_dict(self):
        """The key as the modules take and return it."""
        return {'protocol': self.protocol, 'address': self.address, 'port': self.port,
                'fwmark': self.fwmark, 'family': self.family}

    def __str__(self):
        if self.fwmark is not None:
            return 'fwmark %d%s' % (self.fwmark, ' (ipv6)' if self.family == 'ipv6' else '')
        return '%s %s' % (self.protocol, _addr_port(self.address, self.port))


@dataclass
class Destination:
    """One real server of a service."""

    address: str                       # canonical text
    port: int
    forwarding: str = 'dr'
    weight: int = 1
    upper_threshold: int | None = None
    lower_threshold: int | None = None
    tunnel_type: str | None = None       # with forwarding tunnel: ipip (default), gue, gre
    tunnel_port: int | None = None       # gue only
    tunnel_checksum: str | None = None   # gue, gre: nocsum (default), csum, remcsum (gue)

    @property
    def key(self):
        return (self.address, self.port)

    def to_dict(self):
        """The destination as the modules take and return it."""
        return {'address': self.address, 'port': self.port, 'forwarding': self.forwarding,
                'weight': self.weight, 'upper_threshold': self.upper_threshold,
                'lower_threshold': self.lower_threshold, 'tunnel_type': self.tunnel_type,
                'tunnel_port': self.tunnel_port, 'tunnel_checksum': self.tunnel_checksum}


@dataclass
class Service:
    """One virtual service and its destinations."""

    key: ServiceKey
    scheduler: str = DEFAULT_SCHEDULER
    persistent: int | None = None        # seconds; None: not persistent
    netmask: int | None = None           # persistence granularity as a prefix length; None: per host
    persistence_engine: str | None = None
    one_packet: bool = False
    sched_flags: tuple = ()              # canonical names, in ipvsadm's order
    destinations: dict = field(default_factory=dict)

    def settings(self):
        """What an -E line sets: everything but the key and the destinations."""
        return (self.scheduler, self.persistent, self.netmask, self.persistence_engine,
                self.one_packet, self.sched_flags)

    def to_dict(self, destinations=True):
        """The service as the modules take and return it."""
        result = self.key.to_dict()
        result.update(scheduler=self.scheduler, persistent=self.persistent, netmask=self.netmask,
                      persistence_engine=self.persistence_engine, one_packet=self.one_packet,
                      sched_flags=list(self.sched_flags))
        if destinations:
            result['destinations'] = [d.to_dict() for d in self.destinations.values()]
        return result


def canonical_ip(text):
    """The canonical text of an IPv4 or IPv6 address (as ipvsadm prints it), or None."""
    try:
        return socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, text))
    except (OSError, ValueError):
        pass
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, text))
    except (OSError, ValueError):
        return None


def _addr_port(address, port):
    if ':' in address:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


def _family(address):
    return 'ipv6' if ':' in address else 'ipv4'


def _netmask_text(prefix, family):
    if family == 'ipv6':
        return str(prefix)
    return str(ipaddress.IPv4Network('0.0.0.0/%d' % prefix).netmask)


# ---------------------------------------------------------------------------
# Argument specs shared by the modules (documented in plugins/doc_fragments/ipvs.py)


def key_argument_spec():
    """Options that name a virtual service."""
    return dict(
        protocol=dict(type='str', choices=list(PROTOCOLS)),
        address=dict(type='str'),
        port=dict(type='int'),
        fwmark=dict(type='int'),
        family=dict(type='str', choices=list(FAMILIES)),
    )


def service_argument_spec():
    """Options of a virtual service beyond its key."""
    return dict(
        scheduler=dict(type='str', choices=list(SCHEDULERS), default=DEFAULT_SCHEDULER),
        persistent=dict(type='int'),
        netmask=dict(type='str'),
        persistence_engine=dict(type='str', choices=list(PERSISTENCE_ENGINES)),
        one_packet=dict(type='bool', default=False),
        sched_flags=dict(type='list', elements='str', choices=list(SCHED_FLAGS), default=[]),
    )


def destination_argument_spec():
    """Options of one destination (real server)."""
    return dict(
        address=dict(type='str', required=True),
        port=dict(type='int'),
        forwarding=dict(type='str', choices=list(FORWARDING), default='dr'),
        weight=dict(type='int', default=1),
        upper_threshold=dict(type='int'),
        lower_threshold=dict(type='int'),
        tunnel_type=dict(type='str', choices=list(TUNNEL_TYPES)),
        tunnel_port=dict(type='int'),
        tunnel_checksum=dict(type='str', choices=list(TUNNEL_CHECKSUMS)),
    )


DESTINATION_OPTIONS = tuple(destination_argument_spec())
_DESTINATION_OPTION_SET = frozenset(DESTINATION_OPTIONS)
# What most destinations declare; the rest (thresholds, tunnel settings) is checked only when present.
_COMMON_DESTINATION_OPTIONS = frozenset(('address', 'port', 'forwarding', 'weight'))
# A service entry of the ipvs module (and of table_from_params).
SERVICE_OPTIONS = tuple(key_argument_spec()) + tuple(service_argument_spec()) + ('state', 'destinations')
_SERVICE_OPTION_SET = frozenset(SERVICE_OPTIONS)


# ---------------------------------------------------------------------------
# Validation of what the user declares


def _fail(where, option, value, reason):
    raise IpvsError('%s%s: %s (got %r)' % (where, option, reason, value))


def _int(params, option, where, low, high, default=None):
    value = params.get(option)
    if value is None:
        return default
    if type(value) is int and low <= value <= high:     # pylint: disable=unidiomatic-typecheck
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value), 10)
        except ValueError:
            _fail(where, option, params.get(option), 'must be an integer')
    if not low <= value <= high:
        _fail(where, option, value, 'must be between %d and %d' % (low, high))
    return value


def _choice(params, option, where, choices, default=None):
    value = params.get(option)
    if value is None:
        return default
    if value not in choices:
        _fail(where, option, value, 'must be one of: %s' % ', '.join(choices))
    return value


def _options(params, where, known, names):
    """Refuse what is not a dict of known options (entries the argument spec does not check)."""
    if not isinstance(params, dict):
        _fail(where.rstrip('.'), '', params, 'must be a dictionary')
    if not params.keys() <= known:
        unknown = sorted(set(params) - known)
        _fail(where, unknown[0], params[unknown[0]], 'unsupported option; supported: %s' % ', '.join(names))


def _bool(params, option, where):
    value = params.get(option)
    if value is None:
        return False
    try:
        return boolean(value)
    except TypeError:
        _fail(where, option, value, 'must be a boolean')


def _list(params, option, where):
    value = params.get(option)
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(',') if item.strip()]
    if not isinstance(value, (list, tuple)):
        _fail(where, option, value, 'must be a list')
    return value


def _address(params, option, where):
    value = params.get(option)
    if value is None:
        _fail(where, option, value, 'is required')
    address = canonical_ip(str(value).strip())
    if address is None:
        _fail(where, option, value, 'is not an IPv4 or IPv6 address')
    return address


def _netmask(value, family, where):
    """A persistence netmask (dotted IPv4 mask, or prefix length) as a prefix length."""
    text = str(value).strip().lstrip('/')
    width = 128 if family == 'ipv6' else 32
    try:
        if text.isdigit():
            prefix = int(text)
        elif family == 'ipv4':
            prefix = ipaddress.IPv4Network('0.0.0.0/%s' % text).prefixlen
        else:
            raise ValueError(text)
    except ValueError:
        _fail(where, 'netmask', value, 'must be a prefix length%s' % (
            ' or a dotted netmask such as 255.255.255.0' if family == 'ipv4' else ' (0-128) for IPv6'))
    if not 1 <= prefix <= width:
        _fail(where, 'netmask', value, 'must be a prefix length between 1 and %d' % width)
    return None if prefix == width else prefix


def _sched_flags(values, scheduler, where):
    names = _FLAG_NAMES.get(scheduler, _GENERIC_FLAGS)
    bits = set()
    for value in values or ():
        if value in names:
            bits.add(names.index(value))
        elif value in _GENERIC_FLAGS:
            bits.add(_GENERIC_FLAGS.index(value))
        else:
            _fail(where, 'sched_flags', value, 'is not a flag of scheduler %s; valid: %s'
                  % (scheduler, ', '.join(sorted(set(names) | set(_GENERIC_FLAGS)))))
    return tuple(names[bit] for bit in sorted(bits))


def key_from_params(params, where=''):
    """Validate the service key options (protocol, address, port, fwmark, family).

    `where` prefixes option names in error messages, e.g. 'services[3].'.
    Returns a ServiceKey; raises IpvsError naming the option and value.
    """
    family = _choice(params, 'family', where, FAMILIES)
    if params.get('fwmark') is not None:
        for option in ('protocol', 'address', 'port'):
            if params.get(option) is not None:
                _fail(where, option, params[option],
                      'must not be set with fwmark; a firewall-mark service has no protocol, '
                      'address or port')
        fwmark = _int(params, 'fwmark', where, 1, MAX_FWMARK)
        return ServiceKey(fwmark=fwmark, family=family or 'ipv4')
    if params.get('address') is None:
        _fail(where, 'address', None, 'is required unless fwmark is set')
    address = _address(params, 'address', where)
    if family is not None and family != _family(address):
        _fail(where, 'family', family, 'does not match address %s' % address)
    if params.get('port') is None:
        _fail(where, 'port', None, 'is required with address')
    port = _int(params, 'port', where, 0, 65535)
    protocol = _choice(params, 'protocol', where, PROTOCOLS, 'tcp')
    return ServiceKey(protocol=protocol, address=address, port=port, family=_family(address))


def service_from_params(params, where='', destinations=True):
    """Validate and normalise one service as the modules take it.

    With `destinations`, params['destinations'] (a list of dicts) is validated too.
    Returns a Service; raises IpvsError naming the option and value.
    """
    key = key_from_params(params, where)
    scheduler = _choice(params, 'scheduler', where, SCHEDULERS, DEFAULT_SCHEDULER)
    persistent = _int(params, 'persistent', where, 1, MAX_PERSISTENCE)
    if key.port == 0 and persistent is None:
        _fail(where, 'port', 0, 'port 0 (all ports) is only valid for a persistent service; '
              'set persistent or give a port between 1 and 65535')
    netmask = params.get('netmask')
    if netmask is not None:
        if persistent is None:
            _fail(where, 'netmask', netmask, 'only applies to a persistent service; set persistent')
        netmask = _netmask(netmask, key.family, where)
    engine = _choice(params, 'persistence_engine', where, PERSISTENCE_ENGINES)
    if engine is not None and persistent is None:
        _fail(where, 'persistence_engine', engine, 'only applies to a persistent service; set persistent')
    one_packet = _bool(params, 'one_packet', where)
    if one_packet and key.protocol not in ('udp', None):
        _fail(where, 'one_packet', one_packet, 'one-packet scheduling is only for udp or fwmark services')
    service = Service(key, scheduler, persistent, netmask, engine, one_packet,
                      _sched_flags(_list(params, 'sched_flags', where), scheduler, where))
    if destinations:
        known = service.destinations
        for index, item in enumerate(_list(params, 'destinations', where)):
            try:
                dest = destination_from_params(item, key)
            except IpvsError:
                # Again, naming the entry (cheaper than naming each of thousands up front).
                destination_from_params(item, key, '%sdestinations[%d].' % (where, index))
                raise
            dkey = (dest.address, dest.port)
            if dkey in known:
                _fail('%sdestinations[%d].' % (where, index), 'address', item.get('address'),
                      'duplicate destination %s in %s' % (_addr_port(*dkey), key))
            known[dkey] = dest
    return service


def destination_from_params(params, key, where=''):
    """Validate and normalise one destination of the service `key`.

    Unknown options fail: the ipvs module hands destinations over unvalidated.
    Returns a Destination; raises IpvsError naming the option and value.

    Written for tables of thousands: thresholds and tunnel settings, which few
    destinations declare, are looked at only when one of them is there.
    """
    _options(params, where, _DESTINATION_OPTION_SET, DESTINATION_OPTIONS)
    address = _address(params, 'address', where)
    forwarding = _choice(params, 'forwarding', where, FORWARDING, 'dr')
    if _family(address) != key.family and forwarding != 'tunnel':
        _fail(where, 'address', str(address), 'is %s but service %s is %s; only tunnel forwarding '
              'may mix address families' % (_family(address), key, key.family))
    if key.fwmark is not None or key.port == 0:
        port = _int(params, 'port', where, 0, 65535, 0 if key.fwmark is not None else key.port)
    else:
        port = _int(params, 'port', where, 1, 65535, key.port)
        if forwarding in ('dr', 'tunnel') and port != key.port:
            _fail(where, 'port', port, 'must equal the service port %d with forwarding %s (the kernel '
                  'forwards dr and tunnel to the service port; use nat to change ports)'
                  % (key.port, forwarding))
    weight = _int(params, 'weight', where, 0, MAX_WEIGHT, 1)
    if forwarding != 'tunnel' and params.keys() <= _COMMON_DESTINATION_OPTIONS:
        return Destination(address, port, forwarding, weight)
    upper = _int(params, 'upper_threshold', where, 0, MAX_THRESHOLD)
    lower = _int(params, 'lower_threshold', where, 0, MAX_THRESHOLD)
    if lower and (upper is None or lower > upper):
        _fail(where, 'lower_threshold', lower, 'must not exceed upper_threshold (%s)' % upper)
    return Destination(address, port, forwarding, weight, upper, lower, *_tunnel(params, forwarding, where))


def destination_key_from_params(params, key, where=''):
    """The (address, port) of a destination of `key`, validating only those two options."""
    address = _address(params, 'address', where)
    default = 0 if key.fwmark is not None else key.port
    return address, _int(params, 'port', where, 0, 65535, default)


def _tunnel(params, forwarding, where):
    if forwarding != 'tunnel':
        for option in ('tunnel_type', 'tunnel_port', 'tunnel_checksum'):
            if params.get(option) is not None:
                _fail(where, option, params[option], 'only applies to forwarding tunnel')
        return None, None, None
    kind = _choice(params, 'tunnel_type', where, TUNNEL_TYPES, 'ipip')
    port = _int(params, 'tunnel_port', where, 1, 65535)
    checksum = _choice(params, 'tunnel_checksum', where, TUNNEL_CHECKSUMS)
    if kind == 'gue' and port is None:
        _fail(where, 'tunnel_port', None, 'is required with tunnel_type gue')
    if kind != 'gue' and port is not None:
        _fail(where, 'tunnel_port', port, 'only applies to tunnel_type gue')
    if kind == 'ipip' and checksum is not None:
        _fail(where, 'tunnel_checksum', checksum, 'does not apply to tunnel_type ipip')
    if kind == 'gre' and checksum == 'remcsum':
        _fail(where, 'tunnel_checksum', checksum, 'remcsum is only valid with tunnel_type gue')
    return kind, port, (checksum or 'nocsum') if kind != 'ipip' else None


def table_from_params(services, where='services'):
    """Validate a list of service dicts (with destinations) into (table, absent keys).

    The entries are checked here, not by an argument spec: unknown options, types,
    values. Services with state 'absent' go to the second value; duplicates fail.
    """
    table, absent, seen = {}, [], set()
    for index, params in enumerate(services or ()):
        prefix = '%s[%d].' % (where, index)
        _options(params, prefix, _SERVICE_OPTION_SET, SERVICE_OPTIONS)
        if _choice(params, 'state', prefix, ('present', 'absent'), 'present') == 'absent':
            key = key_from_params(params, prefix)
        else:
            service = service_from_params(params, prefix)
            key = service.key
            table[key] = service
        if key in seen:
            _fail(prefix, 'address' if key.fwmark is None else 'fwmark',
                  key.to_dict()['address'] or key.fwmark, 'duplicate service %s' % key)
        seen.add(key)
        if key not in table:
            absent.append(key)
    return table, absent


# ---------------------------------------------------------------------------
# Parsing ipvsadm output


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
    if not tokens or tokens[0] not in _COMMANDS:
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
            netmask = _netmask(opts['-M'], family, '')
        scheduler = opts.get('-s', DEFAULT_SCHEDULER)
        service = dict(scheduler=scheduler, persistent=persistent, netmask=netmask,
                       persistence_engine=opts.get('--pe'), one_packet=bool(flags & {'-o', '--ops'}),
                       sched_flags=_sched_flags(opts.get('-b', '').split(',') if '-b' in opts else (),
                                                scheduler, ''))
    elif command in ('-a', '-e', '-d'):
        if '-r' not in opts:
            raise ValueError('no real server (-r) in %r' % line)
        forwarding = next((_SWITCH_FORWARDING[f] for f in flags if f in _SWITCH_FORWARDING), 'dr')
        checksum = next((f[6:] for f in ('--tun-csum', '--tun-remcsum') if f in flags), None)
        destination = _destination(command, key, opts['-r'], forwarding, opts.get('-w', 1), opts.get('-x'),
                                   opts.get('-y'), opts.get('--tun-type'), opts.get('--tun-port'), checksum)
    return command, key, service, destination


_LONG = {'--persistent': '-p', '--tcp-service': '-t', '--udp-service': '-u', '--fwmark-service': '-f',
         '--scheduler': '-s', '--netmask': '-M', '--sched-flags': '-b', '--real-server': '-r', '--weight': '-w',
         '--u-threshold': '-x', '--l-threshold': '-y'}


def _key_from_rule(opts, flags, line):
    if '-f' in opts:
        return ServiceKey(fwmark=int(opts['-f']), family='ipv6' if flags & {'-6', '--ipv6'} else 'ipv4')
    for switch in ('-t', '-u', '--sctp-service'):
        if switch in opts:
            address, port = _split_addr_port(opts[switch])
            return ServiceKey(protocol=_SWITCH_PROTOCOL[switch], address=address,
                              port=port or 0, family=_family(address))
    raise ValueError('no service (-t, -u, --sctp-service or -f) in %r' % line)


def _split_addr_port(text):
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
    address, port = _split_addr_port(real)
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


def _number(text):
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
                address, port = _split_addr_port(tokens[1])
                dest = {'address': address, 'port': port}
                columns = _LIST_COLUMNS[form]
                values = tokens[2:]
                if form == 'plain' and len(values) == 5:   # --tun-info adds a column
                    values = values[:1] + values[2:]
                if len(values) != len(columns):
                    raise ValueError('expected %d columns' % (len(columns) + 1))
                for name, value in zip(columns, values):
                    dest[name] = _LISTED_FORWARDING[value] if name == 'forwarding' else _number(value)
                services[-1][2].append(dest)
            else:
                services.append(_parse_listed_service(tokens, form))
        except (ValueError, KeyError, IndexError, IpvsError) as exc:
            raise IpvsError('cannot parse line %d of ipvsadm -L output: %r (%s)' % (number, line, exc))
    return services


def _parse_listed_service(tokens, form):
    kind = tokens[0]
    if kind == 'FWM':
        family = 'ipv6' if len(tokens) > 2 and tokens[2] == 'IPv6' else 'ipv4'
        key = ServiceKey(fwmark=int(tokens[1]), family=family)
        rest = tokens[3:] if family == 'ipv6' else tokens[2:]
    elif kind.lower() in PROTOCOLS:
        address, port = _split_addr_port(tokens[1])
        key = ServiceKey(protocol=kind.lower(), address=address, port=port, family=_family(address))
        rest = tokens[2:]
    else:
        raise ValueError('unknown service type %r' % kind)
    if form in ('stats', 'rate'):
        columns = _LIST_COLUMNS[form]
        if len(rest) != len(columns):
            raise ValueError('expected %d counters' % len(columns))
        return key, dict(zip(columns, (_number(value) for value in rest))), []
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
            fields['netmask'] = _netmask(rest[index + 1], key.family, '')
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


# ---------------------------------------------------------------------------
# Rendering


def render_service(command, service_or_key):
    """One -A/-E line for a Service, or a -D line for a Service or ServiceKey."""
    if command == '-D':
        key = getattr(service_or_key, 'key', service_or_key)
        return '-D ' + key.name
    service = service_or_key
    parts = [command, service.key.name, '-s', service.scheduler]
    if service.persistent is not None:
        parts += ['-p', str(service.persistent)]
        if service.netmask is not None:
            parts += ['-M', _netmask_text(service.netmask, service.key.family)]
    if service.persistence_engine:
        parts += ['--pe', service.persistence_engine]
    if service.one_packet:
        parts.append('-o')
    if service.sched_flags:
        parts += ['-b', ','.join(service.sched_flags)]
    return ' '.join(parts)


def render_destination(command, key, dest):
    """One -a/-e/-d line for destination `dest` of the service `key`."""
    real = _addr_port(dest.address, dest.port)
    if command == '-d':
        return '-d %s -r %s' % (key.name, real)
    line = '%s %s -r %s %s -w %d' % (command, key.name, real, _FORWARDING_SWITCH[dest.forwarding], dest.weight)
    if dest.upper_threshold:
        line += ' -x %d' % dest.upper_threshold
    if dest.lower_threshold:
        line += ' -y %d' % dest.lower_threshold
    # ipip is the default; naming it would break ipvsadm older than 1.30.
    if dest.forwarding == 'tunnel' and dest.tunnel_type not in (None, 'ipip'):
        line += ' --tun-type ' + dest.tunnel_type
        if dest.tunnel_port is not None:
            line += ' --tun-port %d' % dest.tunnel_port
        line += ' --tun-' + (dest.tunnel_checksum or 'nocsum')
    return line


def render_save(table):
    """The table as `ipvsadm -S -n` lines (plus -x/-y where thresholds are known and set)."""
    lines = []
    for service in table.values():
        lines.append(render_service('-A', service))
        lines.extend(render_destination('-a', service.key, dest) for dest in service.destinations.values())
    return lines


# ---------------------------------------------------------------------------
# Diff


def _tunnel_of(dest):
    if dest.forwarding != 'tunnel':
        return None
    kind = dest.tunnel_type or 'ipip'
    return (kind, dest.tunnel_port, None if kind == 'ipip' else dest.tunnel_checksum or 'nocsum')


def _settings_differ(have, want):
    return (have.forwarding != want.forwarding or have.weight != want.weight
            or _tunnel_of(have) != _tunnel_of(want))


def _thresholds_differ(have, want):
    for name in ('upper_threshold', 'lower_threshold'):
        wanted = getattr(want, name)
        if wanted is not None:
            current = getattr(have, name)
            if current is None:
                raise ValueError('thresholds of %s are unknown; read them first' % _addr_port(*have.key))
            if current != wanted:
                return True
    return False


def _edited(have, want):
    """The destination an -e line must set: `want`, keeping current unmanaged thresholds."""
    result = replace(want)
    for name in ('upper_threshold', 'lower_threshold'):
        if getattr(want, name) is None:
            current = getattr(have, name)
            if current is None:
                raise ValueError('thresholds of %s are unknown; read them first' % _addr_port(*have.key))
            setattr(result, name, current)
    return result


def resulting_destination(have, want):
    """What destination `want` becomes when applied over `have` (None: a new one):
    unmanaged thresholds keep their current value (None if unread), or 0 when new."""
    result = replace(want)
    for name in ('upper_threshold', 'lower_threshold'):
        if getattr(want, name) is None:
            setattr(result, name, 0 if have is None else getattr(have, name))
    return result


def threshold_keys(current, desired):
    """Keys of services whose current thresholds diff() needs but `current` lacks.

    That is every service with an existing destination that declares a threshold or
    will be edited (an -e line resets thresholds it does not repeat).
    """
    keys = []
    for key, want in desired.items():
        have = current.get(key)
        if have is None:
            continue
        for dkey, dest in want.destinations.items():
            current_dest = have.destinations.get(dkey)
            if current_dest is None or current_dest.upper_threshold is not None:
                continue
            if (dest.upper_threshold is not None or dest.lower_threshold is not None
                    or _settings_differ(current_dest, dest)):
                keys.append(key)
                break
    return keys


def diff(current, desired, purge=False, absent_services=(), absent_destinations=()):
    """The ordered ipvsadm rule lines that turn `current` into `desired`.

    `desired` is a table; its services are made to match (added, or edited with -E) and
    their listed destinations added or edited (-e, never delete-and-add). With `purge`,
    services and destinations that `desired` does not list are deleted.
    `absent_services` (ServiceKeys) and `absent_destinations` ((ServiceKey, (address,
    port)) pairs) are deleted when present. Never -C.

    Order, so that a batch cut short leaves a usable table: service adds and edits,
    destination edits, destination adds, destination deletes, service deletes (adding
    new real servers before removing old ones keeps a service served).
    """
    absent_services = set(absent_services)
    services, edits, adds, deletes, service_deletes = [], [], [], [], []
    for key, want in desired.items():
        have = current.get(key)
        if have is None:
            services.append(render_service('-A', want))
            adds.extend(render_destination('-a', key, dest) for dest in want.destinations.values())
            continue
        if have.settings() != want.settings():
            services.append(render_service('-E', want))
        for dkey, dest in want.destinations.items():
            current_dest = have.destinations.get(dkey)
            if current_dest is None:
                adds.append(render_destination('-a', key, dest))
            elif _settings_differ(current_dest, dest) or _thresholds_differ(current_dest, dest):
                edits.append(render_destination('-e', key, _edited(current_dest, dest)))
        if purge:
            deletes.extend(render_destination('-d', key, dest) for dkey, dest in have.destinations.items()
                           if dkey not in want.destinations)
    for key, dkey in absent_destinations:
        have = current.get(key)
        gone = key in absent_services or (purge and key not in desired)
        if have is not None and dkey in have.destinations and not gone:
            deletes.append(render_destination('-d', key, have.destinations[dkey]))
    for key in current:
        if key in absent_services or (purge and key not in desired):
            service_deletes.append(render_service('-D', key))
    return services + edits + adds + deletes + service_deletes


def apply_lines(table, lines):
    """Simulate ipvsadm rule lines on a table, as the kernel would; returns a new table.

    Raises ValueError where the kernel would refuse a line (adding what exists, editing
    or deleting what does not, an unknown scheduler, a lower threshold above the upper).
    The input table is not modified.
    """
    result = dict(table)
    copied = set()
    for line in lines:
        command, key, options, dest = parse_rule(line)
        if options and options['scheduler'] not in SCHEDULERS:
            raise ValueError('Scheduler or persistence engine not found: %s' % line)
        if dest and (dest.lower_threshold or 0) > (dest.upper_threshold or 0):
            raise ValueError('Numerical result out of range: %s' % line)
        if command == '-A':
            if key in result:
                raise ValueError('service %s already exists: %s' % (key, line))
            result[key] = Service(key, **options)
            copied.add(key)
            continue
        if key not in result:
            raise ValueError('no service %s: %s' % (key, line))
        if command == '-D':
            del result[key]
            continue
        if key not in copied:
            old = result[key]
            result[key] = replace(old, destinations={k: replace(d) for k, d in old.destinations.items()})
            copied.add(key)
        service = result[key]
        if command == '-E':
            for name, value in options.items():
                setattr(service, name, value)
        elif command == '-a':
            if dest.key in service.destinations:
                raise ValueError('destination already exists: %s' % line)
            service.destinations[dest.key] = _with_default_thresholds(dest)
        elif dest.key not in service.destinations:
            raise ValueError('no destination %s: %s' % (_addr_port(*dest.key), line))
        elif command == '-e':
            service.destinations[dest.key] = _with_default_thresholds(dest)
        else:
            del service.destinations[dest.key]
    return result


def _with_default_thresholds(dest):
    # A line without -x/-y sets the threshold to 0.
    return replace(dest, upper_threshold=dest.upper_threshold or 0,
                   lower_threshold=dest.lower_threshold or 0)


def touched_keys(lines):
    """The service keys that rule lines touch, in first-touched order."""
    keys = {}
    for line in lines:
        keys.setdefault(parse_rule(line)[1], None)
    return list(keys)


def diff_texts(current, lines):
    """Before/after rule lines of the services that `lines` touch, for diff mode."""
    keys = touched_keys(lines)
    after = apply_lines(current, lines)
    before_text = render_save({key: current[key] for key in keys if key in current})
    after_text = render_save({key: after[key] for key in keys if key in after})
    return {'before': ''.join(line + '\n' for line in before_text),
            'after': ''.join(line + '\n' for line in after_text),
            'before_header': 'ipvsadm -S -n (affected services)',
            'after_header': 'ipvsadm -S -n (affected services)'}


def summarize(lines):
    """Count the rule lines by what they do."""
    counts = dict((name.replace('-', '_'), 0) for name in _COMMANDS.values())
    for line in lines:
        counts[_COMMANDS[line.split(None, 1)[0]].replace('-', '_')] += 1
    return counts


# ---------------------------------------------------------------------------
# The host: the one place that runs ipvsadm


def _complaint(text):
    """ipvsadm's own line about IPVS missing (its stderr starts with modprobe's)."""
    return next((line.strip() for line in text.splitlines() if _NO_IPVS in line), text.strip())


class IpvsadmRunner(object):
    """Runs ipvsadm through an AnsibleModule: argv lists, C locale, batches on stdin."""

    # Listing one service at a time is cheaper than the whole table up to about this many.
    PER_SERVICE_LIMIT = 8

    def __init__(self, module):
        self.module = module
        self.binary = module.get_bin_path('ipvsadm', opt_dirs=['/sbin', '/usr/sbin'])
        if not self.binary:
            raise IpvsError('ipvsadm is not installed on this host (not found in PATH, /sbin or '
                            '/usr/sbin); install the ipvsadm package')

    def _command(self, argv, data=None):
        return self.module.run_command(argv, data=data, environ_update=C_LOCALE)

    def run(self, args, data=None):
        """Run ipvsadm with `args`; returns stdout. IPVS missing in the kernel raises
        IpvsError saying so (after one `modprobe ip_vs` attempt); other failures too."""
        rc, out, err = self._command([self.binary] + args, data)
        if rc != 0 and _NO_IPVS in err + out:
            self._load_kernel_module(err + out)
            rc, out, err = self._command([self.binary] + args, data)
            if rc != 0 and _NO_IPVS in err + out:
                raise IpvsError('IPVS is not available in this kernel: ipvsadm says "%s" even after '
                                "'modprobe ip_vs' succeeded" % _complaint(err + out))
        if rc != 0:
            raise IpvsError('ipvsadm %s failed (rc=%d): %s' % (' '.join(args), rc, (err or out).strip()),
                            rc=rc, stdout=out, stderr=err)
        return out

    def _load_kernel_module(self, message):
        modprobe = self.module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
        reason = 'modprobe not found'
        if modprobe:
            rc, out, err = self._command([modprobe, 'ip_vs'])
            if rc == 0:
                return
            reason = "'modprobe ip_vs' failed: %s" % ' '.join((err or out).split())
        raise IpvsError('IPVS is not available in this kernel: ipvsadm says "%s"; %s'
                        % (_complaint(message), reason))

    def loaded(self):
        """Whether the ip_vs kernel module is loaded (or built in)."""
        return os.path.exists(PROC_IP_VS)

    def ensure_loadable(self):
        """Check, without loading it, that ip_vs can be loaded (for check mode)."""
        modprobe = self.module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
        if modprobe:
            rc, out, err = self._command([modprobe, '--dry-run', 'ip_vs'])
            if rc != 0:
                raise IpvsError('IPVS is not available in this kernel: %s is absent and '
                                "'modprobe --dry-run ip_vs' failed: %s" % (PROC_IP_VS, (err or out).strip()))

    def read(self):
        """The current table from `ipvsadm -S -n` (thresholds unknown)."""
        return parse_save(self.run(['-S', '-n']))

    def read_thresholds(self, table, keys):
        """Fill thresholds of the services `keys` in `table` from `-L -n --thresholds`."""
        if not keys:
            return table
        if len(keys) > self.PER_SERVICE_LIMIT:
            return merge_thresholds(table, parse_list(self.run(['-L', '-n', '--thresholds'])))
        for key in keys:
            merge_thresholds(table, parse_list(self.run(['-L', '-n', '--thresholds'] + key.args())))
        return table

    def apply(self, lines):
        """Feed rule lines to one `ipvsadm -R`. Returns (rc, stdout, stderr): -R goes on
        after a line the kernel refuses (printing the kernel's error) and its rc reflects
        only the last line, so callers look at stderr too, and re-read when it is not empty."""
        # The table was just read, so ipvsadm and the kernel module are known to work.
        return self._command([self.binary, '-R'], ''.join(line + '\n' for line in lines))


def read_info(runner, counters=True):
    """The table with connection counts, thresholds and (with `counters`) traffic
    counters and rates, plus timeouts and sync daemons, as JSON-ready data.

    Configuration comes from `ipvsadm -S -n`, the rest from `ipvsadm -L -n` forms.
    Without ip_vs loaded nothing is read (and nothing is loaded): `loaded` is false.
    """
    if not runner.loaded():
        runner.ensure_loadable()
        return {'loaded': False, 'services': [], 'rules': [], 'timeouts': None, 'sync_daemons': []}
    saved = runner.run(['-S', '-n'])
    table = parse_save(saved)
    listings = [['--thresholds'], ['--persistent-conn']]
    if counters:
        listings += [['--stats', '--exact'], ['--rate', '--exact']]
    extra_services, extra_dests = {}, {}
    for flags in listings:
        for key, fields, destinations in parse_list(runner.run(['-L', '-n'] + flags)):
            if flags[0] in ('--stats', '--rate'):
                extra_services.setdefault(key, {})[flags[0][2:]] = fields
            for item in destinations:
                target = extra_dests.setdefault((key, item['address'], item['port']), {})
                for name, value in item.items():
                    if name not in ('address', 'port', 'weight'):
                        if flags[0] in ('--stats', '--rate'):
                            target.setdefault(flags[0][2:], {})[name] = value
                        else:
                            target[name] = value
    services = []
    for key, service in table.items():
        entry = service.to_dict(destinations=False)
        if counters:
            entry['stats'] = extra_services.get(key, {}).get('stats')
            entry['rates'] = extra_services.get(key, {}).get('rate')
        entry['destinations'] = []
        for dest in service.destinations.values():
            item = dest.to_dict()
            found = extra_dests.get((key, dest.address, dest.port), {})
            for name in ('upper_threshold', 'lower_threshold', 'active_connections',
                         'inactive_connections', 'persistent_connections'):
                item[name] = found.get(name)
            if counters:
                item['stats'] = found.get('stats')
                item['rates'] = found.get('rate')
            entry['destinations'].append(item)
        services.append(entry)
    return {'loaded': True, 'services': services, 'rules': saved.splitlines(),
            'timeouts': parse_timeouts(runner.run(['-L', '-n', '--timeout'])),
            'sync_daemons': parse_daemons(runner.run(['-L', '-n', '--daemon']))}


def _read(runner, desire):
    """Current table (with the thresholds the plan needs) and the desired state."""
    current = runner.read()
    wanted = desire(current)
    needed = threshold_keys(current, wanted[0])
    if needed:
        runner.read_thresholds(current, needed)
        wanted = desire(current)
    return current, wanted


_SAVED_NAMES = re.compile(r'^(-A .*?) -s |^(-a .*? -r \S+) ', re.M)
_RULE_KEY = re.compile(r'^-[AEDaed] (.*?)(?: -s | -r |$)')
_THRESHOLD_ARGS = re.compile(r' -[xy] \d+')


def saved_shows(text, lines):
    """Whether `ipvsadm -S -n` output `text` shows the effect of every rule line.

    A quick check that parses nothing: an -A/-E line must appear as its -A line, an
    -a/-e line as its -a line (less -x/-y, which -S does not print; with or without
    ipvsadm 1.31's --tun-type ipip), and what -D/-d delete must be gone. False means
    "look closer", not "failed". Thresholds are not checked.
    """
    saved = set(text.splitlines())
    named = set(match.group(1) or match.group(2) for match in _SAVED_NAMES.finditer(text))
    for line in lines:
        command, rest = line[:2], line[3:]
        if command in ('-A', '-E'):
            if '-A ' + rest not in saved:
                return False
        elif command in ('-a', '-e'):
            expected = '-a ' + _THRESHOLD_ARGS.sub('', rest)
            if expected not in saved and expected + ' --tun-type ipip' not in saved:
                return False
        elif ('-A ' if command == '-D' else '-a ') + rest in named:
            return False
    return True


def _confirm(runner, lines, desired, purge, absent, absent_dests):
    """Read the table back after `lines` were applied and ipvsadm reported something;
    return the lines that did not take effect (none when the table is as planned)."""
    saved = runner.run(['-S', '-n'])
    if saved_shows(saved, lines):
        # Visible in -S; thresholds are not, so check them where they are declared.
        names = dict((key.name, key) for key in desired)
        touched = set(names.get(_RULE_KEY.match(line).group(1)) for line in lines) - {None}
        check = [key for key in touched if any(
            dest.upper_threshold is not None or dest.lower_threshold is not None
            for dest in desired[key].destinations.values())]
        if not check:
            return []
        listed = runner.read_thresholds(dict((key, replace(desired[key], destinations=dict(
            (dkey, replace(dest, upper_threshold=None, lower_threshold=None))
            for dkey, dest in desired[key].destinations.items()))) for key in check), check)
        if all(_thresholds_as_declared(listed[key], desired[key]) for key in check):
            return []
    # Look closer: the whole table, parsed, against what was planned.
    after = parse_save(saved)
    runner.read_thresholds(after, threshold_keys(after, desired))
    return diff(after, desired, purge, absent, absent_dests)


def _thresholds_as_declared(read, declared):
    for dkey, want in declared.destinations.items():
        have = read.destinations[dkey]
        for name in ('upper_threshold', 'lower_threshold'):
            if getattr(want, name) is not None and getattr(have, name) != getattr(want, name):
                return False
    return True


def reconcile(runner, desire, check_mode=False, diff_mode=False, purge=False):
    """Read the table, plan, apply the plan in one batch, confirm. The modules' core.

    `desire(current)` returns (desired table, absent_services, absent_destinations);
    it sees the current table so single-entry modules can keep what they do not manage.
    Returns a result dict: changed, commands, summary, and diff in diff mode; plus
    'current' and 'desired' tables for the caller's own return values (pop them).
    In check mode nothing mutating runs, and ip_vs is not loaded if it is absent.
    Raises IpvsError when ipvsadm fails or the table does not end as planned.
    """
    if check_mode and not runner.loaded():
        runner.ensure_loadable()
        current = {}
        wanted = desire(current)
    else:
        current, wanted = _read(runner, desire)
    desired, absent, absent_dests = wanted
    lines = diff(current, desired, purge, absent, absent_dests)
    result = {'changed': bool(lines), 'commands': lines, 'summary': summarize(lines),
              'current': current, 'desired': desired}
    if diff_mode:
        result['diff'] = diff_texts(current, lines)
    if not lines or check_mode:
        return result
    rc, out, err = runner.apply(lines)
    if rc == 0 and not err.strip():
        # ipvsadm -R prints an error for every line the kernel refuses and exits non-zero
        # on a line it cannot parse: a silent, successful batch was applied whole.
        return result
    remaining = _confirm(runner, lines, desired, purge, absent, absent_dests)
    if remaining:
        said = ' '.join(err.split()) or 'no error printed'
        raise IpvsError('ipvsadm -R applied only part of the change: %d of %d lines did not take '
                        'effect (ipvsadm -R rc=%d): %s' % (len(remaining), len(lines), rc, said),
                        commands=lines, not_applied=remaining, rc=rc, stderr=err, stdout=out, changed=True)
    if rc != 0 or err.strip():
        result['warnings'] = ['ipvsadm -R reported (rc=%d) but the table matches: %s' % (rc, err.strip())]
    return result
