# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The IPVS table model and the validation of what the user declares.

PRIVATE module_utils (the leading underscore of the package says so): not a public
interface of the collection; it may change in any release without notice.

A table is a dict {ServiceKey: Service}, in insertion order. A Service holds its
destinations in a dict {(address, port): Destination}. Addresses are canonical text,
made by the target's own inet_pton/inet_ntop, the form ipvsadm prints: 2001:0DB8:0::1
becomes 2001:db8::1. (Much cheaper than ipaddress objects on tables of thousands.)

Thresholds (-x/-y) are not in `ipvsadm -S`; a destination read from -S has
upper_threshold/lower_threshold None ("unknown") until merge_thresholds() fills them
from `ipvsadm -L -n --thresholds`. In a desired destination, None means "not managed":
keep the current value (0 for a new destination).

The facts shared with the roles' model (protocols, schedulers, limits) come from
_schema; what only ipvsadm knows (tunnel types, persistence engines, its switches and
flag names) is kept here.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from functools import cached_property

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.lvs.ha.plugins.module_utils._schema import (
    DEFAULT_SCHEDULER, FAMILIES, FORWARDING, MAX_FWMARK, MAX_PERSISTENCE, MAX_PORT, MAX_THRESHOLD, MAX_WEIGHT,
    PROTOCOLS, SCHED_FLAGS, SCHEDULERS,
)

TUNNEL_TYPES = ('ipip', 'gue', 'gre')
TUNNEL_CHECKSUMS = ('nocsum', 'csum', 'remcsum')
PERSISTENCE_ENGINES = ('sip',)

# The three scheduler flag bits, named as `ipvsadm -S` prints them for each scheduler.
FLAG_NAMES = {
    'sh': ('sh-fallback', 'sh-port', 'flag-3'),
    'mh': ('mh-fallback', 'mh-port', 'flag-3'),
}
GENERIC_FLAGS = ('flag-1', 'flag-2', 'flag-3')

# ipvsadm's switch for a service of each protocol (what names a service on its command line).
PROTOCOL_SWITCH = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}


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
        return [PROTOCOL_SWITCH[self.protocol], addr_port(self.address, self.port)]

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
        return '%s %s' % (self.protocol, addr_port(self.address, self.port))


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
        """The service as the modules return it (the persistence granularity as `netmask`,
        the name the modules' return values have always used)."""
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


def addr_port(address, port):
    """'10.0.0.1:80', or '[2001:db8::1]:80' for IPv6, as ipvsadm writes an address and port."""
    if ':' in address:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


def family_of(address):
    return 'ipv6' if ':' in address else 'ipv4'


def netmask_text(prefix, family):
    """A persistence granularity as ipvsadm writes it: a dotted netmask (IPv4) or a prefix length."""
    if family == 'ipv6':
        return str(prefix)
    return str(ipaddress.IPv4Network('0.0.0.0/%d' % prefix).netmask)


# ---------------------------------------------------------------------------
# Argument specs shared by the modules (documented in the modules and plugins/doc_fragments/ipvs.py)


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
        # The roles' model's name; `netmask` is what the modules called it first.
        persistence_netmask=dict(type='str', aliases=['netmask']),
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
# A service entry of the ipvs module (and of table_from_params), and the aliases it also takes.
SERVICE_OPTIONS = tuple(key_argument_spec()) + tuple(service_argument_spec()) + ('state', 'destinations')
SERVICE_ALIASES = dict((alias, name) for name, spec in service_argument_spec().items()
                       for alias in spec.get('aliases', ()))
_SERVICE_OPTION_SET = frozenset(SERVICE_OPTIONS) | frozenset(SERVICE_ALIASES)


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


def netmask_prefix(value, family, where='', option='netmask'):
    """A persistence netmask (dotted IPv4 mask, or prefix length) as a prefix length;
    None for the full width (per client address, ipvsadm's default)."""
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
        _fail(where, option, value, 'must be a prefix length%s' % (
            ' or a dotted netmask such as 255.255.255.0' if family == 'ipv4' else ' (0-128) for IPv6'))
    if not 1 <= prefix <= width:
        _fail(where, option, value, 'must be a prefix length between 1 and %d' % width)
    return None if prefix == width else prefix


def sched_flag_names(values, scheduler, where=''):
    """Scheduler flags, by their scheduler's names or the generic ones, as the canonical
    names `ipvsadm -S` prints for `scheduler`, in bit order."""
    names = FLAG_NAMES.get(scheduler, GENERIC_FLAGS)
    bits = set()
    for value in values or ():
        if value in names:
            bits.add(names.index(value))
        elif value in GENERIC_FLAGS:
            bits.add(GENERIC_FLAGS.index(value))
        else:
            _fail(where, 'sched_flags', value, 'is not a flag of scheduler %s; valid: %s'
                  % (scheduler, ', '.join(sorted(set(names) | set(GENERIC_FLAGS)))))
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
    if family is not None and family != family_of(address):
        _fail(where, 'family', family, 'does not match address %s' % address)
    if params.get('port') is None:
        _fail(where, 'port', None, 'is required with address')
    port = _int(params, 'port', where, 0, MAX_PORT)
    protocol = _choice(params, 'protocol', where, PROTOCOLS, 'tcp')
    return ServiceKey(protocol=protocol, address=address, port=port, family=family_of(address))


def _persistence_netmask(params, where):
    """The declared persistence granularity and the option name it was given under
    (`netmask`, the alias, when the entry has it: errors name what the user wrote)."""
    value, alias = params.get('persistence_netmask'), params.get('netmask')
    if alias is None:
        return value, 'persistence_netmask'
    if value is not None and str(value).strip() != str(alias).strip():
        _fail(where, 'netmask', alias, 'is an alias of persistence_netmask, which is set to %r' % (value,))
    return alias, 'netmask'


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
    netmask, option = _persistence_netmask(params, where)
    if netmask is not None:
        if persistent is None:
            _fail(where, option, netmask, 'only applies to a persistent service; set persistent')
        netmask = netmask_prefix(netmask, key.family, where, option)
    engine = _choice(params, 'persistence_engine', where, PERSISTENCE_ENGINES)
    if engine is not None and persistent is None:
        _fail(where, 'persistence_engine', engine, 'only applies to a persistent service; set persistent')
    one_packet = _bool(params, 'one_packet', where)
    if one_packet and key.protocol not in ('udp', None):
        _fail(where, 'one_packet', one_packet, 'one-packet scheduling is only for udp or fwmark services')
    service = Service(key, scheduler, persistent, netmask, engine, one_packet,
                      sched_flag_names(_list(params, 'sched_flags', where), scheduler, where))
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
                      'duplicate destination %s in %s' % (addr_port(*dkey), key))
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
    if family_of(address) != key.family and forwarding != 'tunnel':
        _fail(where, 'address', str(address), 'is %s but service %s is %s; only tunnel forwarding '
              'may mix address families' % (family_of(address), key, key.family))
    if key.fwmark is not None or key.port == 0:
        port = _int(params, 'port', where, 0, MAX_PORT, 0 if key.fwmark is not None else key.port)
    else:
        port = _int(params, 'port', where, 1, MAX_PORT, key.port)
        if forwarding in ('dr', 'tunnel') and port != key.port:
            _fail(where, 'port', port, 'must equal the service port %d with forwarding %s (the kernel '
                  'forwards dr and tunnel to the service port; use nat to change ports)'
                  % (key.port, forwarding))
    weight = _int(params, 'weight', where, 0, MAX_WEIGHT, 1)
    if forwarding != 'tunnel' and params.keys() <= _COMMON_DESTINATION_OPTIONS:
        return Destination(address, port, forwarding, weight)
    upper, lower = thresholds_from_params(params, where)
    return Destination(address, port, forwarding, weight, upper, lower, *_tunnel(params, forwarding, where))


def thresholds_from_params(params, where=''):
    """The declared (upper_threshold, lower_threshold), None where not declared.

    The kernel's rule (a bare `ipvsadm -y` is "Numerical result out of range"): a lower
    threshold other than 0 needs an upper one, declared with it and at least as large.
    """
    upper = _int(params, 'upper_threshold', where, 0, MAX_THRESHOLD)
    lower = _int(params, 'lower_threshold', where, 0, MAX_THRESHOLD)
    if lower and (upper is None or lower > upper):
        _fail(where, 'lower_threshold', lower, 'must not exceed upper_threshold (%s)' % upper)
    return upper, lower


def destination_key_from_params(params, key, where=''):
    """The (address, port) of a destination of `key`, validating only those two options."""
    address = _address(params, 'address', where)
    default = 0 if key.fwmark is not None else key.port
    return address, _int(params, 'port', where, 0, MAX_PORT, default)


def _tunnel(params, forwarding, where):
    if forwarding != 'tunnel':
        for option in ('tunnel_type', 'tunnel_port', 'tunnel_checksum'):
            if params.get(option) is not None:
                _fail(where, option, params[option], 'only applies to forwarding tunnel')
        return None, None, None
    kind = _choice(params, 'tunnel_type', where, TUNNEL_TYPES, 'ipip')
    port = _int(params, 'tunnel_port', where, 1, MAX_PORT)
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
# The compact form: the table as rule lines (the ipvs module's `rules`)

# What each option of an -A/-a line sets, as the structured form names it.
_RULE_SERVICE_OPTIONS = {'-s': 'scheduler', '-p': 'persistent', '-M': 'persistence_netmask',
                         '--pe': 'persistence_engine', '-b': 'sched_flags'}
_RULE_DESTINATION_OPTIONS = {'-w': 'weight', '-x': 'upper_threshold', '-y': 'lower_threshold',
                             '--tun-type': 'tunnel_type', '--tun-port': 'tunnel_port'}
_RULE_FORWARDING = {'-g': 'dr', '-i': 'tunnel', '-m': 'nat'}
_RULE_CHECKSUMS = {'--tun-nocsum': 'nocsum', '--tun-csum': 'csum', '--tun-remcsum': 'remcsum'}
_RULE_PROTOCOLS = {'-t': 'tcp', '-u': 'udp', '--sctp-service': 'sctp'}


def _split_host_port(text, where, option):
    """'10.0.0.1:80' or '[2001:db8::1]:80' -> (host text, port text or None); not validated."""
    if text.startswith('['):
        host, sep, rest = text[1:].partition(']')
        if not sep or (rest and not rest.startswith(':')):
            _fail(where, option, text, 'must be ADDRESS:PORT, [IPV6]:PORT or an address')
        return host, rest[1:] or None
    if text.count(':') == 1:
        host, _sep, port = text.partition(':')
        return host, port
    return text, None


def _rule_params(tokens, where):
    """The structured form of one -A or -a line: (command, service params, destination params).

    Only the forms `ipvsadm -S -n` prints (and render_rules writes) are taken; the values are
    left as text for the same validation as the structured form.
    """
    command = tokens[0]
    service, dest = {}, {}
    index = 1
    while index < len(tokens):
        token = tokens[index]
        value = tokens[index + 1] if index + 1 < len(tokens) else None
        if token in _RULE_PROTOCOLS or token == '-f':
            if service:
                _fail(where, token, value, 'names a second service on one line')
            if value is None:
                _fail(where, token, value, 'needs a value')
            if token == '-f':
                service['fwmark'] = value
            else:
                host, port = _split_host_port(value, where, token)
                service.update(protocol=_RULE_PROTOCOLS[token], address=host, port=port)
            index += 2
            continue
        if token == '-6':
            service['family'] = 'ipv6'
        elif command == '-A' and token == '-o':
            service['one_packet'] = True
        elif command == '-a' and token in _RULE_FORWARDING and 'forwarding' not in dest:
            dest['forwarding'] = _RULE_FORWARDING[token]
        elif command == '-a' and token in _RULE_CHECKSUMS and 'tunnel_checksum' not in dest:
            dest['tunnel_checksum'] = _RULE_CHECKSUMS[token]
        else:
            names = _RULE_SERVICE_OPTIONS if command == '-A' else _RULE_DESTINATION_OPTIONS
            if command == '-a' and token == '-r' and value is not None and 'address' not in dest:
                dest['address'], port = _split_host_port(value, where, token)
                if port is not None:
                    dest['port'] = port
            elif token in names and value is not None and names[token] not in (service if command == '-A' else dest):
                (service if command == '-A' else dest)[names[token]] = value
            else:
                _fail(where, token, ' '.join(tokens), 'is not an option of an %s line here (or it is repeated or '
                      'has no value); the lines are those `ipvsadm -S -n` prints' % command)
            index += 2
            continue
        index += 1
    if not service:
        _fail(where, 'service', ' '.join(tokens), 'is missing: name it with -t, -u, --sctp-service or -f')
    if command == '-a' and 'address' not in dest:
        _fail(where, '-r', ' '.join(tokens), 'is required on an -a line')
    return service, dest


# The -a line of almost every destination, read without the general loop of _rule_params.
_COMMON_DESTINATION_LINE = re.compile(r'-a (-t|-u|--sctp-service|-f) (\S+)( -6)? -r (\S+) (-[gim]) -w (\d+)')
# Of those, an IPv4 real server by direct routing: the most common line of a large table,
# checked inline. What these checks do not take goes the general way, whose error names
# the line (tests/unit: the two ways give the same table or the same error).
_IPV4_DR_LINE = re.compile(r'-a (-t|-u|--sctp-service) (\S+) -r ([0-9.]{7,15}):(\d{1,5}) -g -w (\d{1,5})')


def _ipv4_dr_destination(service, address, port, weight):
    """The Destination of `-r ADDRESS:PORT -g -w WEIGHT` in `service`, or None where the
    general way must judge (anything it could refuse, or a service not IPv4 by port)."""
    key = service.key
    if key.fwmark is not None or key.family != 'ipv4' or not key.port or int(port) != key.port:
        return None
    weight = int(weight)
    if weight > MAX_WEIGHT:
        return None
    try:
        if socket.inet_ntop(socket.AF_INET, socket.inet_pton(socket.AF_INET, address)) != address:
            return None
    except (OSError, ValueError):
        return None
    return Destination(address, key.port, 'dr', weight)


def table_from_rules(text, where='rules'):
    """Validate the table given as rule lines (-A and -a, as `ipvsadm -S -n` prints them and
    render_rules() writes them) into a table, as table_from_params() does the structured form.

    Each line becomes the entry of the structured form and is checked by the same functions
    (service_from_params, destination_from_params); errors name the line. A destination
    without -x/-y leaves its thresholds unmanaged, like a structured one without them.
    """
    if not isinstance(text, str):
        _fail('', where, text, 'must be a string of rule lines')
    table = {}
    named_services = {}     # the text naming a service on -a lines -> the service (validated once)
    ipv4_dr_line = _IPV4_DR_LINE.fullmatch
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        fast = ipv4_dr_line(line)
        if fast is not None:
            flag, named, address, port, weight = fast.groups()
            entry = named_services.get((flag, named, None))
            if entry is not None:
                item = _ipv4_dr_destination(entry, address, port, weight)
                if item is not None and item.key not in entry.destinations:
                    entry.destinations[item.key] = item
                    continue
        if not line or line.startswith('#'):
            continue
        here = '%s line %d: ' % (where, number)
        match = _COMMON_DESTINATION_LINE.fullmatch(line)
        if match:
            named = match.group(1, 2, 3)
            host, port = _split_host_port(match.group(4), here, '-r')
            # digits only (the pattern's and the check's): as int, the checks' fast path
            dest = {'address': host, 'forwarding': _RULE_FORWARDING[match.group(5)], 'weight': int(match.group(6))}
            if port is not None:
                dest['port'] = int(port) if port.isdigit() else port
        else:
            tokens = line.split()
            if tokens[0] not in ('-A', '-a'):
                _fail(here, tokens[0], line, 'only -A (a service) and -a (a destination) lines declare a table')
            service, dest = _rule_params(tokens, here)
            if tokens[0] == '-A':
                entry = service_from_params(service, here, destinations=False)
                if entry.key in table:
                    _fail(here, 'service', line, 'duplicate service %s' % entry.key)
                table[entry.key] = entry
                continue
            named = tuple(sorted(service.items()))
        entry = named_services.get(named)
        if entry is None:
            if match:
                service, _dest = _rule_params(line.split(), here)
            key = key_from_params(service, here)
            if key not in table:
                _fail(here, 'service', line, 'service %s has no -A line before this one' % key)
            entry = named_services[named] = table[key]
        key, known = entry.key, entry.destinations
        item = destination_from_params(dest, key, here)
        if item.key in known:
            _fail(here, '-r', line, 'duplicate destination %s in %s' % (addr_port(*item.key), key))
        known[item.key] = item
    return table
