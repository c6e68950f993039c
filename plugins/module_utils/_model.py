# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.ha variable model: the one gate every input passes on the controller.

PRIVATE module_utils: not a public API, may change without notice. Used on the
controller by the filters in ``plugins/filter/``; pure (no I/O). Options, types, limits,
patterns and defaults come from ``_schema.py``; this file adds the rules between
options and between hosts, and resolves inventory hosts to addresses and MACs.

:func:`cluster` is the entry point of the roles: one call per host per run returns
everything the host needs (services, VRRP instances, its VIPs, firewall-mark rules,
the IPVS table). Every refusal is a :class:`ModelError` whose message names the host,
the variable and the value, and comes before any host is changed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
import zlib

from ansible_collections.lvs.ha.plugins.module_utils import _fwmark, _keepalived, _schema
from ansible_collections.lvs.ha.plugins.module_utils._ipvs import model as _ipvs
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_rules
from ansible_collections.lvs.ha.plugins.module_utils._schema import (
    CHECK_KEYS, FWMARK_SPAN, HEALTH_CHECK, OPTIONS, REALSERVER, SERVICE, SORRY_SERVER, TRACK_INTERFACE,
    VRRP_AGREED, VRRP_V2_ADVERT, VRRP_V3_ADVERT)

try:
    import netaddr
except ImportError:  # pragma: no cover - netaddr is a controller requirement (see README)
    netaddr = None

SERVICES_VAR = 'lvs_virtual_services'
DEFAULT_FWMARK_BASE = 1000
_TRUE = ('yes', 'true', 'on', '1', 'y')
_FALSE = ('no', 'false', 'off', '0', 'n')
_INT_RE = re.compile(r'\s*-?\d+\s*')
_CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')


class ModelError(ValueError):
    """Invalid user data; the message names the host, the variable and the value."""


def _where(path, host):
    return 'host %s: %s' % (host, path) if host else path


def _fail(path, host, reason, value):
    raise ModelError('%s %s, got %r' % (_where(path, host), reason, value))


# --- checks driven by the schema --------------------------------------------------

def check_value(value, spec, path, host=None):
    """Validate one value against its schema entry; return it typed and normalised.

    ``None`` is returned as is (the caller applies defaults and ``required``).
    """
    if value is None:
        return None
    kind = spec.get('type', 'raw')
    fmt = spec.get('format')
    if kind == 'str':
        if fmt == 'mac':
            return check_mac(value, path, host)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or (fmt and not isinstance(value, str)):
            _fail(path, host, 'must be a string', value)
        value = str(value)
        if fmt == 'ip':
            return str(parse_ip(value, path, host))
        if fmt == 'keepalived_text':
            return check_keepalived_text(value, path, host)
        if spec.get('choices'):
            return _choice(value, spec['choices'], path, host)
        pattern = spec.get('pattern')
        if pattern and not _schema.matches(pattern, value):
            _fail(path, host, 'must be %s' % _schema.PATTERNS[pattern][1], value)
        return value
    if kind == 'int':
        if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, str) and _INT_RE.fullmatch(value)):
            _fail(path, host, 'must be an integer', value)
        value = int(value)
        if spec.get('choices') and value not in spec['choices']:
            _fail(path, host, 'must be one of: %s' % ', '.join(str(c) for c in spec['choices']), value)
        return _range(value, spec, path, host)
    if kind == 'float':
        if isinstance(value, bool):
            _fail(path, host, 'must be a number', value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            _fail(path, host, 'must be a number', value)
        if math.isnan(number) or math.isinf(number):
            _fail(path, host, 'must be a number', value)
        number = _range(number, spec, path, host)
        return int(number) if number.is_integer() else number
    if kind == 'bool':
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        _fail(path, host, 'must be a boolean', value)
    if kind == 'list':
        if not isinstance(value, (list, tuple)):
            _fail(path, host, 'must be a list (a string is not a list: write [%s])' % value
                  if isinstance(value, str) else 'must be a list', value)
        elements = spec.get('elements')
        if elements in ('str', 'int', 'bool', 'float'):
            item_spec = {'type': elements, 'choices': spec.get('choices'), 'pattern': spec.get('pattern'),
                         'format': spec.get('format')}
            return [check_value(item, item_spec, '%s[%d]' % (path, i), host) for i, item in enumerate(value)]
        if elements == 'dict' and spec.get('options'):
            return [check_options(item, spec['options'], '%s[%d]' % (path, i), host) for i, item in enumerate(value)]
        return list(value)
    if kind == 'dict':
        if not isinstance(value, dict):
            _fail(path, host, 'must be a mapping', value)
        if spec.get('options'):
            return check_options(value, spec['options'], path, host)
        if spec.get('key_pattern'):
            result = {}
            for key, item in value.items():
                key = check_value(key, {'type': 'str', 'pattern': spec['key_pattern']}, '%s key' % path, host)
                if isinstance(item, bool):
                    item = int(item)
                result[key] = check_value(item if isinstance(item, str) else str(item),
                                          {'type': 'str', 'pattern': spec['value_pattern']},
                                          '%s.%s' % (path, key), host)
            return result
        return dict(value)
    return value


def _range(value, spec, path, host):
    low, high = spec.get('min'), spec.get('max')
    if low is not None and value < low or high is not None and value > high:
        _fail(path, host, 'must be between %s and %s' % (low, high), value)
    return value


def _choice(value, choices, path, host):
    if isinstance(value, str):
        for choice in choices:
            if value.lower() == str(choice).lower():
                return choice
    _fail(path, host, 'must be one of: %s' % ', '.join(str(c) for c in choices), value)


def check_options(raw, specs, path, host=None, keys=None):
    """Validate a mapping against ``specs`` (only ``keys`` of it, if given).

    Unknown keys are refused, required ones enforced, defaults filled in. Returns a new dict
    with every allowed key.
    """
    if not isinstance(raw, dict):
        _fail(path, host, 'must be a mapping', raw)
    allowed = keys or tuple(specs)
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise ModelError('%s: unknown key(s) %s; allowed: %s' % (_where(path, host), ', '.join(unknown),
                                                                 ', '.join(allowed)))
    result = {}
    for key in allowed:
        spec = specs[key]
        value = raw.get(key)
        if value is not None:  # (the path is formatted only for the keys given: thousands of entries)
            value = check_value(value, spec, '%s.%s' % (path, key), host)
        if value is None:
            if spec.get('required'):
                raise ModelError('%s.%s is required, got None' % (_where(path, host), key))
            value = spec.get('default')
            if isinstance(value, (list, dict)):
                value = type(value)(value)
        result[key] = value
    return result


def check_mac(value, path, host=None):
    """A unicast MAC address as lower-case colon text (netaddr)."""
    if isinstance(value, int) and not isinstance(value, bool):
        digits = []
        number = value
        while number:
            number, digit = divmod(number, 60)
            digits.append(str(digit))
        raise ModelError('%s must be a MAC address in quotes, got the number %d: YAML 1.1 reads an unquoted MAC '
                         'such as %s as a base-60 number; write it as "%s"'
                         % (_where(path, host), value, ':'.join(reversed(digits)) or '0',
                            ':'.join(reversed(digits)) or '0'))
    if not isinstance(value, str) or netaddr is None:
        if netaddr is None:
            raise ModelError('%s: the netaddr Python library is required on the controller' % _where(path, host))
        _fail(path, host, 'must be a MAC address', value)
    try:
        mac = netaddr.EUI(value.strip(), dialect=netaddr.mac_unix_expanded)
    except (netaddr.AddrFormatError, TypeError, ValueError):
        _fail(path, host, 'must be a MAC address', value)
    if mac.words[0] & 1 or int(mac) == 0:
        _fail(path, host, 'must be the unicast MAC of an interface (not broadcast, multicast or zero)', value)
    return str(mac).lower()


def check_keepalived_text(value, path, host=None):
    """Free keepalived configuration: no control characters, balanced braces and quotes per line."""
    if _CONTROL.search(value):
        _fail(path, host, 'must not contain control characters', value)
    depth = 0
    for number, line in enumerate(value.split('\n'), 1):
        text = line.split('#', 1)[0].split('!', 1)[0]
        if text.count('"') % 2:
            raise ModelError('%s: line %d has an unbalanced quote, got %r' % (_where(path, host), number, line))
        depth += text.count('{') - text.count('}')
        if depth < 0:
            raise ModelError('%s: line %d closes a brace that is not open, got %r'
                             % (_where(path, host), number, line))
    if depth:
        _fail(path, host, 'must have balanced braces', value)
    return value


def parse_ip(value, path, host=None):
    """Return an ``ipaddress`` address for ``value`` or raise a ModelError naming ``path``."""
    if not isinstance(value, str):
        _fail(path, host, 'must be an IPv4 or IPv6 address', value)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise ModelError('%s must be an IPv4 or IPv6 address, got %r' % (_where(path, host), value))
    if getattr(address, 'scope_id', None):
        _fail(path, host, 'must be an address without a %scope (a VIP or a host address on the segment)', value)
    return address


def family_of(address):
    """'ipv4' or 'ipv6' for an address string."""
    return 'ipv6' if ':' in address else 'ipv4'


def check_vip(value, path, host=None):
    """A VIP: a unicast host address (not unspecified, loopback, link-local, multicast or reserved)."""
    address = parse_ip(value, path, host)
    bad = ('unspecified' if address.is_unspecified else 'loopback' if address.is_loopback
           else 'multicast' if address.is_multicast else 'link-local' if address.is_link_local
           else 'reserved' if address.is_reserved or str(address) == '255.255.255.255' else None)
    if bad:
        _fail(path, host, 'must be a unicast host address, not a %s one' % bad, value)
    return str(address)


# --- host data --------------------------------------------------------------------

def fact_key(interface):
    """The key of an interface in ``ansible_facts`` ('-' and ':' become '_')."""
    return interface.replace('-', '_').replace(':', '_')


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError, AttributeError):
        return default
    if value is None or type(value).__name__ in ('AnsibleUndefined', 'StrictUndefined', 'Undefined'):
        return default
    return value


class Hosts:
    """The inventory as the model reads it: each host's variables read once.

    ``hostvars`` may be Ansible's HostVars (each access templates) or plain dicts.
    """

    def __init__(self, hostvars, groups, default_interface=None):
        self.hostvars = hostvars
        self.groups = groups or {}
        self.default_interface = default_interface
        self._values = {}

    def var(self, host, name, variable):
        """``name`` of ``host`` (None when unset); the host must be in the inventory."""
        key = (host, name)
        if key not in self._values:
            if not isinstance(host, str) or host not in (self.hostvars or {}):
                raise ModelError('%s: host %r is not in the inventory' % (variable, host))
            self._values[key] = _get(_get(self.hostvars, host, {}), name)
        return self._values[key]

    def group(self, group, variable):
        """The hosts of an inventory group; a group missing from the inventory is an error."""
        hosts = _get(self.groups, group)
        if hosts is None:
            raise ModelError('%s: inventory group %r does not exist' % (variable, group))
        return list(hosts)

    def interface(self, host, variable='lvs_interface', default=None):
        value = self.var(host, 'lvs_interface', variable) or default or self.default_interface
        if not value:
            raise ModelError('%s is not set for host %s' % (variable, host))
        return check_value(value, OPTIONS['lvs_interface'], 'lvs_interface', host)

    def _facts(self, host, interface, variable):
        facts = self.var(host, 'ansible_facts', variable)
        if not facts:
            raise ModelError('%s: no facts gathered for host %s (gather facts of every cluster host '
                             'first, or set its lvs_address/lvs_mac)' % (variable, host))
        data = _get(facts, fact_key(interface))
        if not data:
            raise ModelError('%s: host %s has no interface %r in its facts (check lvs_interface)'
                             % (variable, host, interface))
        return data

    def address(self, host, family='ipv4', variable=SERVICES_VAR, default_interface=None):
        """The host's address on the segment: ``lvs_address``/``lvs_address6`` or from its facts."""
        key = (host, '.address', family, default_interface)
        if key in self._values:
            return self._values[key]
        name = 'lvs_address6' if family == 'ipv6' else 'lvs_address'
        explicit = self.var(host, name, variable)
        if explicit:
            address = check_value(explicit, OPTIONS[name], name, host)
            if family_of(address) != family:
                raise ModelError('%s of host %s must be an %s address, got %r'
                                 % (name, host, 'IPv6' if family == 'ipv6' else 'IPv4', explicit))
        else:
            interface = self.interface(host, default=default_interface)
            data = self._facts(host, interface, variable)
            if family == 'ipv4':
                address = _get(_get(data, 'ipv4', {}), 'address')
            else:
                # A /128 is skipped while there is another: keepalived adds the IPv6 VIPs as /128,
                # and facts gathered on the master list the VIP first.
                found = [a for a in _get(data, 'ipv6', []) if a.get('scope') == 'global' and a.get('address')]
                address = next((a['address'] for a in found if str(a.get('prefix')) != '128'),
                               found[0]['address'] if found else None)
            if not address:
                raise ModelError('%s: host %s has no %s address on %s; set %s for it'
                                 % (variable, host, 'global IPv6' if family == 'ipv6' else 'IPv4', interface, name))
            address = str(ipaddress.ip_address(address))
        self._values[key] = address
        return address

    def mac(self, host, variable='lvs_mac'):
        """The host's unicast MAC on its ``lvs_interface``: ``lvs_mac`` or from its facts, normalised."""
        explicit = self.var(host, 'lvs_mac', variable)
        if explicit is not None:
            return check_mac(explicit, 'lvs_mac', host)
        interface = self.interface(host)
        try:
            data = self._facts(host, interface, variable)
        except ModelError:
            raise ModelError('lvs_mac: no MAC address for host %s: set lvs_mac or gather its facts '
                             '(interface %s)' % (host, interface))
        mac = _get(data, 'macaddress')
        if not mac:
            raise ModelError('lvs_mac: host %s has no MAC address on %s in its facts; set lvs_mac' % (host, interface))
        return check_mac(mac, 'lvs_mac (from the facts of %s)' % interface, host)

    def owned(self, host):
        """(addresses, network and broadcast addresses) of the host's segment, from what is known."""
        addresses, edges = set(), set()
        for name in ('lvs_address', 'lvs_address6'):
            value = self.var(host, name, name)
            if value:
                addresses.add(str(value))
        interface = self.var(host, 'lvs_interface', 'lvs_interface') or self.default_interface
        data = _get(_get(self.var(host, 'ansible_facts', 'ansible_facts'), fact_key(str(interface or '')), {}), 'ipv4')
        if data:
            for key, target in (('address', addresses), ('network', edges), ('broadcast', edges)):
                if _get(data, key):
                    target.add(str(data[key]))
        return addresses, edges


def host_mac(hostvars, host, default_interface=None, variable='lvs_mac'):
    """The unicast MAC of ``host`` on its ``lvs_interface``, normalised (see :meth:`Hosts.mac`)."""
    return Hosts(hostvars, {}, default_interface).mac(host, variable)


# --- services ---------------------------------------------------------------------

# The checkers of a service that names none: a dead real server must leave the rotation
# whatever the protocol. UDP - an ICMP port unreachable (the service stopped) fails
# udp_check, a host that does not answer at all fails ping_check; SCTP - keepalived has no
# SCTP checker, so ping_check (the host is alive).
DEFAULT_CHECKS = {'tcp': ('tcp_check',), 'udp': ('udp_check', 'ping_check'), 'sctp': ('ping_check',)}


def _health_checks(raw, protocol, rs_port, path, host):
    """The service's checkers, a list of mappings (empty: no check); see HEALTH_CHECK."""
    if raw is None:
        raw = list(DEFAULT_CHECKS[protocol])
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    checks = []
    for i, item in enumerate(items):
        where = '%s[%d]' % (path, i) if isinstance(raw, (list, tuple)) else path
        check = _health_check(item, protocol, rs_port, where, host)
        if check['type'] == 'none':
            if len(items) > 1:
                raise ModelError('%s: none cannot be combined with other checkers' % _where(where, host))
            continue
        checks.append(check)
    return checks


def _health_check(raw, protocol, rs_port, path, host):
    if isinstance(raw, str):
        raw = {'type': raw}
    if not isinstance(raw, dict):
        _fail(path, host, 'must be a mapping with a type, a type name or a list of them', raw)
    ctype = check_value(raw.get('type', 'tcp_check'), HEALTH_CHECK['type'], path + '.type', host)
    check = check_options(raw, HEALTH_CHECK, path, host, CHECK_KEYS[ctype])
    check['type'] = ctype
    needs = {'http_get': ('tcp',), 'ssl_get': ('tcp',), 'tcp_check': ('tcp',), 'udp_check': ('udp',),
             'dns_check': ('udp', 'tcp')}.get(ctype)
    if needs and protocol not in needs:
        raise ModelError('%s: %s needs protocol %s, the service is %s'
                         % (_where(path, host), ctype, ' or '.join(needs), protocol))
    if 'connect_port' in check and check['connect_port'] is None and rs_port is None:
        raise ModelError('%s.connect_port is required: the service has no port' % _where(path, host))
    if ctype == 'misc_check' and not check['misc_path']:
        raise ModelError('%s.misc_path is required with misc_check' % _where(path, host))
    return check


def _sorry_server(raw, family, default_port, path, host):
    if raw is None:
        return None
    if isinstance(raw, str):
        parts = raw.split(' ')
        if len(parts) > 2:
            _fail(path, host, 'must be "ADDRESS" or "ADDRESS PORT"', raw)
        raw = {'address': parts[0], 'port': parts[1] if len(parts) > 1 else None}
    server = check_options(raw, SORRY_SERVER, path, host)
    if family_of(server['address']) != family:
        raise ModelError('%s.address must be of the VIP\'s family (%s), got %s'
                         % (_where(path, host), family, server['address']))
    if server['port'] is None:
        server['port'] = default_port
    return server


def _netmask(value, family, path, host):
    """The persistence granularity: an IPv4 netmask or prefix length, an IPv6 prefix length (as text)."""
    text = str(value)
    try:
        if family == 'ipv4':
            if text.isdigit():
                if not 1 <= int(text) <= 32:
                    raise ValueError(text)
                return str(ipaddress.IPv4Network('0.0.0.0/%s' % text).netmask)
            ipaddress.IPv4Network('0.0.0.0/' + text)
            if not re.fullmatch(r'[0-9.]+', text):
                raise ValueError(text)
            return text
        if text.isdigit() and 1 <= int(text) <= 128:
            return str(int(text))
        raise ValueError(text)
    except ValueError:
        raise ModelError('%s must be a netmask or prefix length (IPv4) or a prefix length 1-128 (IPv6), got %r'
                         % (_where(path, host), value))


def _sched_flags(flags, scheduler, path, host):
    for flag in flags:
        prefix = flag.split('-')[0]
        if prefix in ('sh', 'mh') and prefix != scheduler:
            raise ModelError('%s: %s is a flag of scheduler %s, the service uses %s, got %r'
                             % (_where(path, host), flag, prefix, scheduler, flag))
    return flags


def _realserver_entries(service, hosts, default_group, path, host, known=None):
    """(host or None, address or None, options, entry path) for each real server.

    ``known``: a dict kept across the services of one table, real servers given as a name
    or an address -> their checked options (the same few names recur in thousands of services).
    """
    known = {} if known is None else known
    raw = service['realservers']
    if raw is None:
        group = service['realservers_group'] or default_group
        gpath = path + '.realservers_group'
        return [(h, None, None, '%s (group %s)' % (gpath, group))
                for h in hosts.group(group, _where(gpath, host))]
    entries = []
    for i, item in enumerate(raw):
        rpath = '%s.realservers[%d]' % (path, i)
        if isinstance(item, str) and item in known:
            opts = dict(known[item])
            entries.append((opts['host'], opts['address'], opts, rpath))
            continue
        text = item if isinstance(item, str) else None
        if isinstance(item, str):
            try:
                ipaddress.ip_address(item)
                item = {'address': item}
            except ValueError:
                item = {'host': item}
        opts = check_options(item, REALSERVER, rpath, host)
        if (opts['host'] is None) == (opts['address'] is None):
            raise ModelError('%s needs exactly one of host, address, got %r' % (_where(rpath, host), item))
        if opts['host'] is not None:
            hosts.var(opts['host'], 'lvs_interface', _where(rpath + '.host', host))  # in the inventory?
        if text is not None:
            known[text] = dict(opts)
        entries.append((opts['host'], opts['address'], opts, rpath))
    return entries


def allocate_fwmarks(services, base=DEFAULT_FWMARK_BASE, host=None):
    """Map service name -> firewall mark.

    Explicit marks are kept (and must not collide); the others get a mark derived from
    the service name (CRC32 of the name modulo 1000, added to ``base``), probing upwards
    on collision, in name order: stable when services are added, removed or reordered.
    """
    marks = {}
    owners = {}
    for svc in services:
        if svc.get('fwmark') is not None:
            mark = svc['fwmark']
            if mark in owners:
                raise ModelError('%s: fwmark %d of service %r collides with service %r'
                                 % (_where(SERVICES_VAR, host), mark, svc['name'], owners[mark]))
            owners[mark] = svc['name']
            marks[svc['name']] = mark
    for name in sorted(s['name'] for s in services if s.get('fwmark') is None):
        offset = zlib.crc32(name.encode('utf-8')) % FWMARK_SPAN
        for probe in range(FWMARK_SPAN):
            mark = base + (offset + probe) % FWMARK_SPAN
            if mark not in owners:
                break
        else:
            raise ModelError('%s: no free fwmark in [%d, %d)' % (_where(SERVICES_VAR, host), base, base + FWMARK_SPAN))
        owners[mark] = name
        marks[name] = mark
    return marks


def normalise_services(services, hostvars, groups, host=None, realservers_group='lvs_realservers',
                       interface=None, use_fwmarks=False, fwmark_base=DEFAULT_FWMARK_BASE, drained=None,
                       removed=None, hosts=None, members=None):
    """Normalise ``lvs_virtual_services``: validated, defaults filled in, real servers resolved.

    :param services: the user's list.
    :param hostvars: mapping host -> variables (Ansible ``hostvars``).
    :param groups: mapping group -> hosts (Ansible ``groups``).
    :param host: the host evaluating the model, named in errors.
    :param realservers_group: group whose hosts are the real servers of a service
        without ``realservers``/``realservers_group``.
    :param interface: default ``lvs_interface`` for hosts that do not set one.
    :param use_fwmarks: define every service by a firewall mark (colocated mode),
        allocating marks that are not given.
    :param drained: real servers (host names or addresses) to give weight 0.
    :param removed: real servers (host names or addresses) to leave out.
    :param hosts: a :class:`Hosts` to share its cache (built from hostvars/groups if not).
    :param members: a dict that receives host -> [(vip, forwarding, service)] for every
        real server given as a host, removed ones included.
    :returns: list of service dicts (see docs/variables.md for the keys).
    """
    if services is None:
        services = []
    services = check_value(services, {'type': 'list'}, SERVICES_VAR, host)
    drained = set(check_value(drained or [], OPTIONS['lvs_director_drained'], 'lvs_director_drained', host))
    removed = set(check_value(removed or [], OPTIONS['lvs_director_removed'], 'lvs_director_removed', host))
    base = check_value(fwmark_base, OPTIONS['lvs_fwmark_base'], 'lvs_fwmark_base', host)
    hosts = hosts or Hosts(hostvars, groups, interface)
    if realservers_group is not None:
        realservers_group = check_value(realservers_group, OPTIONS['lvs_realservers_group'],
                                        'lvs_realservers_group', host)

    result = []
    names = set()
    keys = {}
    known = {}
    for index, raw in enumerate(services):
        path = '%s[%d]' % (SERVICES_VAR, index)
        if not isinstance(raw, dict):
            _fail(path, host, 'must be a mapping', raw)
        name = check_value(raw.get('name'), SERVICE['name'], path + '.name', host)
        if name is None:
            raise ModelError('%s.name is required' % _where(path, host))
        path = '%s[%d] (%s)' % (SERVICES_VAR, index, name)
        if name in names:
            raise ModelError('%s: duplicate service name %r' % (_where(path, host), name))
        names.add(name)
        svc = check_options(raw, SERVICE, path, host)
        vip = check_vip(svc['vip'], path + '.vip', host)
        family = family_of(vip)
        protocol, forwarding, fwmark, port = svc['protocol'], svc['forwarding'], svc['fwmark'], svc['port']
        if port is None and (fwmark is None or use_fwmarks):
            why = ' (colocated marks match VIP and port)' if use_fwmarks else ''
            raise ModelError('%s.port is required%s, got None' % (_where(path, host), why))
        if fwmark is not None and port is not None and not use_fwmarks:
            raise ModelError('%s.port: a service defined by fwmark %d has no port (the kernel matches the mark '
                             'only; realserver_port gives the checks\' port), got port %r'
                             % (_where(path, host), fwmark, port))
        rs_port = svc['realserver_port']
        if rs_port is None:
            rs_port = port
        if forwarding != 'nat' and rs_port != port and port is not None:
            raise ModelError('%s.realserver_port: %s forwarding cannot change the port (%s -> %s); use nat'
                             % (_where(path, host), forwarding, port, rs_port))
        persistent = svc['persistent']
        netmask = svc['persistence_netmask']
        if netmask is not None:
            if persistent is None:
                raise ModelError('%s.persistence_netmask needs persistent, got %r' % (_where(path, host), netmask))
            netmask = _netmask(netmask, family, path + '.persistence_netmask', host)
        flags = _sched_flags(svc['sched_flags'], svc['scheduler'], path + '.sched_flags', host)
        weight = svc['weight']

        realservers = []
        seen = {}
        for rs_host, address, opts, rpath in _realserver_entries(svc, hosts, realservers_group, path, host, known):
            if address is None:
                address = hosts.address(rs_host, family, _where(rpath, host))
            elif family_of(address) != family:
                raise ModelError('%s.address must be of the VIP\'s family (%s), got %s'
                                 % (_where(rpath, host), family, address))
            if address in seen:
                raise ModelError('%s: real server %s listed twice (%s)' % (_where(path, host), address, seen[address]))
            seen[address] = rs_host or address
            if rs_host is not None and members is not None:
                members.setdefault(rs_host, []).append((vip, forwarding, name))
            if address in removed or (rs_host and rs_host in removed):
                continue
            rs_weight = weight if opts is None or opts['weight'] is None else opts['weight']
            if address in drained or (rs_host and rs_host in drained):
                rs_weight = 0
            this_port = rs_port if opts is None or opts['port'] is None else opts['port']
            if forwarding != 'nat' and this_port != port and port is not None:
                raise ModelError('%s.port: %s forwarding cannot change the port (%s -> %s)'
                                 % (_where(rpath, host), forwarding, port, this_port))
            upper = 0 if opts is None else opts['upper_threshold']
            lower = 0 if opts is None else opts['lower_threshold']
            if lower and (not upper or lower > upper):
                raise ModelError('%s.lower_threshold must not exceed a non-zero upper_threshold (%s), got %d'
                                 % (_where(rpath, host), upper, lower))
            realservers.append({'name': rs_host or address, 'host': rs_host, 'address': address,
                                'port': this_port, 'weight': rs_weight,
                                'upper_threshold': upper, 'lower_threshold': lower})

        quorum = svc['quorum']
        total = sum(r['weight'] for r in realservers)
        if realservers and total < (quorum or 1):
            raise ModelError('%s: the real servers\' total weight %d is below the quorum %d (keepalived rejects '
                             'this; is every real server drained?)' % (_where(path, host), total, quorum or 1))
        service = {
            'name': name,
            'vip': vip,
            'family': family,
            'protocol': protocol,
            'port': port,
            'fwmark': fwmark,
            'scheduler': svc['scheduler'],
            'sched_flags': flags,
            'persistent': persistent,
            'persistence_netmask': netmask,
            'forwarding': forwarding,
            'realserver_port': rs_port,
            'realservers': realservers,
            'delay_loop': svc['delay_loop'],
            'inhibit_on_failure': svc['inhibit_on_failure'],
            'quorum': quorum,
            'hysteresis': svc['hysteresis'],
            'sorry_server': _sorry_server(raw.get('sorry_server'), family, rs_port, path + '.sorry_server', host),
            'health_checks': _health_checks(raw.get('health_check'), protocol, rs_port, path + '.health_check',
                                            host),
        }
        # The first checker (type none when there is none), as before health_checks.
        service['health_check'] = service['health_checks'][0] if service['health_checks'] else {'type': 'none'}
        key = (family, protocol, vip, port) if fwmark is None else ('fwmark', fwmark)
        if key in keys:
            if fwmark is not None:
                raise ModelError('%s: fwmark %d of service %r collides with service %r'
                                 % (_where(path, host), fwmark, name, keys[key]))
            raise ModelError('%s: same virtual service as %r' % (_where(path, host), keys[key]))
        keys[key] = name
        result.append(service)

    if use_fwmarks:
        marks = allocate_fwmarks(result, base, host)
        for service in result:
            service['fwmark'] = marks[service['name']]
    return result


def service_vips(services, extra=None, host=None, variable='lvs_vrrp_extra_vips'):
    """The VIPs (strings, first-seen order) of the services plus ``extra``."""
    vips = []
    for service in services or []:
        if service['vip'] not in vips:
            vips.append(service['vip'])
    for i, vip in enumerate(check_value(extra or [], {'type': 'list'}, variable, host)):
        vip = check_vip(vip, '%s[%d]' % (variable, i), host)
        if vip not in vips:
            vips.append(vip)
    return vips


# --- the lvs.ha.ipvs module's input -----------------------------------------------

def ipvs_services(services):
    """Map normalised services to the ``services`` option of the ``lvs.ha.ipvs`` module.

    Keys without a value (``fwmark`` of an address service; ``protocol``, ``address``
    and ``port`` of a firewall-mark service; no persistence) are left out.
    """
    result = []
    for service in services:
        fwmark = service['fwmark']
        entry = {
            'protocol': None if fwmark is not None else service['protocol'],
            'address': None if fwmark is not None else service['vip'],
            'port': None if fwmark is not None else service['port'],
            'fwmark': fwmark,
            'family': service['family'],
            'scheduler': service['scheduler'],
            'persistent': service['persistent'],
            'persistence_netmask': service['persistence_netmask'],
            'sched_flags': list(service['sched_flags']),
            'destinations': [],
        }
        # keys without a value are left out (the module's defaults apply)
        entry = dict((k, v) for k, v in entry.items() if v is not None)
        for rs in service['realservers']:
            entry['destinations'].append({
                'address': rs['address'],
                # a fwmark service forwards by mark: DR/tunnel destinations carry no port
                'port': rs['port'] if fwmark is None or service['forwarding'] == 'nat' else 0,
                'forwarding': service['forwarding'],
                'weight': rs['weight'],
                'upper_threshold': rs['upper_threshold'],
                'lower_threshold': rs['lower_threshold'],
            })
        result.append(entry)
    return result


# --- real servers -----------------------------------------------------------------

def realserver_vips(services, host, extra=None, members=None):
    """The VIPs ``host`` must accept as a real server: list of {vip, family, forwarding, services}.

    :param extra: further VIPs (strings) held for DR, validated (``lvs_realserver_extra_vips``).
    :param members: host -> [(vip, forwarding, service)] from :func:`normalise_services`
        (includes real servers removed from the directors' table: they keep their VIPs).

    NAT real servers need no VIP (the director rewrites the destination); they are
    listed with their forwarding so the caller can document or check the route.
    """
    if members is None:
        members = {}
        for service in services:
            for rs in service['realservers']:
                if rs['host'] is not None:
                    members.setdefault(rs['host'], []).append((service['vip'], service['forwarding'], service['name']))
    result = {}
    for vip, forwarding, name in members.get(host, ()):
        entry = result.setdefault((vip, forwarding), {
            'vip': vip, 'family': family_of(vip), 'forwarding': forwarding, 'services': [],
        })
        entry['services'].append(name)
    for i, vip in enumerate(check_value(extra or [], {'type': 'list'}, 'lvs_realserver_extra_vips', host)):
        vip = check_vip(vip, 'lvs_realserver_extra_vips[%d]' % i, host)
        result.setdefault((vip, 'dr'), {'vip': vip, 'family': family_of(vip), 'forwarding': 'dr', 'services': []})
    return list(result.values())


# --- VRRP -------------------------------------------------------------------------

VRRP_SETTINGS = tuple(name[len('lvs_vrrp_'):] for name in OPTIONS if name.startswith('lvs_vrrp_'))


def vrrp_priorities(hostvars, groups, group, variable='lvs_vrrp_priority', hosts=None):
    """Map director host -> VRRP priority: its ``lvs_vrrp_priority`` or ``150 - 10 * index``.

    Priorities must be distinct (equal priorities are broken by address, which hides
    which node is meant to be master).
    """
    hosts = hosts or Hosts(hostvars, groups)
    members = hosts.group(group, 'lvs_directors_group')
    result = {}
    owners = {}
    for index, host in enumerate(members):
        value = hosts.var(host, 'lvs_vrrp_priority', variable)
        if value is None:
            value = max(150 - 10 * index, 1)
        prio = result[host] = check_value(value, OPTIONS['lvs_vrrp_priority'], variable, host)
        if prio in owners:
            raise ModelError('host %s: %s: hosts %s and %s have the same priority %d; give distinct priorities'
                             % (host, variable, owners[prio], host, prio))
        owners[prio] = host
    return result


def _vrrp_settings(raw, host):
    """Validated VRRP settings (keys without the lvs_vrrp_ prefix), defaults filled in."""
    raw = dict((k, v) for k, v in (raw or {}).items() if v is not None)
    unknown = sorted(str(k) for k in raw if k not in VRRP_SETTINGS)
    if unknown:
        raise ModelError('host %s: lvs_vrrp_* settings: unknown key(s) %s; allowed: %s'
                         % (host, ', '.join(unknown), ', '.join(VRRP_SETTINGS)))
    out = {}
    for key in VRRP_SETTINGS:
        spec = OPTIONS['lvs_vrrp_' + key]
        value = raw.get(key)
        if key == 'track_interfaces' and isinstance(value, list):
            value = [{'name': item} if isinstance(item, str) else item for item in value]
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise ModelError('host %s: lvs_vrrp_track_interfaces[%d] must be a name or {name, weight}, got %r'
                                     % (host, i, item))
            value = [check_options(item, TRACK_INTERFACE, 'lvs_vrrp_track_interfaces[%d]' % i, host)
                     for i, item in enumerate(value)]
        else:
            value = check_value(value, spec, 'lvs_vrrp_' + key, host)
        if value is None:
            value = spec.get('default')
            if isinstance(value, (list, dict)):
                value = type(value)(value)
        out[key] = value
    if out['notify']:
        out['notify'] = dict((k, v) for k, v in sorted(out['notify'].items()) if v)
    version, advert = out['version'], out['advert_int']
    low, high = VRRP_V2_ADVERT if version == 2 else VRRP_V3_ADVERT
    if version == 2 and advert != int(advert):
        raise ModelError('host %s: lvs_vrrp_advert_int: VRRPv2 needs whole seconds, got %s; use lvs_vrrp_version 3'
                         % (host, advert))
    if not low <= advert <= high or version == 3 and round(advert * 100) != advert * 100:
        raise ModelError('host %s: lvs_vrrp_advert_int must be between %s and %s seconds with VRRP version %d%s, '
                         'got %s' % (host, low, high, version, ' (in steps of 0.01)' if version == 3 else '', advert))
    if out['auth_pass'] and version == 3:
        raise ModelError('host %s: lvs_vrrp_auth_pass: VRRPv3 has no authentication (RFC 5798); unset it or use '
                         'lvs_vrrp_version 2, got %r' % (host, out['auth_pass']))
    if out['nopreempt'] and out['state'] == 'MASTER':
        raise ModelError('host %s: lvs_vrrp_nopreempt needs lvs_vrrp_state BACKUP, got MASTER' % host)
    return out


def _agree(settings, hosts, peers, host):
    """Refuse a VRRP setting that a peer sets to another value (split brain)."""
    for name in VRRP_AGREED:
        key = name[len('lvs_vrrp_'):]
        for peer in peers:
            value = hosts.var(peer, name, name)
            if value is None:
                continue    # not set for the peer in the inventory: it gets the same value as this host
            theirs = check_value(value, OPTIONS[name], name, peer)
            if theirs != settings[key]:
                raise ModelError('host %s: %s is %r here but %r on %s; every director of the group must use the '
                                 'same value' % (host, name, settings[key], theirs, peer))


def vrrp_instances(services, hostvars, groups, host, group, settings=None, with_peers=False, hosts=None):
    """The VRRP instances of ``host`` (one per address family of the VIPs), in one
    ``sync_group`` (``{name, instances}``; None with one family).

    :param settings: dict of the ``lvs_vrrp_*`` variables without the prefix (see
        ``VRRP_SETTINGS``); ``interface`` defaults to the host's ``lvs_interface``.
    :param with_peers: resolve the other directors' addresses (``peers`` of each
        instance) even without unicast, e.g. to open VRRP from them in a firewall.
    """
    hosts = hosts or Hosts(hostvars, groups)
    raw = _vrrp_settings(settings, host)
    members = hosts.group(group, 'lvs_directors_group')
    if host not in members:
        raise ModelError('host %s: lvs_directors_group: the host is not in group %r' % (host, group))
    peers_names = [peer for peer in members if peer != host]
    _agree(raw, hosts, peers_names, host)
    priorities = vrrp_priorities(hostvars, groups, group, hosts=hosts)
    priority = priorities[host] if raw['priority'] is None else raw['priority']
    interface = raw['interface'] or hosts.interface(host)
    vips = service_vips(services, raw['extra_vips'], host)
    if not vips:
        raise ModelError('host %s: lvs_virtual_services/lvs_vrrp_extra_vips: no VIP to hold, got none' % host)
    if raw['auth_pass'] and any(family_of(v) == 'ipv6' for v in vips):
        raise ModelError('host %s: lvs_vrrp_auth_pass: the IPv6 VIPs are held by VRRPv3, which has no '
                         'authentication; unset it, got %r' % (host, raw['auth_pass']))

    instances = []
    for family in ('ipv4', 'ipv6'):
        fvips = [v for v in vips if family_of(v) == family]
        if not fvips:
            continue
        peers = []
        src = None
        if raw['unicast'] or with_peers:
            variable = 'lvs_vrrp_unicast' if raw['unicast'] else 'lvs_director_vrrp_firewall'
            peers = [{'host': peer, 'family': family, 'address': hosts.address(peer, family, variable)}
                     for peer in peers_names]
        if raw['unicast']:
            src = hosts.address(host, family, 'lvs_vrrp_unicast', interface)
        instances.append({
            'name': '%s_%s' % (raw['instance_name'], family),
            'family': family,
            'interface': interface,
            'virtual_router_id': raw['virtual_router_id'],
            'priority': priority,
            'state': raw['state'],
            'advert_int': raw['advert_int'],
            # keepalived speaks VRRPv3 for IPv6 whatever the global version
            'version': 3 if family == 'ipv6' else raw['version'],
            'nopreempt': raw['nopreempt'],
            'preempt_delay': raw['preempt_delay'],
            'vips': ['%s/%d' % (v, 32 if family == 'ipv4' else 128) for v in fvips],
            'unicast_src_ip': src,
            'unicast_peers': [p['address'] for p in peers] if raw['unicast'] else [],
            'peers': peers,
            'track_interfaces': raw['track_interfaces'],
            'track_scripts': [s['name'] for s in raw['track_scripts']],
            'notify': raw['notify'],
            'auth_pass': raw['auth_pass'] if family == 'ipv4' else '',
        })
    # One sync group over the instances of both families, so that the IPv4 and the IPv6
    # VIPs change director together (a fault of either instance moves both).
    sync_group = ({'name': raw['instance_name'], 'instances': [i['name'] for i in instances]}
                  if len(instances) > 1 else None)
    return {'instances': instances, 'sync_group': sync_group, 'track_scripts': raw['track_scripts'],
            'priorities': priorities, 'master': max(priorities, key=priorities.get)}


# --- planned switchover (lvs.ha.switchover, lvs.ha.rolling_upgrade) ----------------

# keepalived tracks this file (track_file lvs_ha_switchover, weight 1): the number in it is
# added to the priority of every VRRP instance of the director, the effective priority kept
# within [1, 254] by keepalived. The role creates it with 0 and never rewrites it; the
# playbooks write it, keepalived reads it at once (inotify), without a reload.
SWITCHOVER_FILE = '/etc/keepalived/lvs-ha-priority'
SWITCHOVER_TRACK = 'lvs_ha_switchover'
PRIORITY_MIN, PRIORITY_MAX = 1, 254


def switchover_values(priorities, to=None, off=None):
    """The number each director's switchover file holds for a move to ``to``, off ``off``,
    or back to the inventory's priorities (neither).

    To X: X's effective priority becomes 254, any other at 254 becomes 253 (the others keep
    their order for a failover). Off X: X's becomes 1, the others keep theirs.
    """
    if to is not None:
        return dict((h, PRIORITY_MAX - p if h == to else (-1 if p == PRIORITY_MAX else 0))
                    for h, p in priorities.items())
    if off is not None:
        return dict((h, PRIORITY_MIN - p if h == off else 0) for h, p in priorities.items())
    return dict((h, 0) for h in priorities)


def switchover_plan(priorities, values, mode='reset', target=None):
    """``{mode, target, values, effective, holder}``: the effective priorities keepalived
    computes from ``values`` and the director that then holds the VIPs (the highest)."""
    effective = dict((h, min(max(p + values[h], PRIORITY_MIN), PRIORITY_MAX)) for h, p in priorities.items())
    holder = max(sorted(effective), key=effective.get)
    return {'mode': mode, 'target': target, 'values': values, 'effective': effective, 'holder': holder}


def switchover(settings, vrrp, host, nopreempt=False, advert_int=1, preempt_delay=0):
    """The switchover plans of the directors of ``vrrp`` (see ``vrrp_instances``), and the
    playbook variables lvs_switchover_* and lvs_upgrade_* validated.

    :returns: ``file``, ``track``, ``priorities``, ``plan`` (the move asked by
        lvs_switchover_to / _off / _reset, or None), ``order`` (the directors by rising
        priority: backups first, the master last), ``off`` (the plan off each director),
        ``reset`` (the inventory's priorities), ``timeout`` (seconds), ``refused`` (why a
        move is impossible, or None), ``upgrade_packages`` (None: the role's) and
        ``upgrade_restart``.
    """
    opts = {}
    for name, spec in _schema.PLAYBOOK_OPTIONS.items():
        value = check_value(settings.get(name), spec, name, host)
        opts[name] = spec.get('default') if value is None else value
    priorities = dict(vrrp['priorities'])
    to, off, reset = opts['lvs_switchover_to'], opts['lvs_switchover_off'], opts['lvs_switchover_reset']
    asked = [name for name in ('lvs_switchover_to', 'lvs_switchover_off', 'lvs_switchover_reset') if opts[name]]
    if len(asked) > 1:
        raise ModelError('host %s: %s: give one of them, got %s' % (
            host, ', '.join(asked), ', '.join('%s=%r' % (name, opts[name]) for name in asked)))
    for name, target in (('lvs_switchover_to', to), ('lvs_switchover_off', off)):
        if target is not None and target not in priorities:
            raise ModelError('host %s: %s: %r is not a director of this cluster; the directors are %s'
                             % (host, name, target, ', '.join(sorted(priorities))))
    refused = None
    if nopreempt:
        refused = ('lvs_vrrp_nopreempt is set: a director with a higher priority does not take the VIPs from a '
                   'master that is alive, so a change of priority cannot move them; unset it (or move the VIPs by '
                   'stopping keepalived on the master, a failover)')
    elif len(priorities) < 2:
        refused = 'there is one director (%s): no other can hold the VIPs' % ', '.join(priorities)
    if asked and refused and (nopreempt or not reset):
        raise ModelError('host %s: %s=%r: %s' % (host, asked[0], opts[asked[0]], refused))
    if off and max(p for h, p in priorities.items() if h != off) <= PRIORITY_MIN:
        raise ModelError('host %s: lvs_switchover_off=%r: no other director has a priority above %d'
                         % (host, off, PRIORITY_MIN))
    order = sorted(priorities, key=priorities.get)
    plans = dict((h, switchover_plan(priorities, switchover_values(priorities, off=h), 'off', h)) for h in order)
    reset_plan = switchover_plan(priorities, switchover_values(priorities), 'reset')
    if to:
        plan = switchover_plan(priorities, switchover_values(priorities, to=to), 'to', to)
    elif off:
        plan = plans[off]
    elif reset:
        plan = reset_plan
    else:
        plan = None
    timeout = opts['lvs_switchover_timeout'] or int(math.ceil(3 * advert_int + preempt_delay)) + 30
    return {'file': SWITCHOVER_FILE, 'track': SWITCHOVER_TRACK, 'priorities': priorities, 'plan': plan,
            'order': order, 'off': plans, 'reset': reset_plan, 'timeout': timeout, 'refused': refused,
            'upgrade_packages': opts['lvs_upgrade_packages'], 'upgrade_restart': opts['lvs_upgrade_restart']}


# --- the one entry: a host's view of the cluster ----------------------------------

ROLE_NAMES = ('director', 'realserver', 'colocated')
# Variables of the collection's playbooks (lvs.ha.drain, lvs.ha.enable, lvs.ha.switchover,
# lvs.ha.rolling_upgrade), known so that an lvs_* variable that is no option at all (a typo)
# can be refused.
PLAYBOOK_VARIABLES = ('lvs_drain_target', 'lvs_drain_timeout', 'lvs_drain_remove') + tuple(_schema.PLAYBOOK_OPTIONS)


def _settings(settings, role, host):
    """The role's options from ``settings`` (the lvs_* variables in the role's context), validated."""
    for name in settings:
        if (isinstance(name, str) and name.startswith('lvs_') and name not in OPTIONS
                and name not in PLAYBOOK_VARIABLES and not name.startswith('lvs_ha')):
            raise ModelError('host %s: %s is not a variable of lvs.ha (a typo?), got %r; see docs/variables.md'
                             % (host, name, settings[name]))
    opts = {}
    for name in _schema.ROLES[role]:
        spec = OPTIONS[name]
        if name == 'lvs_virtual_services':
            value = check_value(settings.get(name), {'type': 'list'}, name, host)    # items: normalise_services
        elif name.startswith('lvs_vrrp_') and name != 'lvs_vrrp_priority':
            value = settings.get(name)      # checked with the rules between them by _vrrp_settings
        else:
            value = check_value(settings.get(name), spec, name, host)
        if value is None:
            if spec.get('required'):
                raise ModelError('host %s: %s is required, got %r' % (host, name, settings.get(name)))
            value = spec.get('default')
            if name == 'lvs_director_router_id':
                value = check_value(host.split('.')[0], spec, name, host)
            elif isinstance(value, (list, dict)):
                value = type(value)(value)
        opts[name] = value
    if role == 'colocated':
        group = opts['lvs_colocated_group']
        opts.update(lvs_directors_group=group, lvs_realservers_group=group, lvs_director_fwmarks=True)
    return opts


def _check_vips(services, extra, hosts, cluster_hosts, host):
    """No VIP is a cluster host's own address, or the network or broadcast address of its segment."""
    vips = dict((s['vip'], '%s[%d] (%s).vip' % (SERVICES_VAR, i, s['name'])) for i, s in enumerate(services))
    for vip in extra:
        vips.setdefault(vip, 'lvs_vrrp_extra_vips')
    for other in cluster_hosts:
        addresses, edges = hosts.owned(other)
        for vip, path in vips.items():
            if vip in addresses:
                raise ModelError('%s is the address of host %s, got %s; a VIP must be an address no cluster host '
                                 'owns' % (_where(path, host), other, vip))
            if vip in edges:
                raise ModelError('%s is the network or broadcast address of the segment of host %s, got %s'
                                 % (_where(path, host), other, vip))


def _fingerprint(*parts):
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode('utf-8')).hexdigest()[:16]


def cluster(settings, hostvars, groups, host, role, local_state=None, previous=None, fingerprint_only=False,
            with_services=False):
    """Everything ``host`` needs as a ``role`` of the cluster, validated at one gate.

    :param settings: the lvs_* variables as the role sees them (any not given take the
        schema's default); an lvs_* name that is no option is refused.
    :param local_state: ``{drained: [...], removed: [...]}`` kept by the drain and enable
        playbooks, added to ``lvs_director_drained``/``lvs_director_removed``.
    :param previous: an earlier result; returned as is when nothing it was made from changed
        (one computation per host per run).
    :param fingerprint_only: return only the fingerprint of the inputs (cheap), so that a
        caller can skip setting an unchanged result again.
    :param with_services: directors - also return ``services``, the normalised services as
        structures (the status playbook reads them; a fact of thousands of entries costs
        Ansible seconds each time it is set or passed on, so the roles do without).
    :returns: dict ``host``, ``role``, ``fingerprint``, ``settings`` (every option of the role,
        validated), ``warnings`` (texts the caller shows as warnings), and by role
        ``keepalived_services``, ``service_names``, ``nat_families``, ``realserver_addresses``,
        ``vrrp``, ``ipvs_rules`` (directors; ``services`` when asked for),
        ``realserver_vips`` (real servers), ``fwmark`` (colocated). See docs/variables.md.
    """
    if role not in ROLE_NAMES:
        raise ModelError('host %s: role must be one of: %s, got %r' % (host, ', '.join(ROLE_NAMES), role))
    if not isinstance(settings, dict):
        raise ModelError('host %s: the settings must be a mapping of lvs_* variables, got %r' % (host, settings))
    settings = dict((k, v) for k, v in (settings or {}).items() if not str(k).startswith('lvs_ha'))
    fingerprint = _fingerprint(role, host, settings, local_state, bool(with_services))
    if fingerprint_only:
        return fingerprint
    if isinstance(previous, dict) and previous.get('fingerprint') == fingerprint:
        return previous
    opts = _settings(settings, role, host)
    hosts = Hosts(hostvars, groups, opts['lvs_interface'])
    state = check_value(local_state or {}, {'type': 'dict'}, 'local fact lvs_ha', host)
    # settings without the raw services: `services` holds them normalised (a fact's size costs time)
    result = {'host': host, 'role': role, 'fingerprint': fingerprint,
              'settings': dict((k, v) for k, v in opts.items() if k != SERVICES_VAR), 'warnings': []}
    members = {}
    director = role in ('director', 'colocated')
    if director:
        drained = opts['lvs_director_drained'] + check_value(state.get('drained', []), OPTIONS['lvs_director_drained'],
                                                             'local fact lvs_ha: drained', host)
        removed = opts['lvs_director_removed'] + check_value(state.get('removed', []), OPTIONS['lvs_director_removed'],
                                                             'local fact lvs_ha: removed', host)
        group = opts['lvs_directors_group']
        if host not in hosts.group(group, _where('lvs_directors_group', host)):
            raise ModelError('host %s: lvs_directors_group: the host is not in group %r' % (host, group))
        if not opts['lvs_director_fwmarks'] and host in (_get(groups, opts['lvs_realservers_group']) or []):
            raise ModelError('host %s: lvs_realservers_group: the host is both a director (%s) and a real server '
                             '(%s): an LVS-DR director cannot serve its own VIP; use lvs.ha.colocated'
                             % (host, group, opts['lvs_realservers_group']))
    else:
        drained = removed = []
    services = normalise_services(opts['lvs_virtual_services'], hostvars, groups, host=host,
                                  realservers_group=opts['lvs_realservers_group'],
                                  interface=opts['lvs_interface'], use_fwmarks=bool(opts.get('lvs_director_fwmarks')),
                                  fwmark_base=opts.get('lvs_fwmark_base', DEFAULT_FWMARK_BASE),
                                  drained=drained, removed=removed, hosts=hosts, members=members)
    cluster_hosts = set(members)
    if director:
        vrrp_settings = dict((name[len('lvs_vrrp_'):], opts[name]) for name in opts if name.startswith('lvs_vrrp_'))
        vrrp_settings['interface'] = opts['lvs_vrrp_interface'] or opts['lvs_interface']
        vrrp = vrrp_instances(services, hostvars, groups, host, opts['lvs_directors_group'], vrrp_settings,
                              with_peers=opts['lvs_director_vrrp_firewall'] != 'none', hosts=hosts)
        driver = opts['lvs_director_ipvs_driver']
        if opts['lvs_director_sync_daemon'] and driver == 'none':
            raise ModelError('host %s: lvs_director_sync_daemon needs lvs_director_ipvs_driver keepalived or ipvsadm, '
                             'got %r' % (host, driver))
        # The IPVS layer checks the table whoever programs it; the module's argument is kept
        # for the ipvsadm driver only, as rule lines: one string (a fact of thousands of
        # entries costs Ansible time when set, and again in every task that passes it on).
        rules = _ipvs_rules(services, host) if driver != 'none' else ''
        # The services as text and a few summaries rather than as structures (see with_services).
        addresses = {}
        for service in services:
            for rs in service['realservers']:
                known = addresses.setdefault(rs['name'], [])
                if rs['address'] not in known:
                    known.append(rs['address'])
        result.update(vrrp=vrrp, ipvs_rules=rules if driver == 'ipvsadm' else '',
                      keepalived_services=_keepalived.virtual_servers(services) if driver == 'keepalived' else '',
                      service_names=[s['name'] for s in services],
                      nat_families=sorted(set(s['family'] for s in services if s['forwarding'] == 'nat')),
                      realserver_addresses=addresses)
        if with_services:
            result['services'] = services
        raw = _vrrp_settings(vrrp_settings, host)
        result['switchover'] = switchover(settings, vrrp, host, nopreempt=raw['nopreempt'],
                                          advert_int=raw['advert_int'], preempt_delay=raw['preempt_delay'])
        if driver == 'ipvsadm' and services:
            result['warnings'].append(
                'host %s: lvs_director_ipvs_driver is ipvsadm: nothing checks the real servers of %s (health_check '
                'is ignored), a dead real server keeps its share of new connections until it is drained or removed; '
                'the keepalived driver has health checks' % (host, ', '.join(s['name'] for s in services)))
        cluster_hosts.update(vrrp['priorities'])
        extra = service_vips([], opts['lvs_vrrp_extra_vips'], host)
    else:
        extra = []
    if role in ('realserver', 'colocated'):
        result['realserver_vips'] = realserver_vips(services, host, opts['lvs_realserver_extra_vips'], members)
        if any(v['forwarding'] == 'tunnel' and v['family'] == 'ipv6' for v in result['realserver_vips']):
            names = [s for v in result['realserver_vips'] if v['forwarding'] == 'tunnel' and v['family'] == 'ipv6'
                     for s in v['services']]
            raise ModelError('host %s: lvs_virtual_services: tunnel forwarding to an IPv6 real server is not '
                             'supported by lvs.ha.realserver (services %s); use dr or nat' % (host, ', '.join(names)))
    if role == 'colocated':
        result['fwmark'] = fwmark_of(services, hosts, opts, host)
    _check_vips(services, extra, hosts, sorted(cluster_hosts | {host}), host)
    return result


def _ipvs_rules(services, host):
    """The lvs.ha.ipvs module's `rules`, from the services checked by the IPVS layer itself (so
    the module cannot refuse them later). Every threshold is declared, 0 included, so one set
    by hand or lowered to 0 in the inventory is reset (the module reads the kernel's thresholds
    of the services it needs: one listing per service, or one of the whole table for many)."""
    try:
        table = _ipvs.table_from_params(ipvs_services(services), SERVICES_VAR)[0]
    except _ipvs.IpvsError as exc:
        raise ModelError('host %s: %s (as an IPVS service)' % (host, exc))
    return render_rules(table)


def fwmark_of(services, hosts, opts, host):
    """The firewall-mark rules of colocated node ``host`` (see _fwmark.fwmark_rules), MACs checked here."""
    nodes = [{'host': node, 'mac': hosts.mac(node), 'interface': hosts.interface(node, 'lvs_interface')}
             for node in hosts.group(opts['lvs_colocated_group'], 'lvs_colocated_group')]
    try:
        rules = _fwmark.fwmark_rules(services, nodes, host, chain=opts['lvs_colocated_chain'],
                                     table=opts['lvs_colocated_nft_table'])
    except _fwmark.FwmarkError as exc:
        raise ModelError('host %s: %s' % (host, exc))
    rules['nodes'] = nodes
    return rules
