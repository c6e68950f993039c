# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived's virtual_server blocks, rendered from the model's normalised services.

One rendering of the model (docs/architecture.md): the ipvs module's rules and these blocks
come from the same services. The director role's keepalived.conf template inserts this text
as it is. It is rendered here, not in the template, because a director's fact then carries
one string instead of every service as a structure: on large tables Ansible spent seconds on
the structure each time it set or passed the fact. Every value was checked against the
schema's patterns before it reaches this module.
"""

from __future__ import annotations

LB_KIND = {'dr': 'DR', 'nat': 'NAT', 'tunnel': 'TUN'}


def _text(value):
    # As the template printed values (str() of each, as Jinja does)
    return str(value)


def _check(check, rs):
    out = ['        %s {' % check['type'].upper()]
    kind = check['type']
    if kind in ('http_get', 'ssl_get'):
        out += ['            url {',
                '                path %s' % _text(check['path']),
                '                status_code %s' % _text(check['status_code'])]
        if check.get('digest'):
            out.append('                digest %s' % _text(check['digest']))
        out.append('            }')
        if check.get('virtualhost'):
            out.append('            virtualhost %s' % _text(check['virtualhost']))
    if kind == 'udp_check':
        if check.get('payload'):
            out.append('            payload %s' % _text(check['payload']))
        if check.get('require_reply'):
            out.append('            require_reply')
    if kind == 'dns_check':
        out += ['            type %s' % _text(check['dns_type']),
                '            name %s' % _text(check['dns_name'])]
    if kind == 'misc_check':
        out.append('            misc_path "%s"' % _text(check['misc_path']))
        if check.get('misc_timeout'):
            out.append('            misc_timeout %s' % _text(check['misc_timeout']))
        if check.get('misc_dynamic'):
            out.append('            misc_dynamic')
    else:
        if kind != 'ping_check':
            out.append('            connect_port %s' % _text(check.get('connect_port') or rs['port']))
        out.append('            connect_timeout %s' % _text(check['connect_timeout']))
    out += ['            retry %s' % _text(check['retry']),
            '            delay_before_retry %s' % _text(check['delay_before_retry']),
            '        }']
    return out


def _service(service):
    fwmark = service.get('fwmark')
    out = ['', '# service %s' % _text(service['name'])]
    if fwmark is not None:
        out.append('virtual_server fwmark %s {' % _text(fwmark))
        if service['family'] == 'ipv6':
            out.append('    ip_family inet6')
    else:
        out += ['virtual_server %s %s {' % (_text(service['vip']), _text(service['port'])),
                '    protocol %s' % _text(service['protocol']).upper()]
    out += ['    lb_algo %s' % _text(service['scheduler']),
            '    lb_kind %s' % LB_KIND[service['forwarding']]]
    out += ['    %s' % _text(flag) for flag in service.get('sched_flags') or []]
    out.append('    delay_loop %s' % _text(service['delay_loop']))
    if service.get('persistent'):
        out.append('    persistence_timeout %s' % _text(service['persistent']))
        if service.get('persistence_netmask'):
            out.append('    persistence_granularity %s' % _text(service['persistence_netmask']))
    if service.get('quorum'):
        out.append('    quorum %s' % _text(service['quorum']))
    if service.get('hysteresis') is not None:
        out.append('    hysteresis %s' % _text(service['hysteresis']))
    sorry = service.get('sorry_server')
    if sorry:
        port = ' %d' % sorry['port'] if sorry.get('port') and fwmark is None else ''
        out.append('    sorry_server %s%s' % (_text(sorry['address']), port))
    for rs in service['realservers']:
        port = ' %d' % rs['port'] if fwmark is None else ''
        out += ['', '    real_server %s%s {' % (_text(rs['address']), port),
                '        weight %s' % _text(rs['weight'])]
        if service.get('inhibit_on_failure'):
            out.append('        inhibit_on_failure')
        if rs.get('upper_threshold'):
            out.append('        uthreshold %s' % _text(rs['upper_threshold']))
        if rs.get('lower_threshold'):
            out.append('        lthreshold %s' % _text(rs['lower_threshold']))
        # every checker must pass for the real server to be in the rotation
        for check in service.get('health_checks') or []:
            out += _check(check, rs)
        out.append('    }')
    out.append('}')
    return out


def virtual_servers(services):
    """keepalived.conf's virtual_server blocks of ``services`` (the model's normalised
    services, in their order), each after a blank line and a ``# service NAME`` comment;
    '' for none. Ends with a newline when not empty."""
    lines = []
    for service in services:
        lines += _service(service)
    return '\n'.join(lines) + '\n' if lines else ''
