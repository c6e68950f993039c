"""Unit tests for plugins/module_utils/_keepalived.py: keepalived.conf's virtual_server blocks.

The services are the model's normalised form (what _model.normalise_services returns); the
expected text is written out by hand."""

from __future__ import annotations

from ansible_collections.lvs.ha.plugins.module_utils import _keepalived


def service(**change):
    base = {'name': 'web', 'vip': '192.168.56.40', 'port': 80, 'protocol': 'tcp', 'family': 'ipv4', 'fwmark': None,
            'scheduler': 'wlc', 'sched_flags': [], 'forwarding': 'dr', 'delay_loop': 6, 'persistent': None,
            'persistence_netmask': None, 'quorum': None, 'hysteresis': None, 'sorry_server': None,
            'inhibit_on_failure': False,
            'realservers': [{'name': 'rs1', 'address': '192.168.56.41', 'port': 80, 'weight': 1,
                             'upper_threshold': 0, 'lower_threshold': 0}],
            'health_checks': [{'type': 'tcp_check', 'connect_port': None, 'connect_timeout': 3, 'retry': 3,
                               'delay_before_retry': 2}]}
    base.update(change)
    return base


def test_no_services_no_text():
    assert _keepalived.virtual_servers([]) == ''


def test_one_tcp_service_with_its_default_check():
    assert _keepalived.virtual_servers([service()]) == '''
# service web
virtual_server 192.168.56.40 80 {
    protocol TCP
    lb_algo wlc
    lb_kind DR
    delay_loop 6

    real_server 192.168.56.41 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 3
            retry 3
            delay_before_retry 2
        }
    }
}
'''


def test_fwmark_ipv6_service_has_no_protocol_and_no_ports():
    text = _keepalived.virtual_servers([service(
        fwmark=8, family='ipv6', vip='2001:db8::40', scheduler='mh', sched_flags=['mh-port', 'mh-fallback'],
        sorry_server={'address': '2001:db8::9', 'port': 80}, health_checks=[],
        realservers=[{'name': 'rs1', 'address': '2001:db8::41', 'port': 80, 'weight': 2, 'upper_threshold': 0,
                      'lower_threshold': 0}])])
    assert text == '''
# service web
virtual_server fwmark 8 {
    ip_family inet6
    lb_algo mh
    lb_kind DR
    mh-port
    mh-fallback
    delay_loop 6
    sorry_server 2001:db8::9

    real_server 2001:db8::41 {
        weight 2
    }
}
'''


def test_every_service_option_and_checker():
    http = {'type': 'http_get', 'path': '/health', 'status_code': 204, 'digest': 'd41d8cd98f00b204e9800998ecf8427e',
            'virtualhost': 'www.example.org', 'connect_port': 8081, 'connect_timeout': 5, 'retry': 1,
            'delay_before_retry': 0}
    udp = {'type': 'udp_check', 'connect_port': None, 'connect_timeout': 3, 'payload': 'deadbeef',
           'require_reply': True, 'retry': 3, 'delay_before_retry': 2}
    dns = {'type': 'dns_check', 'connect_port': 5353, 'connect_timeout': 3, 'dns_type': 'A', 'dns_name': 'example.org',
           'retry': 3, 'delay_before_retry': 2}
    ping = {'type': 'ping_check', 'connect_timeout': 1, 'retry': 2, 'delay_before_retry': 1}
    misc = {'type': 'misc_check', 'misc_path': '/usr/local/bin/check --fast', 'misc_timeout': 4,
            'misc_dynamic': True, 'retry': 3, 'delay_before_retry': 2}
    text = _keepalived.virtual_servers([service(
        protocol='udp', forwarding='nat', scheduler='sh', sched_flags=['sh-port'], delay_loop=3, persistent=300,
        persistence_netmask='255.255.255.0', quorum=2, hysteresis=0, inhibit_on_failure=True,
        sorry_server={'address': '192.168.56.9', 'port': 8080},
        realservers=[{'name': 'rs1', 'address': '192.168.56.41', 'port': 8080, 'weight': 3, 'upper_threshold': 100,
                      'lower_threshold': 10}],
        health_checks=[http, udp, dns, ping, misc])])
    assert text == '''
# service web
virtual_server 192.168.56.40 80 {
    protocol UDP
    lb_algo sh
    lb_kind NAT
    sh-port
    delay_loop 3
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    quorum 2
    hysteresis 0
    sorry_server 192.168.56.9 8080

    real_server 192.168.56.41 8080 {
        weight 3
        inhibit_on_failure
        uthreshold 100
        lthreshold 10
        HTTP_GET {
            url {
                path /health
                status_code 204
                digest d41d8cd98f00b204e9800998ecf8427e
            }
            virtualhost www.example.org
            connect_port 8081
            connect_timeout 5
            retry 1
            delay_before_retry 0
        }
        UDP_CHECK {
            payload deadbeef
            require_reply
            connect_port 8080
            connect_timeout 3
            retry 3
            delay_before_retry 2
        }
        DNS_CHECK {
            type A
            name example.org
            connect_port 5353
            connect_timeout 3
            retry 3
            delay_before_retry 2
        }
        PING_CHECK {
            connect_timeout 1
            retry 2
            delay_before_retry 1
        }
        MISC_CHECK {
            misc_path "/usr/local/bin/check --fast"
            misc_timeout 4
            misc_dynamic
            retry 3
            delay_before_retry 2
        }
    }
}
'''


def test_services_follow_one_another_after_a_blank_line_in_their_order():
    text = _keepalived.virtual_servers([service(name='b', forwarding='tunnel', health_checks=[]),
                                        service(name='a', port=443, persistent=0, quorum=0, health_checks=[])])
    assert text.startswith('\n# service b\n') and '}\n\n# service a\n' in text and text.endswith('}\n')
    assert 'lb_kind TUN' in text and 'virtual_server 192.168.56.40 443 {' in text
    # persistence and quorum of 0 are off: no line
    assert 'persistence_timeout' not in text and 'quorum' not in text
