# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Rendering: operations and tables as ipvsadm rule lines.

PRIVATE module_utils: may change in any release without notice.

The last step: lines are made to be fed to `ipvsadm -R` (run.py), returned as the
modules' `commands`, and shown in diff mode; nothing reads them back.
"""

from __future__ import annotations

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import addr_port, netmask_text

FORWARDING_SWITCH = {'dr': '-g', 'tunnel': '-i', 'nat': '-m'}
# The ipvsadm command of each verb of plan.Op.
VERB_SWITCH = {'add_service': '-A', 'edit_service': '-E', 'delete_service': '-D',
               'add_server': '-a', 'edit_server': '-e', 'delete_server': '-d'}


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
            parts += ['-M', netmask_text(service.netmask, service.key.family)]
    if service.persistence_engine:
        parts += ['--pe', service.persistence_engine]
    if service.one_packet:
        parts.append('-o')
    if service.sched_flags:
        parts += ['-b', ','.join(service.sched_flags)]
    return ' '.join(parts)


def render_destination(command, key, dest):
    """One -a/-e/-d line for destination `dest` of the service `key`."""
    real = addr_port(dest.address, dest.port)
    if command == '-d':
        return '-d %s -r %s' % (key.name, real)
    line = '%s %s -r %s %s -w %d' % (command, key.name, real, FORWARDING_SWITCH[dest.forwarding], dest.weight)
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


def render_op(op):
    """The `ipvsadm -R` line of one plan.Op."""
    if op.dest is not None:
        return render_destination(VERB_SWITCH[op.verb], op.key, op.dest)
    return render_service(VERB_SWITCH[op.verb], op.service or op.key)


def render(ops):
    """The `ipvsadm -R` lines of a plan, in its order (render_op of each, inlined: a plan
    from an empty table has a line per destination)."""
    lines = []
    append = lines.append
    for verb, key, service, dest in ops:
        if dest is not None:
            append(render_destination(VERB_SWITCH[verb], key, dest))
        else:
            append(render_service(VERB_SWITCH[verb], service or key))
    return lines


def render_save(table):
    """The table as `ipvsadm -S -n` lines (plus -x/-y where thresholds are known and set)."""
    lines = []
    for service in table.values():
        lines.append(render_service('-A', service))
        lines.extend(render_destination('-a', service.key, dest) for dest in service.destinations.values())
    return lines


def render_rules(table, zero_thresholds=True):
    """The table as the ipvs module's `rules`: `ipvsadm -S -n` lines plus -x/-y for every
    threshold that is managed (not None); with `zero_thresholds` false, thresholds of 0 are
    left out too (left unmanaged: the module then reads thresholds only where some are set)."""
    lines = []
    append = lines.append
    for service in table.values():
        append(render_service('-A', service))
        name = service.key.name
        for dest in service.destinations.values():
            line = '-a %s -r %s %s -w %d' % (name, addr_port(dest.address, dest.port),
                                             FORWARDING_SWITCH[dest.forwarding], dest.weight)
            for switch, value in (('-x', dest.upper_threshold), ('-y', dest.lower_threshold)):
                if value is not None and (value or zero_thresholds):
                    line += ' %s %d' % (switch, value)
            if dest.forwarding == 'tunnel' and dest.tunnel_type not in (None, 'ipip'):
                line += ' --tun-type ' + dest.tunnel_type
                if dest.tunnel_port is not None:
                    line += ' --tun-port %d' % dest.tunnel_port
                line += ' --tun-' + (dest.tunnel_checksum or 'nocsum')
            append(line)
    return ''.join(line + '\n' for line in lines)
