# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.ha variable model: normalise and validate ``lvs_virtual_services``.

PRIVATE module_utils: not a public API, may change without notice. Used on the
controller by the filters in ``plugins/filter/``; pure (no I/O), standard library only.

One service is declared once in ``lvs_virtual_services``; :func:`normalise_services`
turns the list into fully defaulted services whose real servers are resolved to
addresses (inventory hosts through their ``lvs_address``/``lvs_address6`` or the
gathered facts of their ``lvs_interface``). Every error is a :class:`ModelError` whose
message names the variable and, where host data is involved, the host.
"""

from __future__ import annotations

import ipaddress
import re
import zlib

SERVICES_VAR = 'lvs_virtual_services'

PROTOCOLS = ('tcp', 'udp', 'sctp')
FORWARDING = ('dr', 'tunnel', 'nat')
SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos')
SCHED_FLAGS = ('sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3')
CHECK_TYPES = ('http_get', 'ssl_get', 'tcp_check', 'misc_check', 'none')

SERVICE_KEYS = (
    'name', 'vip', 'protocol', 'port', 'fwmark', 'scheduler', 'sched_flags', 'persistent',
    'persistence_netmask', 'forwarding', 'weight', 'realserver_port', 'realservers_group',
    'realservers', 'health_check', 'delay_loop', 'inhibit_on_failure', 'quorum', 'hysteresis',
    'sorry_server',
)
REALSERVER_KEYS = ('host', 'address', 'port', 'weight', 'upper_threshold', 'lower_threshold')
CHECK_KEYS = {
    'http_get': ('type', 'path', 'status_code', 'digest', 'virtualhost', 'connect_port',
                 'connect_timeout', 'retry', 'delay_before_retry'),
    'tcp_check': ('type', 'connect_port', 'connect_timeout', 'retry', 'delay_before_retry'),
    'misc_check': ('type', 'misc_path', 'misc_timeout', 'misc_dynamic', 'retry', 'delay_before_retry'),
    'none': ('type',),
}
CHECK_KEYS['ssl_get'] = CHECK_KEYS['http_get']

NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
FWMARK_MAX = 0xFFFFFFFF
DEFAULT_FWMARK_BASE = 1000
FWMARK_SPAN = 1000  # allocated marks lie in [base, base + FWMARK_SPAN)


class ModelError(ValueError):
    """Invalid user data; the message names the variable and, if relevant, the host."""


# --- small checks -----------------------------------------------------------------

def _where(path, host):
    return 'host %s: %s' % (host, path) if host else path


def _is_bool(value):
    return isinstance(value, bool)


def _int(value, path, host, minimum=None, maximum=None, allow_none=False):
    """Return ``value`` as an int (strings of digits allowed), checking the range."""
    if value is None:
        if allow_none:
            return None
        raise ModelError('%s is required' % _where(path, host))
    if _is_bool(value):
        raise ModelError('%s must be an integer, got %r' % (_where(path, host), value))
    if isinstance(value, str) and re.match(r'^\s*\d+\s*$', value):
        value = int(value)
    if not isinstance(value, int):
        raise ModelError('%s must be an integer, got %r' % (_where(path, host), value))
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise ModelError('%s must be between %s and %s, got %d' % (_where(path, host), minimum, maximum, value))
    return value


def _number(value, path, host, minimum=0):
    if _is_bool(value) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ModelError('%s must be a number, got %r' % (_where(path, host), value))
    if value <= minimum:
        raise ModelError('%s must be greater than %s, got %s' % (_where(path, host), minimum, value))
    return int(value) if float(value).is_integer() else float(value)


def _bool(value, path, host):
    if _is_bool(value):
        return value
    if isinstance(value, str) and value.lower() in ('yes', 'true', 'on', '1', 'no', 'false', 'off', '0'):
        return value.lower() in ('yes', 'true', 'on', '1')
    raise ModelError('%s must be a boolean, got %r' % (_where(path, host), value))


def _choice(value, choices, path, host):
    if not isinstance(value, str) or value.lower() not in choices:
        raise ModelError('%s must be one of: %s, got %r' % (_where(path, host), ', '.join(choices), value))
    return value.lower()


def _str(value, path, host, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value:
        raise ModelError('%s must be a non-empty string, got %r' % (_where(path, host), value))
    return value


def _unknown_keys(data, allowed, path, host):
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ModelError('%s: unknown key(s) %s; allowed: %s'
                         % (_where(path, host), ', '.join(unknown), ', '.join(allowed)))


def parse_ip(value, path, host=None):
    """Return an ``ipaddress`` address for ``value`` or raise a ModelError naming ``path``."""
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ModelError('%s must be an IPv4 or IPv6 address, got %r' % (_where(path, host), value))


def family_of(address):
    """'ipv4' or 'ipv6' for an address string."""
    return 'ipv6' if ipaddress.ip_address(address).version == 6 else 'ipv4'


# --- host data --------------------------------------------------------------------

def fact_key(interface):
    """The key of an interface in ``ansible_facts`` ('-' and ':' become '_')."""
    return interface.replace('-', '_').replace(':', '_')


def _hostvars_of(hostvars, host, variable):
    try:
        hv = hostvars[host]
    except (KeyError, TypeError):
        hv = None
    if hv is None:
        raise ModelError('%s: host %r is not in the inventory' % (variable, host))
    return hv


def _get(mapping, key, default=None):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def host_interface(hostvars, host, default_interface=None, variable='lvs_interface'):
    """The VIP-facing interface of ``host``: its ``lvs_interface`` or ``default_interface``."""
    hv = _hostvars_of(hostvars, host, variable)
    interface = _get(hv, 'lvs_interface') or default_interface
    if not interface:
        raise ModelError('%s is not set for host %s' % (variable, host))
    return str(interface)


def _interface_facts(hostvars, host, interface, variable):
    hv = _hostvars_of(hostvars, host, variable)
    facts = _get(hv, 'ansible_facts', {})
    if not facts:
        raise ModelError('%s: no facts gathered for host %s (gather facts of every cluster host '
                         'first, or set its lvs_address/lvs_mac)' % (variable, host))
    data = _get(facts, fact_key(interface))
    if not data:
        raise ModelError('%s: host %s has no interface %r in its facts (check lvs_interface)'
                         % (variable, host, interface))
    return data


def host_address(hostvars, host, family='ipv4', default_interface=None, variable=SERVICES_VAR):
    """The address of ``host`` on the load-balanced segment, of the given family.

    ``lvs_address`` (IPv4) or ``lvs_address6`` (IPv6) when set, else the address of
    the host's ``lvs_interface`` from its gathered facts (IPv6: the first global one).
    """
    hv = _hostvars_of(hostvars, host, variable)
    name = 'lvs_address6' if family == 'ipv6' else 'lvs_address'
    explicit = _get(hv, name)
    if explicit:
        address = parse_ip(explicit, name, host)
        if family_of(str(address)) != family:
            raise ModelError('%s of host %s must be an %s address, got %r'
                             % (name, host, 'IPv6' if family == 'ipv6' else 'IPv4', explicit))
        return str(address)
    interface = host_interface(hostvars, host, default_interface)
    data = _interface_facts(hostvars, host, interface, variable)
    if family == 'ipv4':
        address = _get(_get(data, 'ipv4', {}), 'address')
    else:
        address = next((a.get('address') for a in _get(data, 'ipv6', [])
                        if a.get('scope') == 'global' and a.get('address')), None)
    if not address:
        raise ModelError('%s: host %s has no %s address on %s; set %s for it'
                         % (variable, host, 'global IPv6' if family == 'ipv6' else 'IPv4', interface, name))
    return str(ipaddress.ip_address(address))


def host_mac(hostvars, host, default_interface=None, variable='lvs_mac'):
    """The MAC address of ``host`` on its ``lvs_interface``: ``lvs_mac`` or from facts (not normalised)."""
    hv = _hostvars_of(hostvars, host, variable)
    explicit = _get(hv, 'lvs_mac')
    if explicit:
        return str(explicit)
    interface = host_interface(hostvars, host, default_interface)
    try:
        data = _interface_facts(hostvars, host, interface, variable)
    except ModelError:
        raise ModelError('lvs_mac: no MAC address for host %s: set lvs_mac or gather its facts '
                         '(interface %s)' % (host, interface))
    mac = _get(data, 'macaddress')
    if not mac:
        raise ModelError('lvs_mac: host %s has no MAC address on %s in its facts; set lvs_mac' % (host, interface))
    return str(mac)


def group_hosts(groups, group, variable):
    """The hosts of an inventory group; a group missing from the inventory is an error."""
    try:
        hosts = groups[group]
    except (KeyError, TypeError):
        hosts = None
    if hosts is None:
        raise ModelError('%s: inventory group %r does not exist' % (variable, group))
    return list(hosts)


# --- services ---------------------------------------------------------------------

def _health_check(raw, service, protocol, path, host):
    if raw is None:
        raw = {'type': 'tcp_check' if protocol == 'tcp' else 'none'}
    if isinstance(raw, str):
        raw = {'type': raw}
    if not isinstance(raw, dict):
        raise ModelError('%s must be a mapping with a type, got %r' % (_where(path, host), raw))
    ctype = _choice(raw.get('type', 'tcp_check'), CHECK_TYPES, path + '.type', host)
    _unknown_keys(raw, CHECK_KEYS[ctype], path, host)
    check = {'type': ctype}
    if ctype in ('http_get', 'ssl_get', 'tcp_check'):
        check['connect_port'] = _int(raw.get('connect_port'), path + '.connect_port', host, 1, 65535, True)
        check['connect_timeout'] = _int(raw.get('connect_timeout', 3), path + '.connect_timeout', host, 1, 3600)
    if ctype != 'none':
        check['retry'] = _int(raw.get('retry', 3), path + '.retry', host, 0, 1000)
        check['delay_before_retry'] = _int(raw.get('delay_before_retry', 2), path + '.delay_before_retry', host,
                                           0, 3600)
    if ctype in ('http_get', 'ssl_get'):
        url = raw.get('path', '/')
        if not isinstance(url, str) or not url.startswith('/'):
            raise ModelError('%s.path must be a URL path starting with /, got %r' % (_where(path, host), url))
        check['path'] = url
        check['status_code'] = _int(raw.get('status_code', 200), path + '.status_code', host, 100, 599)
        check['digest'] = _str(raw.get('digest'), path + '.digest', host, allow_none=True)
        check['virtualhost'] = _str(raw.get('virtualhost'), path + '.virtualhost', host, allow_none=True)
    if ctype == 'misc_check':
        check['misc_path'] = _str(raw.get('misc_path'), path + '.misc_path', host)
        check['misc_timeout'] = _int(raw.get('misc_timeout'), path + '.misc_timeout', host, 1, 3600, True)
        check['misc_dynamic'] = _bool(raw.get('misc_dynamic', False), path + '.misc_dynamic', host)
    return check


def _sorry_server(raw, family, default_port, path, host):
    if raw is None:
        return None
    if isinstance(raw, str):
        parts = raw.split()
        raw = {'address': parts[0], 'port': parts[1] if len(parts) > 1 else None}
    if not isinstance(raw, dict):
        raise ModelError('%s must be a mapping {address, port} or "ADDRESS PORT", got %r'
                         % (_where(path, host), raw))
    _unknown_keys(raw, ('address', 'port'), path, host)
    address = parse_ip(raw.get('address'), path + '.address', host)
    if family_of(str(address)) != family:
        raise ModelError('%s.address must be of the VIP\'s family (%s), got %s' % (_where(path, host), family, address))
    port = _int(raw.get('port', default_port), path + '.port', host, 0, 65535, allow_none=True)
    return {'address': str(address), 'port': port}


def _realserver_entries(service, groups, hostvars, default_group, path, host):
    """(host or None, address or None, dict of options, entry path) for each real server."""
    raw = service.get('realservers')
    if raw is None:
        group = service.get('realservers_group') or default_group
        if not group:
            raise ModelError('%s: no realservers and no realservers_group' % _where(path, host))
        gpath = path + '.realservers_group'
        return [(h, None, {}, '%s (group %s)' % (gpath, group))
                for h in group_hosts(groups, group, _where(gpath, host))]
    if not isinstance(raw, list):
        raise ModelError('%s.realservers must be a list, got %r' % (_where(path, host), raw))
    entries = []
    for i, item in enumerate(raw):
        rpath = '%s.realservers[%d]' % (path, i)
        if isinstance(item, str):
            try:
                ipaddress.ip_address(item)
                item = {'address': item}
            except ValueError:
                item = {'host': item}
        if not isinstance(item, dict):
            raise ModelError('%s must be a host name, an address or a mapping, got %r' % (_where(rpath, host), item))
        _unknown_keys(item, REALSERVER_KEYS, rpath, host)
        if ('host' in item) == ('address' in item):
            raise ModelError('%s needs exactly one of host, address' % _where(rpath, host))
        if 'host' in item:
            name = _str(item['host'], rpath + '.host', host)
            _hostvars_of(hostvars, name, _where(rpath + '.host', host))
            entries.append((name, None, item, rpath))
        else:
            entries.append((None, str(parse_ip(item['address'], rpath + '.address', host)), item, rpath))
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
                       removed=None):
    """Normalise ``lvs_virtual_services``: defaults filled in, real servers resolved.

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
    :returns: list of service dicts (see docs/variables.md for the keys).
    """
    if services is None:
        services = []
    if not isinstance(services, list):
        raise ModelError('%s must be a list, got %s' % (_where(SERVICES_VAR, host), type(services).__name__))
    drained = set(str(d) for d in (drained or []))
    removed = set(str(r) for r in (removed or []))
    base = _int(fwmark_base, 'lvs_fwmark_base', host, 1, FWMARK_MAX - FWMARK_SPAN)

    result = []
    names = set()
    keys = {}
    for index, raw in enumerate(services):
        path = '%s[%d]' % (SERVICES_VAR, index)
        if not isinstance(raw, dict):
            raise ModelError('%s must be a mapping, got %r' % (_where(path, host), raw))
        name = raw.get('name')
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ModelError('%s.name must match [a-z0-9][a-z0-9_-]*, got %r' % (_where(path, host), name))
        path = '%s[%d] (%s)' % (SERVICES_VAR, index, name)
        if name in names:
            raise ModelError('%s: duplicate service name %r' % (_where(path, host), name))
        names.add(name)
        _unknown_keys(raw, SERVICE_KEYS, path, host)

        vip = parse_ip(raw.get('vip'), path + '.vip', host)
        family = family_of(str(vip))
        protocol = _choice(raw.get('protocol', 'tcp'), PROTOCOLS, path + '.protocol', host)
        fwmark = _int(raw.get('fwmark'), path + '.fwmark', host, 1, FWMARK_MAX, allow_none=True)
        port = _int(raw.get('port'), path + '.port', host, 1, 65535, allow_none=fwmark is not None)
        forwarding = _choice(raw.get('forwarding', 'dr'), FORWARDING, path + '.forwarding', host)
        rs_port = _int(raw.get('realserver_port'), path + '.realserver_port', host, 1, 65535, allow_none=True)
        if rs_port is None:
            rs_port = port
        if forwarding != 'nat' and rs_port != port:
            raise ModelError('%s.realserver_port: %s forwarding cannot change the port (%s -> %s); use nat'
                             % (_where(path, host), forwarding, port, rs_port))
        persistent = _int(raw.get('persistent'), path + '.persistent', host, 1, 2 ** 31, allow_none=True)
        netmask = raw.get('persistence_netmask')
        if netmask is not None:
            if persistent is None:
                raise ModelError('%s.persistence_netmask needs persistent' % _where(path, host))
            netmask = str(netmask)
            try:
                if family == 'ipv4':
                    ipaddress.IPv4Network('0.0.0.0/' + netmask)
                else:
                    netmask = str(_int(netmask, path + '.persistence_netmask', host, 1, 128))
            except ValueError:
                raise ModelError('%s.persistence_netmask must be a netmask (IPv4) or prefix length (IPv6), got %r'
                                 % (_where(path, host), netmask))
        flags = raw.get('sched_flags') or []
        if not isinstance(flags, list):
            raise ModelError('%s.sched_flags must be a list' % _where(path, host))
        flags = [_choice(f, SCHED_FLAGS, path + '.sched_flags', host) for f in flags]
        weight = _int(raw.get('weight', 1), path + '.weight', host, 0, 65535)

        entries = _realserver_entries(raw, groups, hostvars, realservers_group, path, host)
        realservers = []
        seen = {}
        for rs_host, address, opts, rpath in entries:
            if address is None:
                address = host_address(hostvars, rs_host, family, interface, rpath)
            elif family_of(address) != family:
                raise ModelError('%s.address must be of the VIP\'s family (%s), got %s'
                                 % (_where(rpath, host), family, address))
            if address in seen:
                raise ModelError('%s: real server %s listed twice (%s)' % (_where(path, host), address, seen[address]))
            seen[address] = rs_host or address
            if address in removed or (rs_host and rs_host in removed):
                continue
            rs_weight = _int(opts.get('weight', weight), rpath + '.weight', host, 0, 65535)
            if address in drained or (rs_host and rs_host in drained):
                rs_weight = 0
            this_port = _int(opts.get('port', rs_port), rpath + '.port', host, 1, 65535, allow_none=True)
            if forwarding != 'nat' and this_port != port:
                raise ModelError('%s.port: %s forwarding cannot change the port (%s -> %s)'
                                 % (_where(rpath, host), forwarding, port, this_port))
            realservers.append({
                'name': rs_host or address,
                'host': rs_host,
                'address': address,
                'port': this_port,
                'weight': rs_weight,
                'upper_threshold': _int(opts.get('upper_threshold', 0), rpath + '.upper_threshold', host, 0, 65535),
                'lower_threshold': _int(opts.get('lower_threshold', 0), rpath + '.lower_threshold', host, 0, 65535),
            })

        quorum = _int(raw.get('quorum'), path + '.quorum', host, 1, FWMARK_MAX, allow_none=True)
        hysteresis = _int(raw.get('hysteresis'), path + '.hysteresis', host, 0, FWMARK_MAX, allow_none=True)
        total = sum(r['weight'] for r in realservers)
        if realservers and total < (quorum or 1):
            raise ModelError('%s: the real servers\' total weight %d is below the quorum %d (keepalived rejects '
                             'this; is every real server drained?)' % (_where(path, host), total, quorum or 1))
        service = {
            'name': name,
            'vip': str(vip),
            'family': family,
            'protocol': protocol,
            'port': port,
            'fwmark': fwmark,
            'scheduler': _choice(raw.get('scheduler', 'wlc'), SCHEDULERS, path + '.scheduler', host),
            'sched_flags': flags,
            'persistent': persistent,
            'persistence_netmask': netmask,
            'forwarding': forwarding,
            'realserver_port': rs_port,
            'realservers': realservers,
            'delay_loop': _int(raw.get('delay_loop', 6), path + '.delay_loop', host, 1, 86400),
            'inhibit_on_failure': _bool(raw.get('inhibit_on_failure', False), path + '.inhibit_on_failure', host),
            'quorum': quorum,
            'hysteresis': hysteresis,
            'sorry_server': _sorry_server(raw.get('sorry_server'), family, rs_port, path + '.sorry_server', host),
        }
        service['health_check'] = _health_check(raw.get('health_check'), service, protocol,
                                                path + '.health_check', host)
        if service['health_check']['type'] in ('http_get', 'ssl_get', 'tcp_check') and protocol != 'tcp':
            raise ModelError('%s.health_check: %s needs protocol tcp, the service is %s'
                             % (_where(path, host), service['health_check']['type'], protocol))
        if 'connect_port' in service['health_check'] and service['health_check']['connect_port'] is None \
                and rs_port is None:
            raise ModelError('%s.health_check.connect_port is required: the service has no port'
                             % _where(path, host))
        key = (family, protocol, str(vip), port) if fwmark is None else ('fwmark', fwmark)
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
    else:
        allocate_fwmarks([s for s in result if s['fwmark'] is not None], base, host)  # collisions only
    return result


def service_vips(services, extra=None, host=None):
    """The VIPs (strings, first-seen order) of the services plus ``extra``."""
    vips = []
    for service in services or []:
        if service['vip'] not in vips:
            vips.append(service['vip'])
    for i, vip in enumerate(extra or []):
        vip = str(parse_ip(vip, 'lvs_vrrp_extra_vips[%d]' % i, host))
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
            'netmask': service['persistence_netmask'],
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

def realserver_vips(services, host, extra=None):
    """The VIPs ``host`` must accept as a real server: list of {vip, family, forwarding, services}.

    :param extra: further VIPs (strings) held for DR, validated (``lvs_realserver_extra_vips``).

    NAT real servers need no VIP (the director rewrites the destination); they are
    listed with their forwarding so the caller can document or check the route.
    """
    result = {}
    for service in services:
        for rs in service['realservers']:
            if rs['host'] != host:
                continue
            entry = result.setdefault((service['vip'], service['forwarding']), {
                'vip': service['vip'], 'family': service['family'],
                'forwarding': service['forwarding'], 'services': [],
            })
            entry['services'].append(service['name'])
    for i, vip in enumerate(extra or []):
        vip = str(parse_ip(vip, 'lvs_realserver_extra_vips[%d]' % i, host))
        result.setdefault((vip, 'dr'), {'vip': vip, 'family': family_of(vip), 'forwarding': 'dr', 'services': []})
    return list(result.values())


# --- VRRP -------------------------------------------------------------------------

VRRP_DEFAULTS = {
    'virtual_router_id': 51,
    'advert_int': 1,
    'version': 2,
    'nopreempt': False,
    'preempt_delay': 0,
    'unicast': False,
    'interface': None,
    'track_interfaces': [],
    'track_scripts': [],
    'notify': {},
    'auth_pass': '',
    'extra_vips': [],
    'instance_name': 'lvs',
    'state': 'BACKUP',
    'priority': None,
}
NOTIFY_KEYS = ('master', 'backup', 'fault', 'stop', 'notify')
TRACK_SCRIPT_KEYS = ('name', 'script', 'interval', 'timeout', 'weight', 'rise', 'fall')


def vrrp_priorities(hostvars, groups, group, variable='lvs_vrrp_priority'):
    """Map director host -> VRRP priority: its ``lvs_vrrp_priority`` or ``150 - 10 * index``.

    Priorities must be distinct (equal priorities are broken by address, which hides
    which node is meant to be master).
    """
    hosts = group_hosts(groups, group, 'lvs_directors_group')
    result = {}
    for index, host in enumerate(hosts):
        hv = _hostvars_of(hostvars, host, variable)
        value = _get(hv, 'lvs_vrrp_priority')
        if value is None:
            value = max(150 - 10 * index, 1)
        result[host] = _int(value, variable, host, 1, 254)
    owners = {}
    for host in hosts:
        prio = result[host]
        if prio in owners:
            raise ModelError('%s: hosts %s and %s have the same priority %d; give distinct priorities'
                             % (variable, owners[prio], host, prio))
        owners[prio] = host
    return result


def vrrp_instances(services, hostvars, groups, host, group, settings=None, with_peers=False):
    """The VRRP instances of ``host`` (one per address family of the VIPs).

    :param settings: dict of the ``lvs_vrrp_*`` variables without the prefix
        (see ``VRRP_DEFAULTS``); ``interface`` defaults to the host's ``lvs_interface``.
    :param with_peers: resolve the other directors' addresses (``peers`` of each
        instance) even without unicast, e.g. to open VRRP from them in a firewall.
    """
    raw = dict(VRRP_DEFAULTS)
    raw.update({k: v for k, v in (settings or {}).items() if v is not None})
    _unknown_keys(raw, tuple(VRRP_DEFAULTS), 'lvs_vrrp_* settings', host)
    hosts = group_hosts(groups, group, 'lvs_directors_group')
    if host not in hosts:
        raise ModelError('host %s: lvs_directors_group: the host is not in group %r' % (host, group))
    priorities = vrrp_priorities(hostvars, groups, group)
    priority = priorities[host] if raw['priority'] is None else _int(raw['priority'], 'lvs_vrrp_priority', host, 1, 254)
    vrid = _int(raw['virtual_router_id'], 'lvs_vrrp_virtual_router_id', host, 1, 255)
    advert = _number(raw['advert_int'], 'lvs_vrrp_advert_int', host)
    version = _int(raw['version'], 'lvs_vrrp_version', host, 2, 3)
    if version == 2 and advert != int(advert):
        raise ModelError('host %s: lvs_vrrp_advert_int: VRRPv2 needs whole seconds, got %s; use lvs_vrrp_version 3'
                         % (host, advert))
    interface = raw['interface'] or host_interface(hostvars, host, None, 'lvs_interface')
    state = _choice(raw['state'], ('master', 'backup'), 'lvs_vrrp_state', host).upper()
    nopreempt = _bool(raw['nopreempt'], 'lvs_vrrp_nopreempt', host)
    if nopreempt and state == 'MASTER':
        raise ModelError('host %s: lvs_vrrp_nopreempt needs lvs_vrrp_state BACKUP' % host)
    preempt_delay = _int(raw['preempt_delay'], 'lvs_vrrp_preempt_delay', host, 0, 1000)
    unicast = _bool(raw['unicast'], 'lvs_vrrp_unicast', host)
    auth_pass = raw['auth_pass'] or ''
    if not isinstance(auth_pass, str) or len(auth_pass) > 8:
        raise ModelError('host %s: lvs_vrrp_auth_pass must be a string of at most 8 characters' % host)
    notify = raw['notify'] or {}
    if not isinstance(notify, dict):
        raise ModelError('host %s: lvs_vrrp_notify must be a mapping' % host)
    _unknown_keys(notify, NOTIFY_KEYS, 'lvs_vrrp_notify', host)
    notify = {k: _str(v, 'lvs_vrrp_notify.' + k, host) for k, v in sorted(notify.items()) if v}
    tracks = raw['track_interfaces'] or []
    if not isinstance(tracks, list):
        raise ModelError('host %s: lvs_vrrp_track_interfaces must be a list' % host)
    track_interfaces = []
    for i, item in enumerate(tracks):
        if isinstance(item, str):
            item = {'name': item}
        if not isinstance(item, dict):
            raise ModelError('host %s: lvs_vrrp_track_interfaces[%d] must be a name or {name, weight}' % (host, i))
        _unknown_keys(item, ('name', 'weight'), 'lvs_vrrp_track_interfaces[%d]' % i, host)
        track_interfaces.append({
            'name': _str(item.get('name'), 'lvs_vrrp_track_interfaces[%d].name' % i, host),
            'weight': _int(item.get('weight'), 'lvs_vrrp_track_interfaces[%d].weight' % i, host, -253, 253, True),
        })
    scripts = raw['track_scripts'] or []
    if not isinstance(scripts, list):
        raise ModelError('host %s: lvs_vrrp_track_scripts must be a list' % host)
    track_scripts = []
    for i, item in enumerate(scripts):
        path = 'lvs_vrrp_track_scripts[%d]' % i
        if not isinstance(item, dict):
            raise ModelError('host %s: %s must be a mapping {name, script, ...}' % (host, path))
        _unknown_keys(item, TRACK_SCRIPT_KEYS, path, host)
        name = item.get('name')
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ModelError('host %s: %s.name must match [a-z0-9][a-z0-9_-]*, got %r' % (host, path, name))
        track_scripts.append({
            'name': name,
            'script': _str(item.get('script'), path + '.script', host),
            'interval': _int(item.get('interval', 2), path + '.interval', host, 1, 3600),
            'timeout': _int(item.get('timeout'), path + '.timeout', host, 1, 3600, True),
            'weight': _int(item.get('weight'), path + '.weight', host, -253, 253, True),
            'rise': _int(item.get('rise'), path + '.rise', host, 1, 1000, True),
            'fall': _int(item.get('fall'), path + '.fall', host, 1, 1000, True),
        })
    vips = service_vips(services, raw['extra_vips'], host)
    if not vips:
        raise ModelError('host %s: lvs_virtual_services/lvs_vrrp_extra_vips: no VIP to hold' % host)
    name = raw['instance_name']
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ModelError('host %s: lvs_vrrp_instance_name must match [a-z0-9][a-z0-9_-]*' % host)

    instances = []
    for family in ('ipv4', 'ipv6'):
        fvips = [v for v in vips if family_of(v) == family]
        if not fvips:
            continue
        peers = []
        src = None
        if unicast or with_peers:
            variable = 'lvs_vrrp_unicast' if unicast else 'lvs_director_vrrp_firewall'
            peers = [{'host': peer, 'family': family, 'address': host_address(hostvars, peer, family, None, variable)}
                     for peer in hosts if peer != host]
        if unicast:
            src = host_address(hostvars, host, family, interface, 'lvs_vrrp_unicast')
        instances.append({
            'name': '%s_%s' % (name, family),
            'family': family,
            'interface': interface,
            'virtual_router_id': vrid,
            'priority': priority,
            'state': state,
            'advert_int': advert,
            # keepalived speaks VRRPv3 for IPv6 whatever the global version
            'version': 3 if family == 'ipv6' else version,
            'nopreempt': nopreempt,
            'preempt_delay': preempt_delay,
            'vips': ['%s/%d' % (v, 32 if family == 'ipv4' else 128) for v in fvips],
            'unicast_src_ip': src,
            'unicast_peers': [p['address'] for p in peers] if unicast else [],
            'peers': peers,
            'track_interfaces': track_interfaces,
            'track_scripts': [s['name'] for s in track_scripts],
            'notify': notify,
            'auth_pass': auth_pass if family == 'ipv4' and version == 2 else '',
        })
    return {'instances': instances, 'track_scripts': track_scripts, 'priorities': priorities,
            'master': max(priorities, key=priorities.get)}
