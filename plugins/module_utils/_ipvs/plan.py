# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan: what turns the current table into the desired one, as a list of operations.

PRIVATE module_utils: may change in any release without notice.

diff() compares two tables and returns Op objects, in the order they must run. Everything
the modules report besides the rule lines (the summary, the diff texts, the resulting
destination) is computed from those ops and the model, and simulate() applies ops to a
table as the kernel would. Rendering the ops as `ipvsadm -R` lines is the last step
(render.py), for running them and for the `commands` the modules return.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import SCHEDULERS, Destination, Service, ServiceKey, addr_port
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_save

# The verbs, named as the modules' `summary` counts them (ipvsadm's -A -E -D -a -e -d).
ADD_SERVICE, EDIT_SERVICE, DELETE_SERVICE = 'add_service', 'edit_service', 'delete_service'
ADD_SERVER, EDIT_SERVER, DELETE_SERVER = 'add_server', 'edit_server', 'delete_server'
VERBS = (ADD_SERVICE, EDIT_SERVICE, DELETE_SERVICE, ADD_SERVER, EDIT_SERVER, DELETE_SERVER)


class Op(NamedTuple):
    """One change to the table, what one `ipvsadm -R` line does. Immutable.

    `service` (add_service, edit_service) carries the settings to set; `dest` (add_server,
    edit_server, delete_server) the destination as it must end up (edit_server: with the
    thresholds to keep; a None threshold in add_server means 0, as in a line without -x/-y).
    A NamedTuple rather than a frozen dataclass: a plan can have tens of thousands of
    them, and a tuple is made in half the time.
    """

    verb: str
    key: ServiceKey
    service: Service | None = None
    dest: Destination | None = None


# Op(...) without NamedTuple's Python-level __new__, for the bulk of a plan from an empty table.
_new = tuple.__new__


def _tunnel_of(dest):
    if dest.forwarding != 'tunnel':
        return None
    kind = dest.tunnel_type or 'ipip'
    return (kind, dest.tunnel_port, None if kind == 'ipip' else dest.tunnel_checksum or 'nocsum')


def _settings_differ(have, want):
    return (have.forwarding != want.forwarding or have.weight != want.weight
            or _tunnel_of(have) != _tunnel_of(want))


def _thresholds_differ(have, want):
    for name in ('upper_threshold', 'lower_threshold'):
        wanted = getattr(want, name)
        if wanted is not None:
            current = getattr(have, name)
            if current is None:
                raise ValueError('thresholds of %s are unknown; read them first' % addr_port(*have.key))
            if current != wanted:
                return True
    return False


def _edited(have, want):
    """The destination an edit must set: `want`, keeping current unmanaged thresholds
    (an -e line resets what it omits)."""
    result = replace(want)
    for name in ('upper_threshold', 'lower_threshold'):
        if getattr(want, name) is None:
            current = getattr(have, name)
            if current is None:
                raise ValueError('thresholds of %s are unknown; read them first' % addr_port(*have.key))
            setattr(result, name, current)
    return result


def resulting_destination(have, want):
    """What destination `want` becomes when applied over `have` (None: a new one):
    unmanaged thresholds keep their current value (None if unread), or 0 when new."""
    result = replace(want)
    for name in ('upper_threshold', 'lower_threshold'):
        if getattr(want, name) is None:
            setattr(result, name, 0 if have is None else getattr(have, name))
    return result


def threshold_keys(current, desired):
    """Keys of services whose current thresholds diff() needs but `current` lacks.

    That is every service with an existing destination that declares a threshold or
    will be edited (an -e line resets thresholds it does not repeat).
    """
    keys = []
    for key, want in desired.items():
        have = current.get(key)
        if have is None:
            continue
        for dkey, dest in want.destinations.items():
            current_dest = have.destinations.get(dkey)
            if current_dest is None or current_dest.upper_threshold is not None:
                continue
            if (dest.upper_threshold is not None or dest.lower_threshold is not None
                    or _settings_differ(current_dest, dest)):
                keys.append(key)
                break
    return keys


def diff(current, desired, purge=False, absent_services=(), absent_destinations=()):
    """The ordered operations that turn `current` into `desired`.

    `desired` is a table; its services are made to match (added, or edited) and their
    listed destinations added or edited (never deleted and added again). With `purge`,
    services and destinations that `desired` does not list are deleted.
    `absent_services` (ServiceKeys) and `absent_destinations` ((ServiceKey, (address,
    port)) pairs) are deleted when present. Never a flush.

    Order, so that a batch cut short leaves a usable table: service adds and edits,
    destination edits, destination adds, destination deletes, service deletes (adding
    new real servers before removing old ones keeps a service served).
    """
    absent_services = set(absent_services)
    services, edits, adds, deletes, service_deletes = [], [], [], [], []
    for key, want in desired.items():
        have = current.get(key)
        if have is None:
            services.append(Op(ADD_SERVICE, key, want))
            adds.extend([_new(Op, (ADD_SERVER, key, None, dest)) for dest in want.destinations.values()])
            continue
        if have.settings() != want.settings():
            services.append(Op(EDIT_SERVICE, key, want))
        for dkey, dest in want.destinations.items():
            current_dest = have.destinations.get(dkey)
            if current_dest is None:
                adds.append(Op(ADD_SERVER, key, None, dest))
            elif _settings_differ(current_dest, dest) or _thresholds_differ(current_dest, dest):
                edits.append(Op(EDIT_SERVER, key, None, _edited(current_dest, dest)))
        if purge:
            deletes.extend([Op(DELETE_SERVER, key, None, dest) for dkey, dest in have.destinations.items()
                            if dkey not in want.destinations])
    for key, dkey in absent_destinations:
        have = current.get(key)
        gone = key in absent_services or (purge and key not in desired)
        if have is not None and dkey in have.destinations and not gone:
            deletes.append(Op(DELETE_SERVER, key, None, have.destinations[dkey]))
    for key in current:
        if key in absent_services or (purge and key not in desired):
            service_deletes.append(Op(DELETE_SERVICE, key))
    return services + edits + adds + deletes + service_deletes


def _named(op):
    """An op in words, for the simulator's errors."""
    if op.dest is None:
        return '%s %s' % (op.verb, op.key)
    return '%s %s -> %s' % (op.verb, op.key, addr_port(op.dest.address, op.dest.port))


def simulate(table, ops):
    """Apply operations to a table as the kernel would; returns a new table.

    Raises ValueError where the kernel would refuse an operation (adding what exists,
    editing or deleting what does not, an unknown scheduler, a lower threshold above the
    upper). The input table is not modified.
    """
    result = dict(table)
    copied = set()
    for op in ops:
        verb, key, settings, dest = op
        if settings is not None and settings.scheduler not in SCHEDULERS:
            raise ValueError('Scheduler or persistence engine not found: %s' % _named(op))
        if dest is not None and (dest.lower_threshold or 0) > (dest.upper_threshold or 0):
            raise ValueError('Numerical result out of range: %s' % _named(op))
        if verb == ADD_SERVICE:
            if key in result:
                raise ValueError('service %s already exists: %s' % (key, _named(op)))
            result[key] = replace(settings, destinations={})
            copied.add(key)
            continue
        if key not in result:
            raise ValueError('no service %s: %s' % (key, _named(op)))
        if verb == DELETE_SERVICE:
            del result[key]
            continue
        if key not in copied:
            old = result[key]
            result[key] = replace(old, destinations={k: replace(d) for k, d in old.destinations.items()})
            copied.add(key)
        service = result[key]
        if verb == EDIT_SERVICE:
            result[key] = replace(settings, destinations=service.destinations)
        elif verb == ADD_SERVER:
            if dest.key in service.destinations:
                raise ValueError('destination already exists: %s' % _named(op))
            service.destinations[dest.key] = _with_default_thresholds(dest)
        elif dest.key not in service.destinations:
            raise ValueError('no destination %s: %s' % (addr_port(*dest.key), _named(op)))
        elif verb == EDIT_SERVER:
            service.destinations[dest.key] = _with_default_thresholds(dest)
        else:
            del service.destinations[dest.key]
    return result


def _with_default_thresholds(dest):
    # An add or edit without a threshold (a line without -x/-y) sets it to 0.
    return replace(dest, upper_threshold=dest.upper_threshold or 0,
                   lower_threshold=dest.lower_threshold or 0)


def touched_keys(ops):
    """The service keys the operations touch, in first-touched order."""
    return list(dict.fromkeys(op.key for op in ops))


def summarize(ops):
    """Count the operations by verb (every verb, 0 when absent)."""
    counts = dict.fromkeys(VERBS, 0)
    for op in ops:
        counts[op.verb] += 1
    return counts


def diff_texts(current, ops):
    """Before/after of the services the operations touch, as `ipvsadm -S -n` lines, for diff mode."""
    keys = touched_keys(ops)
    after = simulate(current, ops)
    before_text = render_save({key: current[key] for key in keys if key in current})
    after_text = render_save({key: after[key] for key in keys if key in after})
    return {'before': ''.join(line + '\n' for line in before_text),
            'after': ''.join(line + '\n' for line in after_text),
            'before_header': 'ipvsadm -S -n (affected services)',
            'after_header': 'ipvsadm -S -n (affected services)'}


def split_rules(rules):
    """The `rules` text in `ipvsadm -S -n`'s own words, to compare without parsing.

    Returns (lines, thresholds): the rule lines with blank and comment lines dropped and
    spaces squeezed, each -a line without the -x/-y that end it (`ipvsadm -S -n` prints
    none), and those thresholds: {(service, real): {'-x': n, '-y': n}}, where service is
    the line's words between -a and -r, and real the word after -r.
    """
    lines, thresholds = [], {}
    for line in rules.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith('#'):
            continue
        if parts[0] == '-a':
            declared = {}
            while len(parts) > 4 and parts[-2] in ('-x', '-y') and parts[-2] not in declared and parts[-1].isdigit():
                declared[parts[-2]] = int(parts[-1])
                del parts[-2:]
            if declared and '-r' in parts[:-1]:
                at = parts.index('-r')
                thresholds[(' '.join(parts[1:at]), parts[at + 1])] = declared
        lines.append(' '.join(parts))
    return lines, thresholds


def same_lines(lines, saved):
    """Whether the rule `lines` of split_rules() are the lines of `saved` (`ipvsadm -S -n`
    output), in any order, each as often."""
    return sorted(lines) == sorted(' '.join(line.split()) for line in saved.splitlines() if line.strip())


def same_thresholds(thresholds, listed):
    """Whether every threshold in split_rules()' `thresholds` is the kernel's, as parse_list()
    read them from `ipvsadm -L -n --thresholds` (a destination not found there: not the same)."""
    have = {}
    for key, _fields, destinations in listed:
        name = key.name
        for item in destinations:
            have[(name, addr_port(item['address'], item['port']))] = {
                '-x': item.get('upper_threshold'), '-y': item.get('lower_threshold')}
    for where, declared in thresholds.items():
        kernel = have.get(where)
        if kernel is None or any(kernel[switch] != value for switch, value in declared.items()):
            return False
    return True
