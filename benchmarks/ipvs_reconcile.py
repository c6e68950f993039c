# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark lvs.ha.ipvs against raw ipvsadm on a lab guest, and its diff natively.

    .venv/bin/python benchmarks/ipvs_reconcile.py [--services 1000] [--destinations 10] [--sample 500]
                                                 [--pairs 9] [--repeat 3] [--native]

Run as root after `make setup`. Uses the lab's `single` scenario as LAB_NAME (default
lvsha-bench): brings it up if it is down and takes it down again at the end.

On the guest, in the same run, for a table of SERVICES x DESTINATIONS:
  - one raw `ipvsadm -R` of the module's own lines, from an empty table;
  - one `ipvsadm` process per line on a sample of SAMPLE lines, extrapolated;
  - the module's work: its main() timed in a Python process on the guest after the
    imports (argument validation, read, diff, one -R batch, read back), from empty,
    with no change and with one weight changed; this is what compares with raw -R;
  - the module's whole process as Ansible starts it (AnsiballZ payload: a new Python,
    the imports of ansible.module_utils, main()), next to ansible.builtin.ping's, the
    fixed cost every Ansible module pays on that host;
  - the same as an Ansible task from the controller (SSH, transfer, everything).
On this machine: parse of the guest's recorded `ipvsadm -S -n` plus validation of the
declared table plus diff, i.e. the module's work for a no-change run without a kernel.
With --native, only that, on the `ipvsadm -S -n` text of the table rendered here (what
ipvsadm prints for it), without the lab; plus the plan from an empty table.
Prints medians (the guest is QEMU without KVM, so about ten times slower than native;
compare the columns with each other, not with bare metal). The raw restore and the module
from empty run as PAIRS pairs, back to back; the module's ratio to the raw restore is the
median of the pairs' ratios. Everything else is the median of REPEAT runs.
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
    parser.add_argument('--pairs', type=int, default=9,
                        help='raw restore and module from empty, back to back, this many times')
    parser.add_argument('--repeat', type=int, default=3, help='runs of every other figure')
    parser.add_argument('--json', help='also write the figures to this file')
    parser.add_argument('--native', action='store_true',
                        help='only the native figures, on a rendered -S text; no lab')
    options = parser.parse_args()

    sys.path.insert(0, os.path.join(REPO, 'build', 'collections'))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_params
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import diff
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render, render_save

    os.environ.setdefault('LAB_NAME', 'lvsha-bench')
    os.environ['PATH'] = os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ['PATH']
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(REPO, 'build', 'collections')
    os.environ['ANSIBLE_CONFIG'] = os.path.join(REPO, 'tests', 'ansible.cfg')
    state = os.path.join(REPO, '.cache', 'lab', os.environ['LAB_NAME'])
    inventory = os.path.join(state, 'inventory.yml')

    services = table(options.services, options.destinations)
    desired, _absent = table_from_params(services)
    lines = render(diff({}, desired))
    batch = ''.join(line + '\n' for line in lines)
    if options.native:
        figures = {'services': options.services, 'destinations': options.destinations, 'lines': len(lines)}
        figures.update(native(services, ''.join(line + '\n' for line in render_save(desired)),
                              max(options.repeat, 5)))
        report_native(figures)
        if options.json:
            with open(options.json, 'w') as handle:
                json.dump(figures, handle, indent=2, sort_keys=True)
        return
    # A sample that stands alone: the first lines in saved order (each service, then its servers).
    sample = ''.join(line + '\n' for line in render_save(desired)[:options.sample])
    changed = json.loads(json.dumps(services))
    changed[options.services // 2]['destinations'][options.destinations // 2]['weight'] = 7

    started = not os.path.exists(os.path.join(state, 'scenario'))
    if started:
        lab('up', 'single')
    figures = {'services': options.services, 'destinations': options.destinations, 'lines': len(lines),
               'sample': options.sample, 'repeat': options.repeat, 'pairs': options.pairs}
    try:
        guest('rm -rf %s && mkdir -p %s && cat > %s/batch && ipvsadm -C' % (WORK, WORK, WORK), batch)
        guest('cat > %s/sample' % WORK, sample)
        figures['guest'] = guest('echo "$(uname -r), $(ipvsadm --version), $(nproc) vCPU"').strip()

        # The module's AnsiballZ payload, kept on the guest and exploded for `execute`; the
        # same for ansible.builtin.ping, the fixed cost any module pays (Python, ansible imports).
        env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES='1', ANSIBLE_PIPELINING='False')
        for module_name, args in (('lvs.ha.ipvs', '{"services": []}'), ('ansible.builtin.ping', '')):
            lab('exec', 'ansible', '-i', inventory, GUEST, '-m', module_name, '-a', args, '--check', env=env,
                stdout=subprocess.DEVNULL)
            short = module_name.rsplit('.', 1)[1]
            payload = guest('ls -t /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_%s.py | head -1' % short).strip()
            guest('mkdir -p {w}/{m} && cp {p} {w}/{m}/ && cd {w}/{m} && python3 AnsiballZ_{m}.py explode >/dev/null'
                  .format(w=WORK, m=short, p=payload))
        template = json.loads(guest('cat %s/ipvs/debug_dir/args' % WORK))

        def module_args(services_arg):
            args = dict(template)
            args['ANSIBLE_MODULE_ARGS'] = dict(template['ANSIBLE_MODULE_ARGS'], services=services_arg,
                                               _ansible_check_mode=False)
            return args

        def whole_process(services_arg):
            """The module as Ansible runs it on the guest: a new Python, imports, main()."""
            guest('cat > %s/ipvs/debug_dir/args' % WORK, json.dumps(module_args(services_arg)))
            seconds, out = timed('cd %s/ipvs && python3 AnsiballZ_ipvs.py execute' % WORK)
            result = json.loads(out)
            if result.get('failed'):
                raise SystemExit('module failed: %s' % result.get('msg'))
            return seconds, result

        def in_process(scenarios):
            """main() of the module timed on the guest after the imports, one call per scenario."""
            guest('cat > %s/scenarios.json' % WORK, json.dumps([module_args(item) for item in scenarios]))
            out = guest('python3 -c %s %s' % (shlex.quote(INNER), shlex.quote(WORK)))
            return json.loads(out)

        raw, per_line, whole_empty, whole_same, ping = [], [], [], [], []
        work_empty, work_same, work_weight, imports, arguments, applying = [], [], [], [], [], []

        def raw_restore():
            guest('ipvsadm -C')
            raw.append(timed('ipvsadm -R < %s/batch' % WORK)[0])

        for index in range(options.pairs):
            # The raw restore and the module from empty back to back, in turn first, so
            # that each pair sees the same guest speed (TCG's varies by tens of percent).
            if index % 2:
                raw_restore()
            guest('ipvsadm -C')
            run, = in_process([services])
            assert run['commands'] == len(lines), run
            if not index % 2:
                raw_restore()
            imports.append(run['import_s'])
            arguments.append(run['arguments_s'])
            applying.append(run['apply_s'])
            work_empty.append(run['main_s'])
        for _run in range(options.repeat):
            guest('ipvsadm -C')
            runs = in_process([services, services, changed])
            assert [run['commands'] for run in runs] == [len(lines), 0, 1], runs
            work_same.append(runs[1]['main_s'])
            work_weight.append(runs[2]['main_s'])
            guest('ipvsadm -C')
            per_line.append(timed('while read -r line; do ipvsadm $line; done < %s/sample' % WORK)[0])
            guest('ipvsadm -C')
            seconds, result = whole_process(services)
            assert result['changed'] and len(result['commands']) == len(lines), result.get('summary')
            whole_empty.append(seconds)
            seconds, result = whole_process(services)
            assert not result['changed'], result['commands'][:5]
            whole_same.append(seconds)
            ping.append(timed('cd %s/ping && python3 AnsiballZ_ping.py execute' % WORK)[0])
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
    figures.update(native(services, saved, max(options.repeat, 5)))
    figures.update(
        raw_restore_s=median(raw), per_line_sample_s=median(per_line),
        per_line_extrapolated_s=median(per_line) * len(lines) / options.sample,
        work_from_empty_s=median(work_empty), work_no_change_s=median(work_same),
        work_one_weight_s=median(work_weight), imports_s=median(imports), arguments_s=median(arguments),
        process_from_empty_s=median(whole_empty), process_no_change_s=median(whole_same),
        ping_process_s=median(ping), task_from_empty_s=median(task_empty),
        task_no_change_s=median(task_same),
        load_average=os.getloadavg(), raw_runs=raw, work_from_empty_runs=work_empty,
        module_restore_s=median(applying), module_restore_runs=applying,
        beyond_restore_s=median([work - restore for work, restore in zip(work_empty, applying)]),
        ratio_runs=[work / restore for work, restore in zip(work_empty, raw)],
    )
    figures['work_vs_raw'] = median(figures['ratio_runs'])
    # The restore itself varies most under TCG; this puts the module's own work on the
    # median raw restore.
    figures['derived_ratio'] = (figures['raw_restore_s'] + figures['beyond_restore_s']) / figures['raw_restore_s']
    report(figures)
    if options.json:
        with open(options.json, 'w') as handle:
            json.dump(figures, handle, indent=2, sort_keys=True)


def native(services, saved, repeat):
    """Natively: parse of `ipvsadm -S -n` output, validation of the declared table and the
    plan (its ops rendered as the module does), for a no-change run; and the plan from empty."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_params
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import parse_save
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import diff
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

    no_change, parse_only, from_empty = [], [], []
    for _run in range(repeat):
        start = time.perf_counter()
        current = parse_save(saved)
        parsed = time.perf_counter()
        wanted, _absent = table_from_params(services)
        plan = render(diff(current, wanted))
        no_change.append(time.perf_counter() - start)
        parse_only.append(parsed - start)
        assert plan == [], plan[:5]
        start = time.perf_counter()
        plan = render(diff({}, wanted))
        from_empty.append(time.perf_counter() - start)
    return {'native_parse_validate_diff_s': median(no_change), 'native_parse_s': median(parse_only),
            'native_plan_from_empty_s': median(from_empty), 'saved_lines': len(saved.splitlines()),
            'native_runs': repeat}


def report_native(f):
    print('natively on this machine, %d -S lines (%d services x %d destinations), medians of %d runs'
          % (f['saved_lines'], f['services'], f['destinations'], f['native_runs']))
    print('  parse -S + validate declared table + diff                %8.3f   (parse alone %.3f)'
          % (f['native_parse_validate_diff_s'], f['native_parse_s']))
    print('  the plan from an empty table (diff + render, %5d lines) %8.3f'
          % (f['lines'], f['native_plan_from_empty_s']))


def report(f):
    print('lvs.ha.ipvs benchmark: %(services)d services x %(destinations)d destinations = %(lines)d lines'
          % f)
    print('guest: %s (QEMU TCG); medians of %d pairs (raw -R, module from empty) and of %d runs (the rest);'
          % (f['guest'], f['pairs'], f['repeat']))
    print('host load average at the end %.1f' % f['load_average'][0])
    print()
    print('on the guest                                               seconds')
    print('  ipvsadm -R of the same lines, from empty                 %8.2f   (runs %.2f-%.2f)'
          % (f['raw_restore_s'], min(f['raw_runs']), max(f['raw_runs'])))
    print('  one ipvsadm per line: %5d-line sample                   %8.2f' % (f['sample'], f['per_line_sample_s']))
    print('    extrapolated to %6d lines (x%.0f, an estimate)         %8.1f'
          % (f['lines'], f['lines'] / f['sample'], f['per_line_extrapolated_s']))
    print('  lvs.ha.ipvs, the module\'s work (main() after imports):')
    print('    from empty: validate, read, diff, one -R               %8.2f   (%.2fx raw -R; pairs %s)'
          % (f['work_from_empty_s'], f['work_vs_raw'], ' '.join('%.2f' % r for r in f['ratio_runs'])))
    print('      of which its ipvsadm -R                              %8.2f   (runs %.2f-%.2f)'
          % (f['module_restore_s'], min(f['module_restore_runs']), max(f['module_restore_runs'])))
    print('      the rest: arguments, validate, read, diff            %8.2f' % f['beyond_restore_s'])
    print('      (raw -R + the rest) / raw -R, medians                %8.2fx' % f['derived_ratio'])
    print('    no change                                              %8.2f' % f['work_no_change_s'])
    print('    one weight changed                                     %8.2f' % f['work_one_weight_s'])
    print('    of which ansible-core taking the %6d-entry argument  %6.2f   (AnsibleModule(), same spec)'
          % (f['lines'], f['arguments_s']))
    print('  lvs.ha.ipvs, the whole process (python3, imports, main):')
    print('    from empty                                             %8.2f' % f['process_from_empty_s'])
    print('    no change                                              %8.2f' % f['process_no_change_s'])
    print('  for scale: ansible.builtin.ping, whole process           %8.2f' % f['ping_process_s'])
    print('             importing ansible.module_utils.basic + module %8.2f' % f['imports_s'])
    print('             python3 -c pass %.2f, ipvsadm -S -n %.2f, -L -n --thresholds %.2f'
          % (f['python_start_s'], f['save_s'], f['thresholds_s']))
    print('from the controller (ansible-playbook, one task, SSH, %d-service argument)' % f['services'])
    print('  from empty                                               %8.2f' % f['task_from_empty_s'])
    print('  no change                                                %8.2f' % f['task_no_change_s'])
    report_native(f)


INNER = """
import json, sys, time
work = sys.argv[1]
sys.path.insert(0, work + '/ipvs/debug_dir')
start = time.perf_counter()
from ansible.module_utils import basic
from ansible_collections.lvs.ha.plugins.modules import ipvs
imported = time.perf_counter() - start

class Done(Exception):
    pass

def exit_json(self, **result):
    raise Done(result)

def fail_json(self, msg, **result):
    raise SystemExit('module failed: %s' % msg)

basic.AnsibleModule.exit_json = exit_json
basic.AnsibleModule.fail_json = fail_json
basic._ANSIBLE_PROFILE = 'legacy'
from ansible_collections.lvs.ha.plugins.module_utils._ipvs import run as ipvs_run
applying = []
apply = ipvs_run.IpvsadmRunner.apply

def timed_apply(self, lines):
    start = time.perf_counter()
    try:
        return apply(self, lines)
    finally:
        applying.append(time.perf_counter() - start)

ipvs_run.IpvsadmRunner.apply = timed_apply
runs = []
for args in json.load(open(work + '/scenarios.json')):
    basic._ANSIBLE_ARGS = json.dumps(args).encode()
    start = time.perf_counter()
    basic.AnsibleModule(argument_spec=ipvs.argument_spec(), supports_check_mode=True)
    arguments = time.perf_counter() - start
    del applying[:]
    start = time.perf_counter()
    try:
        ipvs.main()
    except Done as done:
        result = done.args[0]
    runs.append({'main_s': time.perf_counter() - start, 'commands': len(result['commands']),
                 'import_s': imported, 'arguments_s': arguments, 'apply_s': sum(applying)})
print(json.dumps(runs))
"""


if __name__ == '__main__':
    main()
