# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host: IpvsadmRunner, the one place in the collection that executes ipvsadm, and
the two things the modules do with it, reconcile() and read_info().

PRIVATE module_utils: may change in any release without notice.
"""

from __future__ import annotations

import os

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import IpvsError
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import (
    merge_thresholds, parse_connections, parse_daemons, parse_list, parse_save, parse_timeouts, thresholds_all_zero,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import (
    diff, diff_texts, same_lines, same_thresholds, split_rules, summarize, threshold_keys,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

PROC_IP_VS = '/proc/net/ip_vs'
_NO_IPVS = "Can't initialize ipvs"
C_LOCALE = {'LANG': 'C', 'LC_ALL': 'C', 'LC_MESSAGES': 'C'}


def _complaint(text):
    """ipvsadm's own line about IPVS missing (its stderr starts with modprobe's)."""
    return next((line.strip() for line in text.splitlines() if _NO_IPVS in line), text.strip())


class IpvsadmRunner(object):
    """Runs ipvsadm through an AnsibleModule: argv lists, C locale, batches on stdin."""

    # Listing one service at a time is cheaper than the whole table up to about this many.
    PER_SERVICE_LIMIT = 8

    def __init__(self, module):
        self.module = module
        self._saved = None      # `ipvsadm -S -n` output that the next read() takes
        self.binary = module.get_bin_path('ipvsadm', opt_dirs=['/sbin', '/usr/sbin'])
        if not self.binary:
            raise IpvsError('ipvsadm is not installed on this host (not found in PATH, /sbin or '
                            '/usr/sbin); install the ipvsadm package')

    def _command(self, argv, data=None):
        return self.module.run_command(argv, data=data, environ_update=C_LOCALE)

    def run(self, args, data=None):
        """Run ipvsadm with `args`; returns stdout. IPVS missing in the kernel raises
        IpvsError saying so (after one `modprobe ip_vs` attempt); other failures too."""
        rc, out, err = self._command([self.binary] + args, data)
        if rc != 0 and _NO_IPVS in err + out:
            self._load_kernel_module(err + out)
            rc, out, err = self._command([self.binary] + args, data)
            if rc != 0 and _NO_IPVS in err + out:
                raise IpvsError('IPVS is not available in this kernel: ipvsadm says "%s" even after '
                                "'modprobe ip_vs' succeeded" % _complaint(err + out))
        if rc != 0:
            raise IpvsError('ipvsadm %s failed (rc=%d): %s' % (' '.join(args), rc, (err or out).strip()),
                            rc=rc, stdout=out, stderr=err)
        return out

    def _load_kernel_module(self, message):
        modprobe = self.module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
        reason = 'modprobe not found'
        if modprobe:
            rc, out, err = self._command([modprobe, 'ip_vs'])
            if rc == 0:
                return
            reason = "'modprobe ip_vs' failed: %s" % ' '.join((err or out).split())
        raise IpvsError('IPVS is not available in this kernel: ipvsadm says "%s"; %s'
                        % (_complaint(message), reason))

    def loaded(self):
        """Whether the ip_vs kernel module is loaded (or built in)."""
        return os.path.exists(PROC_IP_VS)

    def ensure_loadable(self):
        """Check, without loading it, that ip_vs can be loaded (for check mode)."""
        modprobe = self.module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
        if modprobe:
            rc, out, err = self._command([modprobe, '--dry-run', 'ip_vs'])
            if rc != 0:
                raise IpvsError('IPVS is not available in this kernel: %s is absent and '
                                "'modprobe --dry-run ip_vs' failed: %s" % (PROC_IP_VS, (err or out).strip()))

    def save(self):
        """`ipvsadm -S -n` as text, kept for the next read()."""
        self._saved = self.run(['-S', '-n'])
        return self._saved

    def read(self):
        """The current table from `ipvsadm -S -n` (thresholds unknown): what save() just
        read, or a new reading."""
        text, self._saved = self._saved, None
        return parse_save(self.run(['-S', '-n']) if text is None else text)

    def read_thresholds(self, table, keys):
        """Fill thresholds of the services `keys` in `table` from `-L -n --thresholds`."""
        if not keys:
            return table
        if len(keys) > self.PER_SERVICE_LIMIT:
            return merge_thresholds(table, parse_list(self.run(['-L', '-n', '--thresholds'])))
        for key in keys:
            merge_thresholds(table, parse_list(self.run(['-L', '-n', '--thresholds'] + key.args())))
        return table

    def apply(self, lines):
        """Feed rule lines to one `ipvsadm -R`. Returns (rc, stdout, stderr): -R goes on
        after a line the kernel refuses (printing the kernel's error) and its rc reflects
        only the last line, so callers look at stderr too, and re-read when it is not empty."""
        # The table was just read, so ipvsadm and the kernel module are known to work.
        return self._command([self.binary, '-R'], ''.join(line + '\n' for line in lines))


def read_info(runner, counters=True, connections=False):
    """The table with connection counts, thresholds and (with `counters`) traffic
    counters and rates, plus timeouts and sync daemons (and with `connections` the
    connection entries), as JSON-ready data.

    Configuration comes from `ipvsadm -S -n`, the rest from `ipvsadm -L -n` forms.
    Without ip_vs loaded nothing is read (and nothing is loaded): `loaded` is false.
    """
    if not runner.loaded():
        runner.ensure_loadable()
        info = {'loaded': False, 'services': [], 'rules': [], 'timeouts': None, 'sync_daemons': []}
        return dict(info, connections=[]) if connections else info
    saved = runner.run(['-S', '-n'])
    table = parse_save(saved)
    listings = [['--thresholds'], ['--persistent-conn']]
    if counters:
        listings += [['--stats', '--exact'], ['--rate', '--exact']]
    extra_services, extra_dests = {}, {}
    for flags in listings:
        for key, fields, destinations in parse_list(runner.run(['-L', '-n'] + flags)):
            if flags[0] in ('--stats', '--rate'):
                extra_services.setdefault(key, {})[flags[0][2:]] = fields
            for item in destinations:
                target = extra_dests.setdefault((key, item['address'], item['port']), {})
                for name, value in item.items():
                    if name not in ('address', 'port', 'weight'):
                        if flags[0] in ('--stats', '--rate'):
                            target.setdefault(flags[0][2:], {})[name] = value
                        else:
                            target[name] = value
    services = []
    for key, service in table.items():
        entry = service.to_dict(destinations=False)
        if counters:
            entry['stats'] = extra_services.get(key, {}).get('stats')
            entry['rates'] = extra_services.get(key, {}).get('rate')
        entry['destinations'] = []
        for dest in service.destinations.values():
            item = dest.to_dict()
            found = extra_dests.get((key, dest.address, dest.port), {})
            for name in ('upper_threshold', 'lower_threshold', 'active_connections',
                         'inactive_connections', 'persistent_connections'):
                item[name] = found.get(name)
            if counters:
                item['stats'] = found.get('stats')
                item['rates'] = found.get('rate')
            entry['destinations'].append(item)
        services.append(entry)
    info = {'loaded': True, 'services': services, 'rules': saved.splitlines(),
            'timeouts': parse_timeouts(runner.run(['-L', '-n', '--timeout'])),
            'sync_daemons': parse_daemons(runner.run(['-L', '-n', '--daemon']))}
    if connections:
        info['connections'] = parse_connections(runner.run(['-L', '-n', '-c']))
    return info


def rules_unchanged(runner, rules):
    """Whether the rule lines `rules` are exactly the live table in `ipvsadm -S -n`'s own
    words (in any order; -x/-y compared with `ipvsadm -L -n --thresholds`), told without
    parsing or validating either: lines the kernel holds already would change nothing.

    False tells nothing more: the caller validates and plans as usual, and its first read()
    takes the table read here. Loads nothing: False when ip_vs is not loaded.
    """
    if not runner.loaded():
        return False
    saved = runner.save()
    if not saved.strip():
        return not rules.strip()    # an empty table (lines that are only comments: planned as usual)
    if sorted(rules.splitlines()) == sorted(saved.splitlines()):
        return True     # verbatim, as `ipvsadm -S -n` printed them
    lines, thresholds = split_rules(rules)
    if not same_lines(lines, saved):
        return False
    if not thresholds:
        return True
    listing = runner.run(['-L', '-n', '--thresholds'])
    # the director role declares 0 wherever the inventory sets none: most often all are 0
    if not any(value for declared in thresholds.values() for value in declared.values()) and thresholds_all_zero(listing):
        return True
    return same_thresholds(thresholds, parse_list(listing))


def unchanged_result(diff_mode):
    """reconcile()'s result when there is nothing to do."""
    result = {'changed': False, 'commands': [], 'summary': summarize([])}
    if diff_mode:
        result['diff'] = diff_texts({}, [])
    return result


def _read(runner, desire):
    """Current table (with the thresholds the plan needs) and the desired state."""
    current = runner.read()
    wanted = desire(current)
    needed = threshold_keys(current, wanted[0])
    if needed:
        runner.read_thresholds(current, needed)
        wanted = desire(current)
    return current, wanted


def _confirm(runner, desired, purge, absent, absent_dests):
    """Read the table back after a batch that ipvsadm said something about; return the
    operations still missing (none when the table is as planned).

    The same read and plan as before the batch (`ipvsadm -S -n`, the thresholds where
    they matter, diff): what the plan still holds did not take effect.
    """
    after = runner.read()
    runner.read_thresholds(after, threshold_keys(after, desired))
    return diff(after, desired, purge, absent, absent_dests)


def reconcile(runner, desire, check_mode=False, diff_mode=False, purge=False):
    """Read the table, plan, apply the plan in one batch, confirm. The modules' core.

    `desire(current)` returns (desired table, absent_services, absent_destinations);
    it sees the current table so single-entry modules can keep what they do not manage.
    Returns a result dict: changed, commands, summary, and diff in diff mode; plus
    'current' and 'desired' tables for the caller's own return values (pop them).
    In check mode nothing mutating runs, and ip_vs is not loaded if it is absent.
    Raises IpvsError when ipvsadm fails or the table does not end as planned.
    """
    if check_mode and not runner.loaded():
        runner.ensure_loadable()
        current = {}
        wanted = desire(current)
    else:
        current, wanted = _read(runner, desire)
    desired, absent, absent_dests = wanted
    ops = diff(current, desired, purge, absent, absent_dests)
    lines = render(ops)
    result = {'changed': bool(ops), 'commands': lines, 'summary': summarize(ops),
              'current': current, 'desired': desired}
    if diff_mode:
        result['diff'] = diff_texts(current, ops)
    if not ops or check_mode:
        return result
    rc, out, err = runner.apply(lines)
    if rc == 0 and not err.strip():
        # ipvsadm -R prints an error for every line the kernel refuses and exits non-zero
        # on a line it cannot parse: a silent, successful batch was applied whole.
        return result
    remaining = render(_confirm(runner, desired, purge, absent, absent_dests))
    if remaining:
        said = ' '.join(err.split()) or 'no error printed'
        raise IpvsError('ipvsadm -R applied only part of the change: %d of %d lines did not take '
                        'effect (ipvsadm -R rc=%d): %s' % (len(remaining), len(lines), rc, said),
                        commands=lines, not_applied=remaining, rc=rc, stderr=err, stdout=out, changed=True)
    if rc != 0 or err.strip():
        result['warnings'] = ['ipvsadm -R reported (rc=%d) but the table matches: %s' % (rc, err.strip())]
    return result
