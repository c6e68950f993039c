# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/_fwmark.py."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.module_utils import _fwmark
from ansible_collections.lvs.ha.plugins.module_utils._fwmark import FwmarkError


def nodes(count):
    return [{'host': 'n%d' % i, 'mac': '52:54:00:00:00:%02x' % i, 'interface': 'ens4'} for i in range(1, count + 1)]


def svc(name, mark, vip='192.168.56.40', port=80, protocol='tcp'):
    return {'name': name, 'fwmark': mark, 'vip': vip, 'family': 'ipv6' if ':' in vip else 'ipv4',
            'protocol': protocol, 'port': port}


@pytest.mark.parametrize('count', [2, 3, 5])
def test_view_excludes_every_other_node(count):
    for node in nodes(count):
        view = _fwmark.node_view(nodes(count), node['host'])
        assert len(view) == count - 1 and node['mac'] not in view


def test_node_view_errors():
    with pytest.raises(FwmarkError, match=r'host n9 is not a cluster node'):
        _fwmark.node_view(nodes(2), 'n9')
    bad = nodes(2)
    bad[1]['mac'] = 'zz'
    with pytest.raises(FwmarkError, match=r"lvs_mac: host n2 has no usable MAC address \('zz'\)"):
        _fwmark.node_view(bad, 'n1')
    dup = nodes(3)
    dup[2]['mac'] = dup[0]['mac']
    with pytest.raises(FwmarkError, match=r'hosts n1 and n3 have the same MAC address'):
        _fwmark.node_view(dup, 'n1')


def test_rules_and_renderings_three_nodes():
    out = _fwmark.fwmark_rules([svc('web', 1001), svc('dns', 1002, port=53, protocol='udp')], nodes(3), 'n2')
    assert out['exclude_macs'] == ['52:54:00:00:00:01', '52:54:00:00:00:03']
    assert out['rules'] == [
        {'service': 'web', 'mark': 1001, 'vip': '192.168.56.40', 'family': 'ipv4', 'protocol': 'tcp', 'port': 80},
        {'service': 'dns', 'mark': 1002, 'vip': '192.168.56.40', 'family': 'ipv4', 'protocol': 'udp', 'port': 53}]
    assert out['families'] == ['ipv4'] and out['ip6tables'] == ''
    assert out['iptables'] == (
        '*mangle\n'
        ':LVS-HA - [0:0]\n'
        '-A LVS-HA -m comment --comment "lvs-ha %s"\n'
        '-A LVS-HA -m mac --mac-source 52:54:00:00:00:01 -j RETURN\n'
        '-A LVS-HA -m mac --mac-source 52:54:00:00:00:03 -j RETURN\n'
        '-A LVS-HA -d 192.168.56.40/32 -p tcp -m tcp --dport 80 -j MARK --set-mark 1001\n'
        '-A LVS-HA -d 192.168.56.40/32 -p udp -m udp --dport 53 -j MARK --set-mark 1002\n'
        'COMMIT\n' % out['hash'])
    assert out['nft'] == (
        'table inet lvs_ha\n'
        'delete table inet lvs_ha\n'
        'table inet lvs_ha {\n'
        '  set cluster_macs {\n'
        '    type ether_addr\n'
        '    elements = { 52:54:00:00:00:01, 52:54:00:00:00:03 }\n'
        '  }\n'
        '  chain prerouting {\n'
        '    type filter hook prerouting priority mangle; policy accept;\n'
        '    counter comment "lvs-ha %s"\n'
        '    iifname "ens4" ether saddr @cluster_macs counter return\n'
        '    iifname "ens4" ip daddr 192.168.56.40 tcp dport 80 counter meta mark set 1001\n'
        '    iifname "ens4" ip daddr 192.168.56.40 udp dport 53 counter meta mark set 1002\n'
        '  }\n'
        '}\n' % out['hash'])
    assert out['marker'] == 'lvs-ha ' + out['hash']


def test_ipv6_rendering_and_single_node():
    out = _fwmark.fwmark_rules([svc('web6', 7, vip='2001:db8::40')], nodes(1), 'n1')
    assert out['exclude_macs'] == [] and out['iptables'] == '' and out['families'] == ['ipv6']
    assert '-A LVS-HA -d 2001:db8::40/128 -p tcp -m tcp --dport 80 -j MARK --set-mark 7' in out['ip6tables']
    assert 'elements' not in out['nft']
    assert 'ip6 daddr 2001:db8::40 tcp dport 80 counter meta mark set 7' in out['nft']


def test_hash_changes_with_the_rules_and_the_view():
    base = _fwmark.fwmark_rules([svc('web', 1001)], nodes(3), 'n1')['hash']
    assert _fwmark.fwmark_rules([svc('web', 1001)], nodes(3), 'n1')['hash'] == base
    assert _fwmark.fwmark_rules([svc('web', 1002)], nodes(3), 'n1')['hash'] != base
    assert _fwmark.fwmark_rules([svc('web', 1001)], nodes(3), 'n2')['hash'] != base


def test_rule_errors():
    with pytest.raises(FwmarkError, match=r'service web has no fwmark'):
        _fwmark.fwmark_rules([svc('web', None)], nodes(2), 'n1')
    with pytest.raises(FwmarkError, match=r'host n1\): fwmark 5 of service b collides with service a'):
        _fwmark.fwmark_rules([svc('a', 5), svc('b', 5, port=81)], nodes(2), 'n1')
    with pytest.raises(FwmarkError, match=r'service a needs a port'):
        _fwmark.fwmark_rules([svc('a', 5, port=None)], nodes(2), 'n1')
