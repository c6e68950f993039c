# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the filters in plugins/filter/ (thin wrappers over _model and _fwmark)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ha.plugins.filter.fwmark_rules import fwmark_rules
from ansible_collections.lvs.ha.plugins.filter.ipvs_services import ipvs_services
from ansible_collections.lvs.ha.plugins.filter.realserver_vips import realserver_vips
from ansible_collections.lvs.ha.plugins.filter.virtual_services import virtual_services
from ansible_collections.lvs.ha.plugins.filter.vrrp_instances import vrrp_instances

WEB = {'name': 'web', 'vip': '192.168.56.40', 'port': 80}
WEB6 = {'name': 'web6', 'vip': '2001:db8::40', 'port': 80}


def cluster(count, ipv6=False):
    hostvars = {}
    for i in range(1, count + 1):
        facts = {'ens4': {'ipv4': {'address': '192.168.56.%d' % (50 + i)},
                          'macaddress': '52:54:00:AB:00:%02X' % i, 'ipv6': []}}
        if ipv6:
            facts['ens4']['ipv6'].append({'address': '2001:db8::%d' % (50 + i), 'scope': 'global'})
        hostvars['node%d' % i] = {'lvs_interface': 'ens4', 'ansible_facts': facts}
    return hostvars, {'all': list(hostvars), 'lvs_colocated': list(hostvars)}


@pytest.mark.parametrize('count', [2, 3, 5])
def test_fwmark_rules_cluster_sizes(count):
    hostvars, groups = cluster(count)
    views = [fwmark_rules([WEB], hostvars, groups, h) for h in groups['lvs_colocated']]
    marks = set(r['mark'] for v in views for r in v['rules'])
    assert len(marks) == 1 and 1000 <= marks.pop() < 2000
    for index, view in enumerate(views, start=1):
        own = '52:54:00:ab:00:%02x' % index
        assert len(view['exclude_macs']) == count - 1 and own not in view['exclude_macs']
        assert view['iptables'].count('-j RETURN') == count - 1
        assert view['services'][0]['fwmark'] == view['rules'][0]['mark']
        assert [r['address'] for r in view['services'][0]['realservers']] == [
            '192.168.56.%d' % (50 + i) for i in range(1, count + 1)]


def test_fwmark_rules_ipv6_and_explicit_marks():
    hostvars, groups = cluster(3, ipv6=True)
    out = fwmark_rules([dict(WEB, fwmark=10), dict(WEB6, fwmark=11)], hostvars, groups, 'node1')
    assert [(r['service'], r['mark'], r['family']) for r in out['rules']] == [
        ('web', 10, 'ipv4'), ('web6', 11, 'ipv6')]
    assert out['families'] == ['ipv4', 'ipv6']
    assert '--set-mark 11' in out['ip6tables'] and '--set-mark 11' not in out['iptables']
    assert 'ip6 daddr 2001:db8::40 tcp dport 80 counter meta mark set 11' in out['nft']
    assert [r['address'] for r in out['services'][1]['realservers']] == ['2001:db8::51', '2001:db8::52', '2001:db8::53']


def test_fwmark_rules_allocated_marks_are_distinct_and_avoid_explicit():
    hostvars, groups = cluster(2)
    services = [dict(WEB, name='svc%d' % i, port=8000 + i) for i in range(20)] + [dict(WEB, name='fixed', fwmark=1500)]
    out = fwmark_rules(services, hostvars, groups, 'node2')
    marks = [r['mark'] for r in out['rules']]
    assert len(set(marks)) == 21 and marks[-1] == 1500
    out2 = fwmark_rules(list(reversed(services)), hostvars, groups, 'node2', fwmark_base=1000)
    assert {r['service']: r['mark'] for r in out2['rules']} == {r['service']: r['mark'] for r in out['rules']}


def test_fwmark_rules_collision_names_services():
    hostvars, groups = cluster(2)
    with pytest.raises(AnsibleFilterError, match=r"lvs.ha.fwmark_rules: .*fwmark 9 of service 'b' collides with service 'a'"):
        fwmark_rules([dict(WEB, name='a', fwmark=9), dict(WEB, name='b', port=81, fwmark=9)], hostvars, groups, 'node1')


def test_fwmark_rules_missing_facts_and_macs_name_the_host():
    hostvars, groups = cluster(3)
    hostvars['node2'] = {'lvs_interface': 'ens4', 'lvs_address': '192.168.56.52'}
    with pytest.raises(AnsibleFilterError, match=r'lvs_mac: no MAC address for host node2'):
        fwmark_rules([WEB], hostvars, groups, 'node1')
    hostvars['node2']['lvs_mac'] = '52-54-00-AB-00-02'
    out = fwmark_rules([WEB], hostvars, groups, 'node1')
    assert out['exclude_macs'] == ['52:54:00:ab:00:02', '52:54:00:ab:00:03']
    hostvars['node2']['lvs_mac'] = 'not-a-mac'
    with pytest.raises(AnsibleFilterError, match=r"host node2: lvs_mac must be a MAC address, got 'not-a-mac'"):
        fwmark_rules([WEB], hostvars, groups, 'node1')
    hostvars['node2']['lvs_mac'] = '52:54:00:ab:00:03'
    with pytest.raises(AnsibleFilterError, match=r'hosts node2 and node3 have the same MAC address'):
        fwmark_rules([WEB], hostvars, groups, 'node1')


def test_fwmark_rules_missing_address_facts_name_the_host():
    hostvars, groups = cluster(2)
    del hostvars['node2']['ansible_facts']
    with pytest.raises(AnsibleFilterError, match=r'no facts gathered for host node2'):
        fwmark_rules([WEB], hostvars, groups, 'node1')
    with pytest.raises(AnsibleFilterError, match=r"inventory group 'nosuch' does not exist"):
        fwmark_rules([WEB], *cluster(2), 'node1', group='nosuch')


def test_virtual_services_and_ipvs_services():
    hostvars, groups = cluster(3)
    services = virtual_services([WEB], hostvars, groups, host='node1', realservers_group='lvs_colocated')
    assert [r['host'] for r in services[0]['realservers']] == ['node1', 'node2', 'node3']
    (table,) = ipvs_services(services)
    assert table['address'] == '192.168.56.40' and len(table['destinations']) == 3
    assert ipvs_services(services, format='ipvsadm')[0] == '-A -t 192.168.56.40:80 -s wlc'
    with pytest.raises(AnsibleFilterError, match=r'format must be one of'):
        ipvs_services(services, format='xml')
    with pytest.raises(AnsibleFilterError, match=r'input must be the list returned by lvs.ha.virtual_services'):
        ipvs_services([{'name': 'raw'}])
    with pytest.raises(AnsibleFilterError, match=r'^lvs.ha.virtual_services: host node1: lvs_virtual_services\[0\]'):
        virtual_services([dict(WEB, port='http')], hostvars, groups, host='node1')


def test_vrrp_and_realserver_vips_filters():
    hostvars, groups = cluster(2)
    groups['lvs_directors'] = ['node1', 'node2']
    services = virtual_services([WEB], hostvars, groups, realservers_group='lvs_colocated')
    out = vrrp_instances(services, hostvars, groups, host='node2', settings={'unicast': True})
    assert out['instances'][0]['unicast_peers'] == ['192.168.56.51'] and out['master'] == 'node1'
    with pytest.raises(AnsibleFilterError, match=r'^lvs.ha.vrrp_instances: host node2: lvs_vrrp_virtual_router_id'):
        vrrp_instances(services, hostvars, groups, host='node2', settings={'virtual_router_id': 0})
    assert realserver_vips(services, 'node2') == [
        {'vip': '192.168.56.40', 'family': 'ipv4', 'forwarding': 'dr', 'services': ['web']}]
    with pytest.raises(AnsibleFilterError, match=r'lvs.ha.realserver_vips: input must be'):
        realserver_vips([{'vip': 'x'}], 'node2')


def test_ipvs_services_ipvsadm_lines_match_the_module_renderer():
    hostvars, groups = cluster(2, ipv6=True)
    services = virtual_services([dict(WEB, persistent=300, sched_flags=['sh-port'], scheduler='sh'),
                                 dict(WEB6, port=None, realserver_port=80, fwmark=1001, forwarding='tunnel')],
                                hostvars, groups, realservers_group='lvs_colocated')
    assert ipvs_services(services, format='ipvsadm') == [
        '-A -t 192.168.56.40:80 -s sh -p 300 -b sh-port',
        '-a -t 192.168.56.40:80 -r 192.168.56.51:80 -g -w 1',
        '-a -t 192.168.56.40:80 -r 192.168.56.52:80 -g -w 1',
        '-A -f 1001 -6 -s wlc',
        '-a -f 1001 -6 -r [2001:db8::51]:0 -i -w 1',
        '-a -f 1001 -6 -r [2001:db8::52]:0 -i -w 1',
    ]


def test_ipvs_services_checked_against_the_module_spec():
    hostvars, groups = cluster(2)
    services = virtual_services([WEB], hostvars, groups, realservers_group='lvs_colocated')
    services[0]['scheduler'] = 'nosuch'
    with pytest.raises(AnsibleFilterError, match=r'^lvs.ha.ipvs_services: .*scheduler'):
        ipvs_services(services)
