# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark lvs.ha.ipvs against raw ipvsadm on a lab guest, and its diff natively.

    .venv/bin/python benchmarks/ipvs_reconcile.py [--services 1000] [--destinations 10] [--sample 500] [--repeat 3]

Run as root after `make setup`. Uses the lab's `single` scenario as LAB_NAME (default
lvsha-bench): brings it up if it is down and takes it down again at the end.

On the guest, in the same run, for a table of SERVICES x DESTINATIONS:
  - one raw `ipvsadm -R` of the module's own lines, from an empty table;
  - one `ipvsadm` process per line on a sample of SAMPLE lines, extrapolated;
  - the module itself (its AnsiballZ payload run on the guest: Python start, argument
    validation, read, diff, one -R batch, read back): from empty, with no change, and
    with one weight changed;
  - the same as an Ansible task from the controller (SSH, transfer, everything).
On this machine: parse of the guest's recorded `ipvsadm -S -n` plus validation of the
declared table plus diff, i.e. the module's work for a no-change run without a kernel.
Prints medians of REPEAT runs (the guest is QEMU without KVM, so about ten times slower
than native; compare the columns with each other, not with bare metal).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, 'tests', 'lab', 'lab')
GUEST = 'ipvs1'
WORK = '/root/lvsha-bench'


def table(services, destinations):
    """The declared table: services on 10.1.x.y:80, each with its own real servers."""
    result = []
    for index in range(services):
        result.append({
            'address': '10.1.%d.%d' % (index // 250, index % 250 + 1), 'port': 80, 'scheduler': 'wlc',
            'destinations': [{'address': '10.2.%d.%d' % ((index * destinations + n) // 250,
                                                         (index * destinations + n) % 250 + 1)}
                             for n in range(destinations)],
        })
    return result


def lab(*args, **kwargs):
    return subprocess.run([LAB] + list(args), check=True, **kwargs)


def guest(command, stdin=None):
    """Run a shell command on the guest; returns stdout."""
    return lab('ssh', GUEST, command, input=stdin, stdout=subprocess.PIPE, text=True).stdout


def timed(command, stdin=None):
    """Wall time of a shell command on the guest, measured on the guest; and its stdout."""
    script = ('import subprocess, sys, time\n'
              't = time.perf_counter()\n'
              'r = subprocess.run(["bash", "-c", sys.argv[1]], stdout=subprocess.PIPE)\n'
              'print("%.6f" % (time.perf_counter() - t))\n'
              'sys.stdout.write(r.stdout.decode())\n'
              'sys.exit(r.returncode)\n')
    out = guest('python3 -c %s %s' % (shlex.quote(script), shlex.quote(command)), stdin)
    first, _sep, rest = out.partition('\n')
    return float(first), rest


def median(values):
    return statistics.median(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--services', type=int, default=1000)
    parser.add_argument('--destinations', type=int, default=10)
    parser.add_argument('--sample', type=int, default=500)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--json', help='also write the figures to this file')
    options = parser.parse_args()

    sys.path.insert(0, os.path.join(REPO, 'build', 'collections'))
    from ansible_collections.lvs.ha.plugins.module_utils import _ipvs  # pylint: disable=import-outside-toplevel

    os.environ.setdefault('LAB_NAME', 'lvsha-bench')
    os.environ['PATH'] = os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ['PATH']
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(REPO, 'build', 'collections')
    os.environ['ANSIBLE_CONFIG'] = os.path.join(REPO, 'tests', 'ansible.cfg')
    state = os.path.join(REPO, '.cache', 'lab', os.environ['LAB_NAME'])
    inventory = os.path.join(state, 'inventory.yml')

    services = table(options.services, options.destinations)
    desired, _absent = _ipvs.table_from_params(services)
    lines = _ipvs.diff({}, desired)
    batch = ''.join(line + '\n' for line in lines)
    # A sample that stands alone: the first lines in saved order (each service, then its servers).
    sample = ''.join(line + '\n' for line in _ipvs.render_save(desired)[:options.sample])
    changed = json.loads(json.dumps(services))
    changed[options.services // 2]['destinations'][options.destinations // 2]['weight'] = 7

    started = not os.path.exists(os.path.join(state, 'scenario'))
    if started:
        lab('up', 'single')
    figures = {'services': options.services, 'destinations': options.destinations, 'lines': len(lines),
               'sample': options.sample, 'repeat': options.repeat}
    try:
        guest('rm -rf %s && mkdir -p %s && cat > %s/batch && ipvsadm -C' % (WORK, WORK, WORK), batch)
        guest('cat > %s/sample' % WORK, sample)
        figures['guest'] = guest('echo "$(uname -r), $(ipvsadm --version), $(nproc) vCPU"').strip()

        # The module's AnsiballZ payload, kept on the guest and exploded for `execute`.
        env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_PIPELINING='False')
        lab('exec', 'ansible', '-i', inventory, GUEST, '-m', 'lvs.ha.ipvs', '-a', '{"services": []}',
            '--check', env=env, stdout=subprocess.DEVNULL)
        payload = guest('ls -t /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_ipvs.py | head -1').strip()
        guest('cp %s %s/ && cd %s && python3 AnsiballZ_ipvs.py explode >/dev/null' % (payload, WORK, WORK))
        template = json.loads(guest('cat %s/debug_dir/args' % WORK))

        def module(services_arg):
            args = dict(template)
            args['ANSIBLE_MODULE_ARGS'] = dict(template['ANSIBLE_MODULE_ARGS'], services=services_arg,
                                               _ansible_check_mode=False)
            guest('cat > %s/debug_dir/args' % WORK, json.dumps(args))
            seconds, out = timed('cd %s && python3 AnsiballZ_ipvs.py execute' % WORK)
            result = json.loads(out)
            if result.get('failed'):
                raise SystemExit('module failed: %s' % result.get('msg'))
            return seconds, result

        raw, per_line, from_empty, no_change, one_weight = [], [], [], [], []
        for _run in range(options.repeat):
            guest('ipvsadm -C')
            raw.append(timed('ipvsadm -R < %s/batch' % WORK)[0])
            guest('ipvsadm -C')
            per_line.append(timed('while read -r line; do ipvsadm $line; done < %s/sample' % WORK)[0])
            guest('ipvsadm -C')
            seconds, result = module(services)
            assert result['changed'] and len(result['commands']) == len(lines), result.get('summary')
            from_empty.append(seconds)
            seconds, result = module(services)
            assert not result['changed'], result['commands'][:5]
            no_change.append(seconds)
            seconds, result = module(changed)
            assert len(result['commands']) == 1, result['commands'][:5]
            one_weight.append(seconds)
        saved = guest('ipvsadm -C && ipvsadm -R < %s/batch && ipvsadm -S -n' % WORK)
        figures['save_s'] = timed('ipvsadm -S -n > /dev/null')[0]
        figures['thresholds_s'] = timed('ipvsadm -L -n --thresholds > /dev/null')[0]
        figures['python_start_s'] = timed('python3 -c pass')[0]

        # The same as an Ansible task, from the controller in the lab namespace.
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, 'vars.json'), 'w') as handle:
                json.dump({'bench_services': services}, handle)
            with open(os.path.join(tmp, 'play.yml'), 'w') as handle:
                handle.write('- hosts: %s\n  gather_facts: false\n  tasks:\n'
                             '    - lvs.ha.ipvs:\n        services: "{{ bench_services }}"\n' % GUEST)
            play = ['exec', 'ansible-playbook', '-i', inventory, '-e', '@' + os.path.join(tmp, 'vars.json'),
                    os.path.join(tmp, 'play.yml')]
            task_empty, task_same = [], []
            for _run in range(options.repeat):
                guest('ipvsadm -C')
                start = time.perf_counter()
                lab(*play, stdout=subprocess.DEVNULL)
                task_empty.append(time.perf_counter() - start)
                start = time.perf_counter()
                lab(*play, stdout=subprocess.DEVNULL)
                task_same.append(time.perf_counter() - start)
        guest('ipvsadm -C; rm -rf %s /root/.ansible/tmp/ansible-tmp-*' % WORK)
    finally:
        if started:
            lab('down')

    # Natively: what a no-change run computes, from the guest's real -S output.
    native = []
    for _run in range(max(options.repeat, 5)):
        start = time.perf_counter()
        current = _ipvs.parse_save(saved)
        wanted, _absent = _ipvs.table_from_params(services)
        plan = _ipvs.diff(current, wanted)
        native.append(time.perf_counter() - start)
        assert plan == [], plan[:5]
    start = time.perf_counter()
    _ipvs.parse_save(saved)
    parse_only = time.perf_counter() - start

    figures.update(
        raw_restore_s=median(raw), per_line_sample_s=median(per_line),
        per_line_extrapolated_s=median(per_line) * len(lines) / options.sample,
        module_from_empty_s=median(from_empty), module_no_change_s=median(no_change),
        module_one_weight_s=median(one_weight), task_from_empty_s=median(task_empty),
        task_no_change_s=median(task_same), native_parse_validate_diff_s=median(native),
        native_parse_s=parse_only, saved_lines=len(saved.splitlines()),
    )
    figures['module_vs_raw'] = figures['module_from_empty_s'] / figures['raw_restore_s']
    report(figures)
    if options.json:
        with open(options.json, 'w') as handle:
            json.dump(figures, handle, indent=2, sort_keys=True)


def report(f):
    print('lvs.ha.ipvs benchmark: %(services)d services x %(destinations)d destinations = %(lines)d lines'
          % f)
    print('guest: %s (QEMU TCG); medians of %d runs' % (f['guest'], f['repeat']))
    print()
    print('on the guest                                          seconds')
    print('  ipvsadm -R of the same lines, from empty            %8.2f' % f['raw_restore_s'])
    print('  one ipvsadm per line: %5d-line sample              %8.2f' % (f['sample'], f['per_line_sample_s']))
    print('    extrapolated to %6d lines (x%.0f, estimate)      %8.1f'
          % (f['lines'], f['lines'] / f['sample'], f['per_line_extrapolated_s']))
    print('  lvs.ha.ipvs module, from empty                      %8.2f   (%.2fx raw -R)'
          % (f['module_from_empty_s'], f['module_vs_raw']))
    print('  lvs.ha.ipvs module, no change                       %8.2f' % f['module_no_change_s'])
    print('  lvs.ha.ipvs module, one weight changed              %8.2f' % f['module_one_weight_s'])
    print('    of which: python3 start %.2f, ipvsadm -S -n %.2f, -L -n --thresholds %.2f'
          % (f['python_start_s'], f['save_s'], f['thresholds_s']))
    print('from the controller (ansible-playbook, one task, SSH)')
    print('  from empty                                          %8.2f' % f['task_from_empty_s'])
    print('  no change                                           %8.2f' % f['task_no_change_s'])
    print('natively on this machine, %d recorded -S lines' % f['saved_lines'])
    print('  parse -S + validate declared table + diff           %8.3f   (parse alone %.3f)'
          % (f['native_parse_validate_diff_s'], f['native_parse_s']))


if __name__ == '__main__':
    main()
