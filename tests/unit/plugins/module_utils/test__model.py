# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_model.py (pure: plain dicts stand in for hostvars)."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.module_utils import _model
from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError


def host(address, mac='52:54:00:00:00:01', address6=None, interface='ens4', **extra):
    facts = {'ens4': {'ipv4': {'address': address}, 'macaddress': mac,
                      'ipv6': [{'address': 'fe80::1', 'scope': 'link'}]}}
    if address6:
        facts['ens4']['ipv6'].append({'address': address6, 'scope': 'global', 'prefix': '64'})
    hv = {'lvs_interface': interface, 'ansible_facts': facts}
    hv.update(extra)
    return hv


@pytest.fixture
def inventory():
    hostvars = {
        'dir1': host('192.168.56.31'), 'dir2': host('192.168.56.32'),
        'rs1': host('192.168.56.41', address6='2001:db8::41'),
        'rs2': host('192.168.56.42', address6='2001:db8::42'),
        'rs3': host('192.168.56.43', address6='2001:db8::43'),
    }
    groups = {'all': list(hostvars), 'lvs_directors': ['dir1', 'dir2'],
              'lvs_realservers': ['rs1', 'rs2', 'rs3'], 'empty': []}
    return hostvars, groups


WEB = {'name': 'web', 'vip': '192.168.56.40', 'port': 80}


def norm(services, inventory, **kw):
    hostvars, groups = inventory
    return _model.normalise_services(services, hostvars, groups, host='dir1', **kw)


def test_defaults_and_group_resolution(inventory):
    (svc,) = norm([WEB], inventory)
    assert svc['protocol'] == 'tcp' and svc['scheduler'] == 'wlc' and svc['forwarding'] == 'dr'
    assert svc['family'] == 'ipv4' and svc['fwmark'] is None and svc['realserver_port'] == 80
    assert svc['health_check'] == {'type': 'tcp_check', 'connect_port': None, 'connect_timeout': 3,
                                   'retry': 3, 'delay_before_retry': 2}
    assert [(r['host'], r['address'], r['port'], r['weight']) for r in svc['realservers']] == [
        ('rs1', '192.168.56.41', 80, 1), ('rs2', '192.168.56.42', 80, 1), ('rs3', '192.168.56.43', 80, 1)]


def test_default_checkers_by_protocol(inventory):
    tcp, udp, sctp = norm([WEB, dict(WEB, name='dns', protocol='udp', port=53),
                           dict(WEB, name='sig', protocol='sctp', port=2905)], inventory)
    assert [c['type'] for c in tcp['health_checks']] == ['tcp_check']
    assert udp['health_checks'] == [
        {'type': 'udp_check', 'connect_port': None, 'connect_timeout': 3, 'payload': None, 'require_reply': False,
         'retry': 3, 'delay_before_retry': 2},
        {'type': 'ping_check', 'connect_timeout': 3, 'retry': 3, 'delay_before_retry': 2}]
    assert [c['type'] for c in sctp['health_checks']] == ['ping_check']


def test_several_checkers_and_none(inventory):
    svc = dict(WEB, name='dns', protocol='udp', port=53,
               health_check=[{'type': 'dns_check', 'dns_type': 'a', 'dns_name': 'www.example.org'},
                             {'type': 'udp_check', 'payload': '00ff', 'require_reply': True}, 'ping_check'])
    (out,) = norm([svc], inventory)
    assert [c['type'] for c in out['health_checks']] == ['dns_check', 'udp_check', 'ping_check']
    assert out['health_checks'][0]['dns_type'] == 'A' and out['health_checks'][0]['dns_name'] == 'www.example.org'
    assert out['health_checks'][1]['payload'] == '00ff' and out['health_checks'][1]['require_reply'] is True
    assert out['health_check'] == out['health_checks'][0]
    none, empty = norm([dict(WEB, health_check='none'), dict(WEB, name='w2', port=81, health_check=[])], inventory)
    assert none['health_checks'] == empty['health_checks'] == [] and none['health_check'] == {'type': 'none'}


def test_explicit_realservers_hosts_addresses_and_weights(inventory):
    svc = dict(WEB, realservers=['rs1', '192.168.56.99', {'host': 'rs3', 'weight': 5}], weight=2)
    (out,) = norm([svc], inventory)
    assert [(r['name'], r['weight']) for r in out['realservers']] == [('rs1', 2), ('192.168.56.99', 2), ('rs3', 5)]


def test_lvs_address_overrides_facts(inventory):
    hostvars, groups = inventory
    hostvars['rs1'] = {'lvs_address': '10.0.0.1'}
    (out,) = norm([WEB], (hostvars, groups))
    assert out['realservers'][0]['address'] == '10.0.0.1'


def test_ipv6_vip_resolves_global_ipv6(inventory):
    (out,) = norm([dict(WEB, vip='2001:db8::40')], inventory)
    assert out['family'] == 'ipv6'
    assert [r['address'] for r in out['realservers']] == ['2001:db8::41', '2001:db8::42', '2001:db8::43']


def test_ipv6_address_skips_a_held_vip(inventory):
    # facts gathered on the master: keepalived's /128 VIP comes before the host's own address
    hostvars, groups = inventory
    hostvars['rs1']['ansible_facts']['ens4']['ipv6'].insert(
        0, {'address': '2001:db8::40', 'scope': 'global', 'prefix': '128'})
    (out,) = norm([dict(WEB, vip='2001:db8::40')], inventory)
    assert out['realservers'][0]['address'] == '2001:db8::41'
    hostvars['rs1']['ansible_facts']['ens4']['ipv6'] = [{'address': '2001:db8::99', 'scope': 'global', 'prefix': '128'}]
    (out,) = norm([dict(WEB, vip='2001:db8::40')], (hostvars, groups))
    assert out['realservers'][0]['address'] == '2001:db8::99'


def test_ipv6_missing_address_names_host(inventory):
    hostvars, groups = inventory
    hostvars['rs2'] = host('192.168.56.42')
    with pytest.raises(ModelError, match=r'host rs2 has no global IPv6 address on ens4; set lvs_address6'):
        norm([dict(WEB, vip='2001:db8::40')], (hostvars, groups))


def test_missing_facts_names_host_and_variable(inventory):
    hostvars, groups = inventory
    hostvars['rs3'] = {'lvs_interface': 'ens4'}
    with pytest.raises(ModelError, match=r"lvs_virtual_services\[0\] \(web\).realservers_group .*no facts .* rs3"):
        norm([WEB], (hostvars, groups))


def test_missing_interface_in_facts(inventory):
    hostvars, groups = inventory
    hostvars['rs1']['lvs_interface'] = 'eth9'
    with pytest.raises(ModelError, match=r"host rs1 has no interface 'eth9'"):
        norm([WEB], (hostvars, groups))


def test_default_interface_used_when_host_sets_none(inventory):
    hostvars, groups = inventory
    del hostvars['rs1']['lvs_interface']
    with pytest.raises(ModelError, match=r'lvs_interface is not set for host rs1'):
        norm([WEB], (hostvars, groups))
    assert norm([WEB], (hostvars, groups), interface='ens4')[0]['realservers'][0]['address'] == '192.168.56.41'


@pytest.mark.parametrize('change, message', [
    ({'name': 'Web!'}, r'name must be a name of lower-case letters'),
    ({'vip': '192.168.56.400'}, r'\(web\).vip must be an IPv4 or IPv6 address'),
    ({'protocol': 'icmp'}, r'protocol must be one of: tcp, udp, sctp'),
    ({'port': 70000}, r'port must be between 1 and 65535'),
    ({'port': None}, r'port is required'),
    ({'scheduler': 'fastest'}, r'scheduler must be one of'),
    ({'forwarding': 'route'}, r'forwarding must be one of: dr, tunnel, nat'),
    ({'prot': 'tcp'}, r"unknown key\(s\) prot"),
    ({'realserver_port': 8080}, r'dr forwarding cannot change the port'),
    ({'persistence_netmask': '255.255.255.0'}, r'persistence_netmask needs persistent'),
    ({'persistent': 300, 'persistence_netmask': '255.0.255.0'}, r'must be a netmask'),
    ({'realservers_group': 'nosuch'}, r"inventory group 'nosuch' does not exist"),
    ({'realservers': ['nosuchhost']}, r"host 'nosuchhost' is not in the inventory"),
    ({'realservers': [{'host': 'rs1', 'address': '10.0.0.1'}]}, r'exactly one of host, address'),
    ({'realservers': ['2001:db8::1']}, r"must be of the VIP's family"),
    ({'realservers': ['rs1', '192.168.56.41']}, r'listed twice'),
    ({'health_check': {'type': 'http_get', 'path': 'x'}}, r'path must be a URL path'),
    ({'health_check': {'type': 'misc_check'}}, r'misc_path is required with misc_check'),
    ({'health_check': {'type': 'tcp_check', 'path': '/'}}, r"unknown key\(s\) path"),
    ({'protocol': 'udp', 'health_check': 'tcp_check'}, r'tcp_check needs protocol tcp'),
    ({'weight': 0}, r"total weight 0 is below the quorum 1"),
    ({'quorum': 4}, r"total weight 3 is below the quorum 4"),
    ({'sorry_server': '2001:db8::9 80'}, r"sorry_server.address must be of the VIP's family"),
    ({'inhibit_on_failure': 'maybe'}, r'must be a boolean'),
])
def test_invalid_input_names_the_variable_and_host(inventory, change, message):
    svc = dict(WEB, **change)
    with pytest.raises(ModelError, match=message) as err:
        norm([svc], inventory)
    assert str(err.value).startswith('host dir1: lvs_virtual_services[0]')


def test_duplicates_rejected(inventory):
    with pytest.raises(ModelError, match=r"duplicate service name 'web'"):
        norm([WEB, WEB], inventory)
    with pytest.raises(ModelError, match=r"same virtual service as 'web'"):
        norm([WEB, dict(WEB, name='web2')], inventory)


def test_not_a_list():
    with pytest.raises(ModelError, match=r'lvs_virtual_services .*must be a list'):
        _model.normalise_services({'name': 'web'}, {}, {})
    assert _model.normalise_services(None, {}, {}) == []


def test_nat_may_change_port_and_sorry_server(inventory):
    svc = dict(WEB, forwarding='nat', realserver_port=8080, sorry_server={'address': '192.168.56.50'},
               health_check={'type': 'http_get', 'path': '/health', 'status_code': 204})
    (out,) = norm([svc], inventory)
    assert out['realserver_port'] == 8080 and out['realservers'][0]['port'] == 8080
    assert out['sorry_server'] == {'address': '192.168.56.50', 'port': 8080}
    assert out['health_check']['path'] == '/health' and out['health_check']['status_code'] == 204


def test_drained_and_removed(inventory):
    (out,) = norm([WEB], inventory, drained=['rs1', '192.168.56.42'])
    assert [(r['name'], r['weight']) for r in out['realservers']] == [('rs1', 0), ('rs2', 0), ('rs3', 1)]


def test_drained_one(inventory):
    (out,) = norm([WEB], inventory, drained=['rs1'], removed=['192.168.56.43'])
    assert [(r['name'], r['weight']) for r in out['realservers']] == [('rs1', 0), ('rs2', 1)]


def test_draining_all_is_refused(inventory):
    with pytest.raises(ModelError, match=r'is every real server drained'):
        norm([WEB], inventory, drained=['rs1', 'rs2', 'rs3'])


def test_explicit_empty_realservers_allowed(inventory):
    (out,) = norm([dict(WEB, realservers=[])], inventory)
    assert out['realservers'] == []


def test_fwmarks_explicit_and_allocated_are_stable(inventory):
    services = [dict(WEB), dict(WEB, name='tls', port=443), dict(WEB, name='dns', protocol='udp', port=53, fwmark=7)]
    out = norm(services, inventory, use_fwmarks=True)
    marks = {s['name']: s['fwmark'] for s in out}
    assert marks['dns'] == 7
    assert all(1000 <= marks[n] < 2000 for n in ('web', 'tls'))
    again = norm(list(reversed(services)), inventory, use_fwmarks=True)
    assert {s['name']: s['fwmark'] for s in again} == marks
    fewer = norm(services[1:], inventory, use_fwmarks=True)
    assert {s['name']: s['fwmark'] for s in fewer} == {'tls': marks['tls'], 'dns': 7}
    assert norm(services[:2], inventory)[0]['fwmark'] is None


def test_fwmark_collision_rejected(inventory):
    services = [dict(WEB, port=None, realserver_port=80, fwmark=10),
                dict(WEB, name='tls', vip='192.168.56.45', port=None, realserver_port=443, fwmark=10)]
    with pytest.raises(ModelError, match=r"fwmark 10 of service 'tls' collides with service 'web'"):
        norm(services, inventory)


def test_allocation_probes_past_explicit_marks():
    offset = _model.zlib.crc32(b'web') % 1000
    marks = _model.allocate_fwmarks([{'name': 'web', 'fwmark': None}, {'name': 'x', 'fwmark': 1000 + offset}])
    assert marks == {'x': 1000 + offset, 'web': 1000 + (offset + 1) % 1000}


def test_fwmark_service_without_port(inventory):
    (out,) = norm([{'name': 'all', 'vip': '192.168.56.40', 'fwmark': 5, 'health_check': {'type': 'none'}}],
                  inventory)
    assert out['port'] is None and out['fwmark'] == 5
    with pytest.raises(ModelError, match=r'connect_port is required'):
        norm([{'name': 'all', 'vip': '192.168.56.40', 'fwmark': 5}], inventory)


def test_ipvs_services_shape(inventory):
    services = norm([dict(WEB, persistent=300, persistence_netmask='255.255.255.0', sched_flags=['sh-port'],
                          scheduler='sh'),
                     dict(WEB, name='v6', vip='2001:db8::40', port=None, realserver_port=80, fwmark=9, forwarding='tunnel')], inventory)
    v4, v6 = _model.ipvs_services(services)
    assert v4 == {
        'protocol': 'tcp', 'address': '192.168.56.40', 'port': 80, 'family': 'ipv4',
        'scheduler': 'sh', 'persistent': 300, 'persistence_netmask': '255.255.255.0', 'sched_flags': ['sh-port'],
        'destinations': [{'address': a, 'port': 80, 'forwarding': 'dr', 'weight': 1, 'upper_threshold': 0,
                          'lower_threshold': 0} for a in ('192.168.56.41', '192.168.56.42', '192.168.56.43')]}
    assert v6['fwmark'] == 9 and v6['family'] == 'ipv6'
    assert not set(v6) & {'protocol', 'address', 'port', 'persistent', 'persistence_netmask'}
    assert v6['destinations'][0] == {'address': '2001:db8::41', 'port': 0, 'forwarding': 'tunnel', 'weight': 1,
                                     'upper_threshold': 0, 'lower_threshold': 0}


def test_ipvs_rules_reset_a_threshold_lowered_to_zero(inventory):
    """The director's rules declare thresholds of 0 too, so a threshold set by hand (or set
    in the inventory and later removed) is edited back to 0 and a no-change run needs them."""
    from dataclasses import replace

    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_rules
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import diff, threshold_keys
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

    rules = _model._ipvs_rules(norm([WEB], inventory), 'dir1')
    assert rules.count(' -x 0 -y 0\n') == 3
    want = table_from_rules(rules)
    (key,) = list(want)
    kernel = dict(want)
    dests = dict(kernel[key].destinations)
    first = next(iter(dests))
    dests[first] = replace(dests[first], upper_threshold=50, lower_threshold=10)
    kernel[key] = replace(kernel[key], destinations=dests)
    # an -e line without -x/-y sets both to 0
    assert render(diff(kernel, want)) == ['-e -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1']
    unread = dict((k, replace(s, destinations=dict((dk, replace(d, upper_threshold=None, lower_threshold=None))
                                                   for dk, d in s.destinations.items())))
                  for k, s in kernel.items())
    assert threshold_keys(unread, want) == [key]


def test_realserver_vips(inventory):
    services = norm([WEB, dict(WEB, name='tls', port=443), dict(WEB, name='v6', vip='2001:db8::40'),
                     dict(WEB, name='other', vip='192.168.56.45', realservers=['rs2'], forwarding='tunnel')],
                    inventory)
    assert _model.realserver_vips(services, 'rs1') == [
        {'vip': '192.168.56.40', 'family': 'ipv4', 'forwarding': 'dr', 'services': ['web', 'tls']},
        {'vip': '2001:db8::40', 'family': 'ipv6', 'forwarding': 'dr', 'services': ['v6']}]
    assert _model.realserver_vips(services, 'rs2')[-1] == {
        'vip': '192.168.56.45', 'family': 'ipv4', 'forwarding': 'tunnel', 'services': ['other']}
    assert _model.realserver_vips(services, 'dir1') == []
    assert _model.realserver_vips(services, 'dir1', ['192.168.56.70']) == [
        {'vip': '192.168.56.70', 'family': 'ipv4', 'forwarding': 'dr', 'services': []}]
    with pytest.raises(ModelError, match=r'host dir1: lvs_realserver_extra_vips\[0\] must be an IPv4 or IPv6'):
        _model.realserver_vips(services, 'dir1', ['nope'])


# --- VRRP ---------------------------------------------------------------------------------

def vrrp(inventory, host='dir1', services=None, **settings):
    hostvars, groups = inventory
    services = norm([WEB] if services is None else services, inventory)
    return _model.vrrp_instances(services, hostvars, groups, host, 'lvs_directors', settings)


def test_vrrp_defaults(inventory):
    out = vrrp(inventory)
    assert out['priorities'] == {'dir1': 150, 'dir2': 140} and out['master'] == 'dir1'
    (inst,) = out['instances']
    assert inst == {
        'name': 'lvs_ipv4', 'family': 'ipv4', 'interface': 'ens4', 'virtual_router_id': 51, 'priority': 150,
        'state': 'BACKUP', 'advert_int': 1, 'version': 2, 'nopreempt': False, 'preempt_delay': 0,
        'vips': ['192.168.56.40/32'], 'unicast_src_ip': None, 'unicast_peers': [], 'peers': [], 'track_interfaces': [],
        'track_scripts': [], 'notify': {}, 'auth_pass': ''}
    assert out['sync_group'] is None


def test_vrrp_ipv6_unicast_and_extras(inventory):
    hostvars, groups = inventory
    hostvars['dir1']['lvs_address6'] = '2001:db8::31'
    hostvars['dir2']['lvs_address6'] = '2001:db8::32'
    hostvars['dir2']['lvs_vrrp_priority'] = 200
    services = [WEB, dict(WEB, name='v6', vip='2001:db8::40')]
    out = vrrp(inventory, host='dir2', services=services, unicast=True, extra_vips=['192.168.56.60'],
               advert_int=0.5, version=3, track_interfaces=['ens3', {'name': 'ens5', 'weight': -20}],
               track_scripts=[{'name': 'chk_haproxy', 'script': '/usr/bin/pgrep haproxy', 'weight': -30}],
               notify={'master': '/usr/local/bin/m'})
    v4, v6 = out['instances']
    assert out['master'] == 'dir2' and v4['priority'] == 200
    assert v4['vips'] == ['192.168.56.40/32', '192.168.56.60/32'] and v6['vips'] == ['2001:db8::40/128']
    assert v4['unicast_src_ip'] == '192.168.56.32' and v4['unicast_peers'] == ['192.168.56.31']
    assert v6['unicast_src_ip'] == '2001:db8::32' and v6['unicast_peers'] == ['2001:db8::31']
    assert v6['version'] == 3 and v4['advert_int'] == 0.5
    assert v4['track_interfaces'] == [{'name': 'ens3', 'weight': None}, {'name': 'ens5', 'weight': -20}]
    assert v4['track_scripts'] == ['chk_haproxy'] and out['track_scripts'][0]['interval'] == 2
    assert v4['notify'] == {'master': '/usr/local/bin/m'}
    assert out['sync_group'] == {'name': 'lvs', 'instances': ['lvs_ipv4', 'lvs_ipv6']}


@pytest.mark.parametrize('settings, message', [
    ({'virtual_router_id': 256}, r'host dir1: lvs_vrrp_virtual_router_id must be between 1 and 255'),
    ({'advert_int': 0.5}, r'VRRPv2 needs whole seconds'),
    ({'advert_int': 0}, r'host dir1: lvs_vrrp_advert_int must be between 1 and 255 seconds with VRRP version 2, got 0'),
    ({'state': 'MASTER', 'nopreempt': True}, r'lvs_vrrp_nopreempt needs lvs_vrrp_state BACKUP'),
    ({'auth_pass': 'far-too-long'}, r'lvs_vrrp_auth_pass must be at most 8 letters'),
    ({'notify': {'primary': '/x'}}, r"unknown key\(s\) primary"),
    ({'track_scripts': [{'name': 'Bad Name', 'script': '/x'}]}, r'track_scripts\[0\].name must be a name of'),
    ({'bogus': 1}, r"unknown key\(s\) bogus"),
    ({'track_interfaces': [['ens3']]}, r'host dir1: lvs_vrrp_track_interfaces\[0\] must be a name or \{name, weight\}'),
])
def test_vrrp_invalid(inventory, settings, message):
    with pytest.raises(ModelError, match=message):
        vrrp(inventory, **settings)


def test_vrrp_equal_priorities_and_outsiders(inventory):
    hostvars, groups = inventory
    hostvars['dir2']['lvs_vrrp_priority'] = 150
    with pytest.raises(ModelError, match=r'hosts dir1 and dir2 have the same priority 150'):
        vrrp(inventory)
    hostvars['dir2']['lvs_vrrp_priority'] = 300
    with pytest.raises(ModelError, match=r'host dir2: lvs_vrrp_priority must be between 1 and 254'):
        vrrp(inventory)
    del hostvars['dir2']['lvs_vrrp_priority']
    with pytest.raises(ModelError, match=r"host rs1: lvs_directors_group: the host is not in group 'lvs_directors'"):
        vrrp(inventory, host='rs1')
    with pytest.raises(ModelError, match=r'no VIP to hold'):
        vrrp(inventory, services=[])
    assert vrrp(inventory, services=[], extra_vips=['192.168.56.70'])['instances'][0]['vips'] == ['192.168.56.70/32']


def test_vrrp_peers_for_a_firewall(inventory):
    hostvars, groups = inventory
    services = norm([WEB], inventory)
    out = _model.vrrp_instances(services, hostvars, groups, 'dir1', 'lvs_directors', {}, with_peers=True)
    assert out['instances'][0]['peers'] == [{'host': 'dir2', 'family': 'ipv4', 'address': '192.168.56.32'}]
    assert out['instances'][0]['unicast_peers'] == []
    del hostvars['dir2']['ansible_facts']
    with pytest.raises(ModelError, match=r'lvs_director_vrrp_firewall: no facts gathered for host dir2'):
        _model.vrrp_instances(services, hostvars, groups, 'dir1', 'lvs_directors', {}, with_peers=True)


def test_vrrp_auth_only_for_v2_ipv4(inventory):
    assert vrrp(inventory, services=[WEB], auth_pass='secret')['instances'][0]['auth_pass'] == 'secret'
    # VRRPv3 (and so every IPv6 instance) has no authentication: refused, not dropped
    with pytest.raises(ModelError, match=r"host dir1: lvs_vrrp_auth_pass: the IPv6 VIPs are held by VRRPv3.*'secret'"):
        vrrp(inventory, services=[WEB, dict(WEB, name='v6', vip='2001:db8::40')], auth_pass='secret')
    with pytest.raises(ModelError, match=r"host dir1: lvs_vrrp_auth_pass: VRRPv3 has no authentication"):
        vrrp(inventory, services=[WEB], auth_pass='secret', version=3)


def test_host_mac():
    hostvars = {'a': host('10.0.0.1', mac='52:54:00:AA:00:01'), 'b': {'lvs_mac': '52-54-00-aa-00-02'},
                'c': {'lvs_interface': 'ens4'}}
    assert _model.host_mac(hostvars, 'a') == '52:54:00:aa:00:01'
    assert _model.host_mac(hostvars, 'b') == '52:54:00:aa:00:02'
    with pytest.raises(ModelError, match=r'lvs_mac: no MAC address for host c'):
        _model.host_mac(hostvars, 'c')


# --- planned switchover --------------------------------------------------------------

def test_switchover_values_and_holders():
    prios = {'a': 150, 'b': 140, 'c': 254}
    to_b = _model.switchover_plan(prios, _model.switchover_values(prios, to='b'), 'to', 'b')
    assert to_b['values'] == {'a': 0, 'b': 114, 'c': -1}
    assert to_b['effective'] == {'a': 150, 'b': 254, 'c': 253} and to_b['holder'] == 'b'
    off_c = _model.switchover_plan(prios, _model.switchover_values(prios, off='c'), 'off', 'c')
    assert off_c['values'] == {'a': 0, 'b': 0, 'c': -253}
    assert off_c['effective']['c'] == 1 and off_c['holder'] == 'a'
    reset = _model.switchover_plan(prios, _model.switchover_values(prios))
    assert reset['values'] == {'a': 0, 'b': 0, 'c': 0} and reset['holder'] == 'c'
    # keepalived keeps the effective priority within [1, 254]
    assert _model.switchover_plan({'a': 5, 'b': 250}, {'a': -100, 'b': 100})['effective'] == {'a': 1, 'b': 254}


def _cluster(inventory, **settings):
    hostvars, groups = inventory
    merged = dict({'lvs_interface': 'ens4', 'lvs_virtual_services': [WEB]}, **settings)
    return _model.cluster(merged, hostvars, groups, 'dir1', 'director')


def test_switchover_in_the_view(inventory):
    view = _cluster(inventory)['switchover']
    assert view['file'] == '/etc/keepalived/lvs-ha-priority' and view['track'] == 'lvs_ha_switchover'
    assert view['plan'] is None and view['refused'] is None
    assert view['priorities'] == {'dir1': 150, 'dir2': 140}
    # the rolling upgrade: the backup first, the master last; off each, then the reset
    assert view['order'] == ['dir2', 'dir1']
    assert view['off']['dir1']['holder'] == 'dir2' and view['off']['dir1']['values'] == {'dir1': -149, 'dir2': 0}
    assert view['off']['dir2']['holder'] == 'dir1'
    assert view['reset']['holder'] == 'dir1' and view['reset']['values'] == {'dir1': 0, 'dir2': 0}
    # 3 x advert_int + preempt_delay + 30
    assert view['timeout'] == 33 and view['upgrade_packages'] is None and view['upgrade_restart'] is False
    to = _cluster(inventory, lvs_switchover_to='dir2', lvs_switchover_timeout='20')['switchover']
    assert to['plan']['holder'] == 'dir2' and to['plan']['values'] == {'dir1': 0, 'dir2': 114}
    assert to['timeout'] == 20
    off = _cluster(inventory, lvs_switchover_off='dir1')['switchover']['plan']
    assert off['mode'] == 'off' and off['target'] == 'dir1' and off['holder'] == 'dir2'
    assert _cluster(inventory, lvs_switchover_reset='yes')['switchover']['plan']['holder'] == 'dir1'
    assert _cluster(inventory, lvs_vrrp_advert_int=2, lvs_vrrp_preempt_delay=10)['switchover']['timeout'] == 46
    up = _cluster(inventory, lvs_upgrade_packages=['keepalived'], lvs_upgrade_restart=True)['switchover']
    assert up['upgrade_packages'] == ['keepalived'] and up['upgrade_restart'] is True


def test_switchover_refused(inventory):
    with pytest.raises(ModelError, match=r"host dir1: lvs_switchover_to: 'rs1' is not a director of this cluster; "
                                         r"the directors are dir1, dir2"):
        _cluster(inventory, lvs_switchover_to='rs1')
    with pytest.raises(ModelError, match='give one of them'):
        _cluster(inventory, lvs_switchover_to='dir2', lvs_switchover_off='dir1')
    nopreempt = _cluster(inventory, lvs_vrrp_nopreempt=True)['switchover']
    assert 'lvs_vrrp_nopreempt' in nopreempt['refused']
    for asked in ({'lvs_switchover_to': 'dir2'}, {'lvs_switchover_off': 'dir1'}, {'lvs_switchover_reset': True}):
        with pytest.raises(ModelError, match='lvs_vrrp_nopreempt is set'):
            _cluster(inventory, lvs_vrrp_nopreempt=True, **asked)
    hostvars, groups = inventory
    groups = dict(groups, lvs_directors=['dir1'])
    alone = _model.cluster({'lvs_interface': 'ens4', 'lvs_virtual_services': [WEB]}, hostvars, groups, 'dir1',
                           'director')['switchover']
    assert 'one director' in alone['refused']
    with pytest.raises(ModelError, match='lvs_switchover_off=.dir1.: there is one director'):
        _model.cluster({'lvs_interface': 'ens4', 'lvs_virtual_services': [WEB], 'lvs_switchover_off': 'dir1'},
                       hostvars, groups, 'dir1', 'director')
    hostvars = dict(hostvars, dir2=dict(hostvars['dir2'], lvs_vrrp_priority=1))
    with pytest.raises(ModelError, match='no other director has a priority above 1'):
        _model.cluster({'lvs_interface': 'ens4', 'lvs_virtual_services': [WEB], 'lvs_switchover_off': 'dir1'},
                       hostvars, groups | {'lvs_directors': ['dir1', 'dir2']}, 'dir1', 'director')
