# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one gate (``_model.cluster``) refuses bad input, naming the host, the option and the value.

Each row is one bad value of a public variable, a key of a service or check, or a host's
data, tried through the same entry the roles use. The message must name the option and
the value, and the host that evaluates it. ``test_filters.py`` and the modules' tests cover
the filters' and modules' own arguments; ``BAD_MODULE_OPTIONS`` here adds the IPVS layer's.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.lvs.ha.plugins.module_utils import _model
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import IpvsError, table_from_params
from ansible_collections.lvs.ha.plugins.module_utils._model import ModelError


def _host(address, mac, **extra):
    facts = {'ens4': {'ipv4': {'address': address, 'network': '192.168.56.0', 'broadcast': '192.168.56.255'},
                      'macaddress': mac, 'ipv6': []}}
    hv = {'lvs_interface': 'ens4', 'ansible_facts': facts}
    hv.update(extra)
    return hv


def inventory():
    hostvars = {
        'd1': _host('192.168.56.11', '52:54:00:00:00:11'), 'd2': _host('192.168.56.12', '52:54:00:00:00:12'),
        'r1': _host('192.168.56.21', '52:54:00:00:00:21'), 'r2': _host('192.168.56.22', '52:54:00:00:00:22'),
        'c1': _host('192.168.56.31', '52:54:00:00:00:31'), 'c2': _host('192.168.56.32', '52:54:00:00:00:32'),
    }
    groups = {'all': list(hostvars), 'lvs_directors': ['d1', 'd2'], 'lvs_realservers': ['r1', 'r2'],
              'lvs_colocated': ['c1', 'c2'], 'empty': []}
    return hostvars, groups


WEB = {'name': 'web', 'vip': '192.168.56.100', 'port': 80}
BASE = {'lvs_interface': 'ens4', 'lvs_virtual_services': [WEB]}
HOST = {'director': 'd1', 'realserver': 'r1', 'colocated': 'c1'}


def svc(**change):
    return {'lvs_virtual_services': [dict(WEB, **change)]}


def check(**change):
    return svc(health_check=dict({'type': 'http_get'}, **change))


# Injection attempts for every free string that reaches a file or a command.
INJECT = ["x'; reboot; '", 'x$(reboot)', 'x\n}', 'x{', 'x y']
# Commands may have plain arguments separated by spaces: the same without the space.
INJECT_CMD = INJECT[:4]
STRINGS = [
    ('director', 'lvs_interface'), ('director', 'lvs_vrrp_interface'), ('director', 'lvs_director_router_id'),
    ('director', 'lvs_director_script_user'), ('director', 'lvs_vrrp_instance_name'),
    ('colocated', 'lvs_colocated_chain'), ('colocated', 'lvs_colocated_nft_table'),
    ('realserver', 'lvs_interface'),
]

ROWS = []
for role, name in STRINGS:
    for value in INJECT:
        ROWS.append((role, {name: value}, None, name, value))
for value in INJECT:
    ROWS += [
        ('director', check(path='/' + value), None, 'health_check.path', value),
        ('director', check(virtualhost=value), None, 'health_check.virtualhost', value),
        ('director', {'lvs_vrrp_track_interfaces': [value]}, None, 'lvs_vrrp_track_interfaces[0].name', value),
        ('director', {'lvs_vrrp_auth_pass': value}, None, 'lvs_vrrp_auth_pass', value),
    ]
for value in INJECT_CMD:
    ROWS += [
        ('director', svc(health_check={'type': 'misc_check', 'misc_path': '/bin/' + value}), None,
         'health_check.misc_path', value),
        ('director', {'lvs_vrrp_notify': {'master': '/bin/' + value}}, None, 'lvs_vrrp_notify.master', value),
        ('director', {'lvs_vrrp_track_scripts': [{'name': 'chk', 'script': '/bin/' + value}]}, None,
         'lvs_vrrp_track_scripts[0].script', value),
        ('director', {'lvs_director_sysctls': {'net.ipv4.ip_forward': '1' + value}}, None,
         'lvs_director_sysctls.net.ipv4.ip_forward', value),
    ]

ROWS += [
    # names must match whole: a trailing newline does not pass
    ('director', svc(name='web\n'), None, '.name', 'web\\n'),
    ('director', {'lvs_director_router_id': 'lvs1\n'}, None, 'lvs_director_router_id', 'lvs1\\n'),
    ('director', {'lvs_vrrp_instance_name': 'lvs\n'}, None, 'lvs_vrrp_instance_name', 'lvs\\n'),
    ('director', {'lvs_director_sysctls': {'net.ipv4.ip_forward\n': 1}}, None, 'lvs_director_sysctls key',
     'net.ipv4.ip_forward\\n'),
    ('director', {'lvs_director_keepalived_extra_config': 'global_defs {\n'}, None,
     'lvs_director_keepalived_extra_config', 'global_defs {'),
    ('director', {'lvs_director_keepalived_extra_config': '}\nvrrp_instance x {'}, None,
     'lvs_director_keepalived_extra_config', '}'),
    ('director', {'lvs_director_keepalived_extra_config': 'a\x00b'}, None, 'lvs_director_keepalived_extra_config',
     'a\\x00b'),
    ('director', {'lvs_director_keepalived_extra_config': 'notify "/bin/x'}, None,
     'lvs_director_keepalived_extra_config', 'notify "/bin/x'),
    ('director', check(digest='XYZ'), None, 'health_check.digest', 'XYZ'),
    ('director', check(path='relative'), None, 'health_check.path', 'relative'),
    ('director', svc(realservers_group='a b'), None, 'realservers_group', 'a b'),
    ('director', {'lvs_vrrp_track_scripts': [{'name': 'Bad Name', 'script': '/bin/true'}]}, None,
     'lvs_vrrp_track_scripts[0].name', 'Bad Name'),
    ('director', {'lvs_vrrp_track_scripts': [{'name': 'chk', 'script': 'true'}]}, None,
     'lvs_vrrp_track_scripts[0].script', 'true'),
    ('director', {'lvs_vrrp_notify': {'primary': '/bin/true'}}, None, 'lvs_vrrp_notify', 'primary'),
    ('colocated', {'lvs_colocated_chain': 'PREROUTING'}, None, 'lvs_colocated_chain', 'PREROUTING'),
    ('colocated', {'lvs_colocated_chain': 'A' * 29}, None, 'lvs_colocated_chain', 'A' * 29),
    ('colocated', {'lvs_colocated_nft_table': '1table'}, None, 'lvs_colocated_nft_table', '1table'),
    ('director', {'lvs_interface': 'a' * 16}, None, 'lvs_interface', 'a' * 16),
    ('director', {'lvs_interface': '..'}, None, 'lvs_interface', '..'),
    ('director', {'lvs_interface': 'eth0:1'}, None, 'lvs_interface', 'eth0:1'),
    # MACs: a YAML 1.1 base-60 number, broadcast, multicast, zero, garbage
    ('colocated', None, {'c2': {'lvs_mac': 3121019171871}}, 'lvs_mac', '3121019171871'),
    ('colocated', None, {'c2': {'lvs_mac': 'ff:ff:ff:ff:ff:ff'}}, 'lvs_mac', 'ff:ff:ff:ff:ff:ff'),
    ('colocated', None, {'c2': {'lvs_mac': '01:00:5e:00:00:12'}}, 'lvs_mac', '01:00:5e:00:00:12'),
    ('colocated', None, {'c2': {'lvs_mac': '00:00:00:00:00:00'}}, 'lvs_mac', '00:00:00:00:00:00'),
    ('colocated', None, {'c2': {'lvs_mac': 'not-a-mac'}}, 'lvs_mac', 'not-a-mac'),
    ('colocated', None, {'c2': {'lvs_mac': '52:54:00:00:00:31'}}, 'lvs_mac', '52:54:00:00:00:31'),
    # VIPs
    ('director', svc(vip='0.0.0.0'), None, '.vip', '0.0.0.0'),
    ('director', svc(vip='224.0.0.18'), None, '.vip', '224.0.0.18'),
    ('director', svc(vip='127.0.0.1'), None, '.vip', '127.0.0.1'),
    ('director', svc(vip='255.255.255.255'), None, '.vip', '255.255.255.255'),
    ('director', svc(vip='fe80::1'), None, '.vip', 'fe80::1'),
    ('director', svc(vip='ff02::12'), None, '.vip', 'ff02::12'),
    ('director', svc(vip='192.168.56.0'), None, '.vip', '192.168.56.0'),
    ('director', svc(vip='192.168.56.255'), None, '.vip', '192.168.56.255'),
    ('director', svc(vip='192.168.56.12'), None, '.vip', '192.168.56.12'),
    ('director', svc(vip='192.168.56.21'), None, '.vip', '192.168.56.21'),
    ('director', svc(vip='192.168.56.100\n'), None, '.vip', '192.168.56.100\\n'),
    ('director', svc(vip=3232250980), None, '.vip', '3232250980'),
    ('director', svc(vip='2001:db8::100%eth0'), None, '.vip', '2001:db8::100%eth0'),
    ('director', svc(vip='010.0.0.1'), None, '.vip', '010.0.0.1'),
    ('director', None, {'r2': {'lvs_address': '192.168.56.22%ens4'}}, 'lvs_address', '192.168.56.22%ens4'),
    ('director', svc(sorry_server='2001:db8::9%lo 80', vip='2001:db8::100', realservers=['2001:db8::21']), None,
     'sorry_server.address', '2001:db8::9%lo'),
    ('director', {'lvs_vrrp_extra_vips': ['0.0.0.0']}, None, 'lvs_vrrp_extra_vips[0]', '0.0.0.0'),
    ('realserver', {'lvs_realserver_extra_vips': ['224.0.0.1']}, None, 'lvs_realserver_extra_vips[0]', '224.0.0.1'),
    # what the IPVS layer, the kernel or keepalived would refuse
    ('director', svc(scheduler='twos'), None, '.scheduler', 'twos'),
    ('director', svc(persistent=3000000), None, '.persistent', '3000000'),
    ('director', svc(persistent=0), None, '.persistent', '0'),
    ('director', svc(realservers=[{'host': 'r1', 'upper_threshold': 5, 'lower_threshold': 9}]), None,
     'lower_threshold', '9'),
    ('director', svc(realservers=[{'host': 'r1', 'lower_threshold': 9}]), None, 'lower_threshold', '9'),
    ('director', svc(realservers=[{'host': 'r1', 'weight': 65536}]), None, 'realservers[0].weight', '65536'),
    ('director', svc(realservers=[{'host': 'r1', 'upper_threshold': -1}]), None, 'upper_threshold', '-1'),
    ('director', svc(fwmark=7), None, '.port', '80'),
    ('director', svc(scheduler='wlc', sched_flags=['sh-port']), None, '.sched_flags', 'sh-port'),
    ('director', svc(sched_flags=['bogus']), None, 'sched_flags[0]', 'bogus'),
    ('director', svc(port=70000), None, '.port', '70000'),
    ('director', svc(port=0), None, '.port', '0'),
    ('director', svc(port='80x'), None, '.port', '80x'),
    ('director', svc(port=True), None, '.port', 'True'),
    ('director', svc(fwmark=0, port=None), None, '.fwmark', '0'),
    ('director', svc(fwmark=2 ** 32, port=None), None, '.fwmark', '4294967296'),
    ('director', svc(protocol='icmp'), None, '.protocol', 'icmp'),
    ('director', svc(forwarding='route'), None, '.forwarding', 'route'),
    ('director', svc(weight=-1), None, '.weight', '-1'),
    ('director', svc(delay_loop=0), None, '.delay_loop', '0'),
    ('director', svc(quorum=0), None, '.quorum', '0'),
    ('director', svc(persistent=300, persistence_netmask='255.0.255.0'), None, 'persistence_netmask', '255.0.255.0'),
    ('director', svc(persistent=300, persistence_netmask='33'), None, 'persistence_netmask', '33'),
    ('director', svc(persistence_netmask='24'), None, 'persistence_netmask', '24'),
    ('director', svc(realserver_port=8080), None, 'realserver_port', '8080'),
    ('director', svc(inhibit_on_failure='maybe'), None, 'inhibit_on_failure', 'maybe'),
    ('director', svc(sorry_server='192.168.56.9 80 x'), None, 'sorry_server', '192.168.56.9 80 x'),
    ('director', svc(sorry_server={'address': '2001:db8::9'}), None, 'sorry_server.address', '2001:db8::9'),
    ('director', svc(sorry_server={'address': '192.168.56.9', 'port': 99999}), None, 'sorry_server.port', '99999'),
    ('director', check(status_code=99), None, 'health_check.status_code', '99'),
    ('director', check(connect_timeout=0), None, 'health_check.connect_timeout', '0'),
    ('director', check(retry=-1), None, 'health_check.retry', '-1'),
    ('director', check(type='smtp_check'), None, 'health_check.type', 'smtp_check'),
    ('director', svc(protocol='udp', health_check={'type': 'udp_check', 'payload': 'abc'}), None,
     'health_check.payload', 'abc'),
    ('director', svc(protocol='udp', health_check={'type': 'dns_check', 'dns_name': 'x; y'}), None,
     'health_check.dns_name', 'x; y'),
    ('director', svc(protocol='udp', health_check={'type': 'dns_check', 'dns_type': 'ANY'}), None,
     'health_check.dns_type', 'ANY'),
    ('director', svc(health_check=['tcp_check', 'none']), None, 'health_check[1]', 'none'),
    ('director', svc(health_check=['tcp_check', 'udp_check']), None, 'health_check[1]', 'udp_check'),
    ('director', svc(protocol='sctp', health_check='dns_check'), None, 'health_check', 'sctp'),
    ('director', check(misc_path='/bin/true'), None, 'health_check', 'misc_path'),
    ('director', svc(protocol='udp', health_check='tcp_check'), None, 'health_check', 'udp'),
    ('director', svc(prot='tcp'), None, 'lvs_virtual_services[0] (web)', 'prot'),
    ('director', svc(name='Web!'), None, '.name', 'Web!'),
    ('director', {'lvs_virtual_services': [WEB, dict(WEB, name='web2')]}, None, 'lvs_virtual_services[1] (web2)',
     'web'),
    ('director', {'lvs_virtual_services': [WEB, WEB]}, None, 'lvs_virtual_services[1] (web)', 'web'),
    ('director', {'lvs_virtual_services': 'web'}, None, 'lvs_virtual_services', 'web'),
    ('director', {'lvs_virtual_services': ['web']}, None, 'lvs_virtual_services[0]', 'web'),
    ('director', svc(realservers='r1'), None, '.realservers', 'r1'),
    ('director', svc(realservers=['r9']), None, 'realservers[0].host', 'r9'),
    ('director', svc(realservers=[{'host': 'r1', 'address': '192.168.56.21'}]), None, 'realservers[0]', 'r1'),
    ('director', svc(realservers=['2001:db8::1']), None, 'realservers[0].address', '2001:db8::1'),
    ('director', svc(realservers=['r1', '192.168.56.21']), None, 'lvs_virtual_services[0] (web)', '192.168.56.21'),
    ('director', svc(realservers_group='nosuch'), None, 'realservers_group', 'nosuch'),
    ('director', svc(weight=0), None, 'lvs_virtual_services[0] (web)', '0'),
    # strings where lists belong
    ('director', {'lvs_director_drained': 'r1'}, None, 'lvs_director_drained', 'r1'),
    ('director', {'lvs_director_removed': 'r1'}, None, 'lvs_director_removed', 'r1'),
    ('director', {'lvs_vrrp_extra_vips': '192.168.56.101'}, None, 'lvs_vrrp_extra_vips', '192.168.56.101'),
    ('realserver', {'lvs_realserver_extra_vips': '192.168.56.101'}, None, 'lvs_realserver_extra_vips',
     '192.168.56.101'),
    ('director', {'lvs_vrrp_track_scripts': {'name': 'x'}}, None, 'lvs_vrrp_track_scripts', 'x'),
    # VRRP: ranges, versions, peers that disagree
    ('director', {'lvs_vrrp_virtual_router_id': 256}, None, 'lvs_vrrp_virtual_router_id', '256'),
    ('director', {'lvs_vrrp_virtual_router_id': 0}, None, 'lvs_vrrp_virtual_router_id', '0'),
    ('director', {'lvs_vrrp_advert_int': 0}, None, 'lvs_vrrp_advert_int', '0'),
    ('director', {'lvs_vrrp_advert_int': 256}, None, 'lvs_vrrp_advert_int', '256'),
    ('director', {'lvs_vrrp_advert_int': 1.5}, None, 'lvs_vrrp_advert_int', '1.5'),
    ('director', {'lvs_vrrp_version': 3, 'lvs_vrrp_advert_int': 41}, None, 'lvs_vrrp_advert_int', '41'),
    ('director', {'lvs_vrrp_version': 3, 'lvs_vrrp_advert_int': 0.005}, None, 'lvs_vrrp_advert_int', '0.005'),
    ('director', {'lvs_vrrp_version': 3, 'lvs_vrrp_advert_int': 'fast'}, None, 'lvs_vrrp_advert_int', 'fast'),
    ('director', {'lvs_vrrp_version': 4}, None, 'lvs_vrrp_version', '4'),
    ('director', {'lvs_vrrp_version': 3, 'lvs_vrrp_auth_pass': 'secret'}, None, 'lvs_vrrp_auth_pass', 'secret'),
    ('director', {'lvs_vrrp_auth_pass': 'far-too-long'}, None, 'lvs_vrrp_auth_pass', 'far-too-long'),
    ('director', {'lvs_vrrp_auth_pass': 'secret',
                  'lvs_virtual_services': [dict(WEB, vip='2001:db8::100', realservers=['2001:db8::21'])]},
     None, 'lvs_vrrp_auth_pass', 'secret'),
    ('director', {'lvs_vrrp_state': 'leader'}, None, 'lvs_vrrp_state', 'leader'),
    ('director', {'lvs_vrrp_state': 'MASTER', 'lvs_vrrp_nopreempt': True}, None, 'lvs_vrrp_nopreempt', 'MASTER'),
    ('director', {'lvs_vrrp_preempt_delay': 1001}, None, 'lvs_vrrp_preempt_delay', '1001'),
    ('director', {'lvs_vrrp_priority': 255}, None, 'lvs_vrrp_priority', '255'),
    ('director', None, {'d2': {'lvs_vrrp_priority': 150}}, 'lvs_vrrp_priority', '150'),
    ('director', None, {'d2': {'lvs_vrrp_virtual_router_id': 52}}, 'lvs_vrrp_virtual_router_id', '52'),
    ('director', None, {'d2': {'lvs_vrrp_advert_int': 2}}, 'lvs_vrrp_advert_int', '2'),
    ('director', None, {'d2': {'lvs_vrrp_version': 3}}, 'lvs_vrrp_version', '3'),
    ('director', None, {'d2': {'lvs_vrrp_auth_pass': 'other'}}, 'lvs_vrrp_auth_pass', 'other'),
    ('director', None, {'d2': {'lvs_vrrp_unicast': True}}, 'lvs_vrrp_unicast', 'True'),
    ('director', None, {'d2': {'lvs_vrrp_instance_name': 'other'}}, 'lvs_vrrp_instance_name', 'other'),
    ('director', {'lvs_vrrp_track_interfaces': [{'name': 'ens5', 'weight': 300}]}, None,
     'lvs_vrrp_track_interfaces[0].weight', '300'),
    ('director', {'lvs_vrrp_track_scripts': [{'name': 'chk', 'script': '/bin/true', 'interval': 0}]}, None,
     'lvs_vrrp_track_scripts[0].interval', '0'),
    ('director', {'lvs_director_sync_daemon': True, 'lvs_director_sync_daemon_id': 256}, None,
     'lvs_director_sync_daemon_id', '256'),
    ('director', {'lvs_director_sync_daemon': True, 'lvs_director_ipvs_driver': 'none'}, None,
     'lvs_director_sync_daemon', 'none'),
    ('director', {'lvs_director_ipvs_driver': 'lvs'}, None, 'lvs_director_ipvs_driver', 'lvs'),
    ('director', {'lvs_director_vrrp_firewall': 'ufw'}, None, 'lvs_director_vrrp_firewall', 'ufw'),
    ('director', {'lvs_fwmark_base': 0}, None, 'lvs_fwmark_base', '0'),
    ('director', {'lvs_director_sysctls': {'net.ipv4.ip_forward': '1 $(id)'}}, None, 'lvs_director_sysctls', '$(id)'),
    ('director', {'lvs_director_sysctls': ['net.ipv4.ip_forward=1']}, None, 'lvs_director_sysctls',
     'net.ipv4.ip_forward=1'),
    ('director', {'lvs_director_ipvs_purge': 'perhaps'}, None, 'lvs_director_ipvs_purge', 'perhaps'),
    # groups and hosts
    ('director', {'lvs_directors_group': 'nosuch'}, None, 'lvs_directors_group', 'nosuch'),
    ('director', {'lvs_directors_group': 'lvs_realservers'}, None, 'lvs_directors_group', 'lvs_realservers'),
    ('director', {'lvs_realservers_group': 'lvs_directors'}, None, 'lvs_realservers_group', 'lvs_directors'),
    ('director', {'lvs_directors_group': 'lvs directors'}, None, 'lvs_directors_group', 'lvs directors'),
    ('colocated', {'lvs_colocated_group': 'empty'}, None, 'lvs_directors_group', 'empty'),
    ('realserver', {'lvs_realservers_group': 'nosuch'}, None, 'realservers_group', 'nosuch'),
    ('director', {'lvs_vrrp_advert_interval': 2}, None, 'lvs_vrrp_advert_interval', '2'),
    ('realserver', {'lvs_realserver_arp_ignore': 9}, None, 'lvs_realserver_arp_ignore', '9'),
    ('realserver', {'lvs_realserver_arp_announce': 3}, None, 'lvs_realserver_arp_announce', '3'),
    ('realserver', {'lvs_realserver_test_page': 'sometimes'}, None, 'lvs_realserver_test_page', 'sometimes'),
    ('realserver', {'lvs_interface': None}, None, 'lvs_interface', 'None'),
    ('realserver', svc(forwarding='tunnel', vip='2001:db8::100', realservers=[{'host': 'r1', 'address': None}]),
     {'r1': {'lvs_address6': '2001:db8::21'}}, 'lvs_virtual_services', 'r1'),
    ('director', None, {'r2': {'lvs_address': '2001:db8::22'}}, 'lvs_address', '2001:db8::22'),
    ('director', None, {'r2': {'lvs_address': 'rs2.example.com'}}, 'lvs_address', 'rs2.example.com'),
    # the playbooks' variables (lvs.ha.switchover, lvs.ha.rolling_upgrade)
    ('director', {'lvs_switchover_to': 'r1'}, None, 'lvs_switchover_to', 'r1'),
    ('director', {'lvs_switchover_off': 'nosuch'}, None, 'lvs_switchover_off', 'nosuch'),
    ('colocated', {'lvs_switchover_to': 'd1'}, None, 'lvs_switchover_to', 'd1'),
    ('director', {'lvs_switchover_to': 'd2; reboot'}, None, 'lvs_switchover_to', 'd2; reboot'),
    ('director', {'lvs_switchover_to': 'd2', 'lvs_switchover_reset': True}, None, 'lvs_switchover_reset', 'True'),
    ('director', {'lvs_switchover_to': 'd2', 'lvs_vrrp_nopreempt': True}, None, 'lvs_switchover_to', 'd2'),
    ('director', {'lvs_switchover_reset': 'maybe'}, None, 'lvs_switchover_reset', 'maybe'),
    ('director', {'lvs_switchover_timeout': 0}, None, 'lvs_switchover_timeout', '0'),
    ('director', {'lvs_upgrade_packages': ['keepalived', 'x; reboot']}, None, 'lvs_upgrade_packages[1]',
     'x; reboot'),
    ('director', {'lvs_upgrade_packages': 'keepalived'}, None, 'lvs_upgrade_packages', 'keepalived'),
    ('director', {'lvs_upgrade_restart': 'sometimes'}, None, 'lvs_upgrade_restart', 'sometimes'),
    ('director', {'lvs_switchover_too': 'd2'}, None, 'lvs_switchover_too', 'd2'),
]


@pytest.mark.parametrize('role, settings, hostvars_change, option, value', ROWS,
                         ids=['%d-%s' % (i, row[3]) for i, row in enumerate(ROWS)])
def test_bad_input_is_refused_naming_host_option_and_value(role, settings, hostvars_change, option, value):
    hostvars, groups = inventory()
    for name, change in (hostvars_change or {}).items():
        hostvars[name].update(change)
    merged = dict(copy.deepcopy(BASE), **(settings or {}))
    host = HOST[role]
    with pytest.raises(ModelError) as err:
        _model.cluster(merged, hostvars, groups, host, role)
    message = str(err.value)
    assert 'host ' in message, message
    assert option in message, message
    assert value in message or repr(value)[1:-1] in message, message


def test_the_table_is_large():
    assert len(ROWS) >= 120


def test_good_input_passes_for_each_role():
    hostvars, groups = inventory()
    for role, host in HOST.items():
        view = _model.cluster(dict(BASE), hostvars, groups, host, role)
        assert view['host'] == host and view['role'] == role


def test_a_second_computation_with_the_same_inputs_returns_the_first():
    hostvars, groups = inventory()
    first = _model.cluster(dict(BASE), hostvars, groups, 'd1', 'director')
    assert _model.cluster(dict(BASE), hostvars, groups, 'd1', 'director', previous=first) is first
    other = _model.cluster(dict(BASE, lvs_director_drained=['r1']), hostvars, groups, 'd1', 'director',
                           previous=first)
    assert other is not first and 'weight 0' in other['keepalived_services']
    assert 'weight 0' not in first['keepalived_services']


def test_services_as_structures_only_when_asked_for():
    hostvars, groups = inventory()
    compact = _model.cluster(dict(BASE), hostvars, groups, 'd1', 'director')
    assert 'services' not in compact
    full = _model.cluster(dict(BASE, lvs_director_drained=['r1']), hostvars, groups, 'd1', 'director',
                          with_services=True)
    assert [(r['name'], r['weight']) for r in full['services'][0]['realservers']] == [('r1', 0), ('r2', 1)]
    # asking for them is part of the inputs: a result without them is not reused for a caller that asks
    assert _model.cluster(dict(BASE), hostvars, groups, 'd1', 'director', previous=compact,
                          with_services=True)['fingerprint'] != compact['fingerprint']


def test_director_summaries():
    hostvars, groups = inventory()
    services = [WEB,
                {'name': 'nat6', 'vip': '2001:db8::100', 'port': 80, 'forwarding': 'nat',
                 'realservers': [{'address': '2001:db8::21', 'port': 8080}]},
                {'name': 'nat', 'vip': '192.168.56.101', 'port': 80, 'forwarding': 'nat',
                 'realservers': [{'host': 'r2', 'port': 8080}, {'address': '192.168.56.23'}]}]
    view = _model.cluster(dict(BASE, lvs_virtual_services=services), hostvars, groups, 'd1', 'director')
    assert view['service_names'] == ['web', 'nat6', 'nat']
    assert view['nat_families'] == ['ipv4', 'ipv6']
    assert view['realserver_addresses'] == {'r1': ['192.168.56.21'], 'r2': ['192.168.56.22'],
                                            '2001:db8::21': ['2001:db8::21'], '192.168.56.23': ['192.168.56.23']}
    assert view['keepalived_services'].count('virtual_server ') == 3
    other = _model.cluster(dict(BASE, lvs_director_ipvs_driver='ipvsadm'), hostvars, groups, 'd1', 'director')
    assert other['keepalived_services'] == '' and other['nat_families'] == [] and other['service_names'] == ['web']


BAD_MODULE_OPTIONS = [
    ({'address': '192.168.56.100', 'port': 80, 'scheduler': 'twos'}, 'scheduler', 'twos'),
    ({'address': '192.168.56.100', 'port': 80, 'persistent': 3000000}, 'persistent', '3000000'),
    ({'address': '192.168.56.100', 'port': 80, 'destinations': [
        {'address': '192.168.56.21', 'upper_threshold': 5, 'lower_threshold': 9}]}, 'lower_threshold', '9'),
    ({'address': '192.168.56.100', 'port': 80, 'destinations': [
        {'address': '192.168.56.21', 'lower_threshold': 9}]}, 'lower_threshold', '9'),
    ({'fwmark': 5, 'port': 80}, 'port', '80'),
    ({'address': '192.168.56.100', 'port': 80, 'destinations': [
        {'address': '192.168.56.21', 'weight': 70000}]}, 'weight', '70000'),
]


@pytest.mark.parametrize('service, option, value', BAD_MODULE_OPTIONS)
def test_the_ipvs_layer_refuses_what_the_model_refuses(service, option, value):
    with pytest.raises(IpvsError) as err:
        table_from_params([service])
    assert option in str(err.value) and value in str(err.value)


def test_the_ipvsadm_driver_warns_that_nothing_checks_the_real_servers():
    hostvars, groups = inventory()
    quiet = _model.cluster(dict(BASE), hostvars, groups, 'd1', 'director')
    loud = _model.cluster(dict(BASE, lvs_director_ipvs_driver='ipvsadm'), hostvars, groups, 'd1', 'director')
    assert quiet['warnings'] == []
    assert len(loud['warnings']) == 1 and 'nothing checks the real servers of web' in loud['warnings'][0]


def test_the_filter_reads_any_mapping_and_sequence_as_the_model_reads_dicts_and_lists():
    """Ansible hands a filter its own containers (lazy ones since 2.19): the filter copies
    them into plain dicts and lists once, so the result and its fingerprint are the same."""
    from types import MappingProxyType  # pylint: disable=import-outside-toplevel

    from ansible_collections.lvs.ha.plugins.filter.cluster import cluster  # pylint: disable=import-outside-toplevel
    hostvars, groups = inventory()
    plain = _model.cluster({'lvs_interface': 'ens4', 'lvs_virtual_services': [dict(WEB, realservers=['r1', 'r2'])]},
                           hostvars, groups, 'd1', 'director')
    wrapped = MappingProxyType({'lvs_interface': 'ens4',
                                'lvs_virtual_services': (MappingProxyType(dict(WEB, realservers=('r1', 'r2'))),)})
    with pytest.raises(ModelError, match='must be a mapping'):
        _model.cluster(wrapped, hostvars, groups, 'd1', 'director')
    view = cluster(wrapped, hostvars, groups, 'd1', 'director')
    assert view == plain
    assert cluster(wrapped, hostvars, groups, 'd1', 'director', fingerprint_only=True) == plain['fingerprint']
