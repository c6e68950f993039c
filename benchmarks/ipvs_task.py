# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lvs.ha.ipvs task as a user sees it, next to raw ipvsadm -R, from one run.

    .venv/bin/python benchmarks/ipvs_task.py [--services 1000] [--destinations 10] [--pairs 3]
                                             [--repeat 3] [--forms rules,services,role] [--json FILE]

Run as root after `make setup`, with the lab's `single` scenario up under LAB_NAME (brought
up, and down at the end, when it is not). Every figure comes from this one run, on one guest:
  - raw: `ipvsadm -R` of the table's lines into an empty table, timed on the guest;
  - ping: an `ansible.builtin.ping` task (ansible-playbook's wall time: Ansible's fixed cost);
  - task from empty: one `lvs.ha.ipvs` task from ansible-playbook (wall time), for each form of
    its argument: `rules` (the table as rule lines), `services` (the structured list) and
    `role` (rule lines with every threshold declared, 0 included, as the director role passes
    them); raw, ping and the tasks run back to back as one pair,
    in turn first, and the ratio (task - ping) / raw is the median of the pairs' ratios;
  - no change and one change (one weight, back and forth) of each form, and `ipvsadm -S -n`
    both timed on the guest and over ssh from the controller;
  - the controller's model: benchmarks/model_controller.py's preflight (lvs.ha.cluster inside
    ansible-playbook, connection local) and _model.cluster() natively, with Ansible's check of
    the role's argument spec before each include, and their sum per host per run.
Medians; the machine's load average is printed with the figures (the lab runs under TCG,
and other jobs on the machine change its speed: compare the columns with each other).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
import model_controller  # noqa: E402
from ipvs_reconcile import GUEST, REPO, guest, lab, table, timed  # noqa: E402

WORK = '/root/lvsha-task'
PLAY = """- name: Benchmark
  hosts: %s
  gather_facts: false
  tasks:
    - name: The task
%s
""" % (GUEST, '%s')
TASKS = {
    'ping': '      ansible.builtin.ping:\n',
    'rules': '      lvs.ha.ipvs:\n        rules: "{{ bench_rules }}"\n',
    'services': '      lvs.ha.ipvs:\n        services: "{{ bench_services }}"\n',
    # the lines as the director role renders them: every threshold declared, 0 included
    'role': '      lvs.ha.ipvs:\n        rules: "{{ bench_role }}"\n',
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--services', type=int, default=1000)
    parser.add_argument('--destinations', type=int, default=10)
    parser.add_argument('--pairs', type=int, default=3)
    parser.add_argument('--repeat', type=int, default=3, help='runs of no change, one change, -S and the model')
    parser.add_argument('--forms', default='rules,services,role',
                        help='forms of the argument, comma-separated: rules, services, role (rules with every '
                             'threshold declared, as the director role passes them)')
    parser.add_argument('--json', help='also write the figures to this file')
    options = parser.parse_args()
    forms = [form for form in options.forms.split(',') if form]

    sys.path.insert(0, os.path.join(REPO, 'build', 'collections'))
    # pylint: disable=import-outside-toplevel
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_params
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_rules

    os.environ.setdefault('LAB_NAME', 'lvsha-bench')
    os.environ['PATH'] = os.path.join(REPO, '.venv', 'bin') + os.pathsep + os.environ['PATH']
    os.environ['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(REPO, 'build', 'collections')
    os.environ['ANSIBLE_CONFIG'] = os.path.join(REPO, 'tests', 'ansible.cfg')
    state = os.path.join(os.environ.get('LAB_CACHE') or os.path.join(REPO, '.cache', 'lab'), os.environ['LAB_NAME'])
    inventory = os.path.join(state, 'inventory.yml')

    services = table(options.services, options.destinations)
    changed = json.loads(json.dumps(services))
    changed[options.services // 2]['destinations'][options.destinations // 2]['weight'] = 7
    variables = {}
    for name, value in (('same', services), ('changed', changed)):
        zeroed = [dict(service, destinations=[dict(dest, upper_threshold=0, lower_threshold=0)
                                              for dest in service['destinations']]) for service in value]
        variables[name] = {'bench_services': value, 'bench_rules': render_rules(table_from_params(value)[0]),
                           'bench_role': render_rules(table_from_params(zeroed)[0])}
    batch = variables['same']['bench_rules']
    lines = len(batch.splitlines())

    started = not os.path.exists(os.path.join(state, 'scenario'))
    if started:
        lab('up', 'single')
    figures = {'services': options.services, 'destinations': options.destinations, 'lines': lines,
               'pairs': options.pairs, 'repeat': options.repeat, 'forms': forms,
               'load_average_start': os.getloadavg()}
    runs = dict((name, []) for name in ('raw', 'ping', 'save_guest', 'save_ssh', 'model_native',
                                        'preflight_first', 'preflight_reuse', 'argspec', 'per_host'))
    for form in forms:
        for name in ('empty', 'same', 'one'):
            runs['%s_%s' % (form, name)] = []
    try:
        guest('rm -rf %s && mkdir -p %s && cat > %s/batch && ipvsadm -C' % (WORK, WORK, WORK), batch)
        figures['guest'] = guest('echo "$(uname -r), $(ipvsadm --version), $(nproc) vCPU"').strip()
        with tempfile.TemporaryDirectory() as tmp:
            def play(task, extra=None):
                """Wall time of ansible-playbook with one task (vars files as -e @file)."""
                path = os.path.join(tmp, task + '.yml')
                if not os.path.exists(path):
                    with open(path, 'w') as handle:
                        handle.write(PLAY % TASKS[task])
                argv = ['exec', 'ansible-playbook', '-i', inventory, path]
                if extra:
                    argv[4:4] = ['-e', '@' + os.path.join(tmp, extra + '.json')]
                start = time.perf_counter()
                lab(*argv, stdout=subprocess.DEVNULL)
                return time.perf_counter() - start

            for name, value in variables.items():
                for form in forms:
                    with open(os.path.join(tmp, '%s-%s.json' % (form, name)), 'w') as handle:
                        json.dump({'bench_' + form: value['bench_' + form]}, handle)

            def raw():
                guest('ipvsadm -C')
                runs['raw'].append(timed('ipvsadm -R < %s/batch' % WORK)[0])

            def task_from_empty(form):
                guest('ipvsadm -C')
                runs['%s_empty' % form].append(play(form, '%s-same' % form))

            play('ping')        # the first ssh connection of the run, not counted
            for index in range(options.pairs):
                steps = [raw, lambda: runs['ping'].append(play('ping'))] + [
                    (lambda form=form: task_from_empty(form)) for form in forms]
                for step in (steps if index % 2 == 0 else steps[::-1]):
                    step()
            for form in forms:
                guest('ipvsadm -C && ipvsadm -R < %s/batch' % WORK)
                for index in range(options.repeat):
                    runs['%s_same' % form].append(play(form, '%s-same' % form))
                    # one weight changed, and back: each run is one change
                    runs['%s_one' % form].append(play(form, '%s-%s' % (form, 'changed' if index % 2 == 0 else 'same')))
                if options.repeat % 2:
                    play(form, '%s-same' % form)
            for _run in range(options.repeat):
                runs['save_guest'].append(timed('ipvsadm -S -n > /dev/null')[0])
                start = time.perf_counter()
                lab('ssh', GUEST, 'ipvsadm -S -n', stdout=subprocess.DEVNULL)
                runs['save_ssh'].append(time.perf_counter() - start)
        guest('ipvsadm -C; rm -rf %s' % WORK)
    finally:
        if started:
            lab('down')
    figures['load_average_lab_end'] = os.getloadavg()

    # The controller's model, in the same run (no guest).
    inv = model_controller.inventory(options.services, options.destinations)
    from ansible_collections.lvs.ha.plugins.module_utils import _model
    hostvars = {}
    for group in inv['all']['children'].values():
        for name, values in group['hosts'].items():
            hostvars[name] = dict(values, lvs_interface='eth0')
    groups = dict((name, list(value['hosts'])) for name, value in inv['all']['children'].items())
    settings = {'lvs_interface': 'eth0', 'lvs_virtual_services': inv['all']['vars']['lvs_virtual_services'],
                'lvs_director_ipvs_driver': 'ipvsadm'}
    import yaml
    inv['all']['vars']['lvs_director_ipvs_driver'] = 'ipvsadm'
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'inventory.yml'), 'w') as handle:
            yaml.safe_dump(inv, handle)
        with open(os.path.join(tmp, 'playbook.yml'), 'w') as handle:
            handle.write(model_controller.PLAYBOOK)
        for _run in range(options.repeat):
            start = time.perf_counter()
            _model.cluster(settings, hostvars, groups, 'd1', 'director')
            runs['model_native'].append(time.perf_counter() - start)
            first, second, _debug, _total, argspec, includes = model_controller.ansible_run(tmp)
            runs['preflight_first'].append(first)
            runs['preflight_reuse'].append(second)
            runs['argspec'].append(argspec)
            runs['per_host'].append(first + second + argspec + includes)
    figures['load_average_end'] = os.getloadavg()
    figures['runs'] = runs
    figures.update((name + '_s', statistics.median(values)) for name, values in runs.items() if values)
    for form in forms:
        ratios = [(task - ping) / raw for task, ping, raw in zip(runs['%s_empty' % form], runs['ping'], runs['raw'])]
        figures['%s_ratio_runs' % form] = ratios
        figures['%s_ratio' % form] = statistics.median(ratios)
    report(figures)
    if options.json:
        with open(options.json, 'w') as handle:
            json.dump(figures, handle, indent=2, sort_keys=True)


def report(f):
    print('lvs.ha.ipvs as a task: %(services)d services x %(destinations)d destinations = %(lines)d lines' % f)
    print('guest: %s (QEMU TCG); %d pairs back to back, medians; other figures medians of %d runs'
          % (f['guest'], f['pairs'], f['repeat']))
    print('machine load average (1, 5, 15 min): start %s, lab part end %s, end %s'
          % tuple(' '.join('%.1f' % x for x in f[name])
                  for name in ('load_average_start', 'load_average_lab_end', 'load_average_end')))
    runs = f['runs']

    def row(label, name):
        values = runs[name]
        print('  %-52s %8.2f   (runs %s)' % (label, f[name + '_s'], ' '.join('%.2f' % v for v in values)))

    print()
    print('seconds (ansible-playbook wall time for tasks)')
    row('raw ipvsadm -R, from empty (on the guest)', 'raw')
    row('ansible.builtin.ping task', 'ping')
    for form in f['forms']:
        print(' lvs.ha.ipvs task, argument `%s`:' % form)
        row('from empty', form + '_empty')
        print('    (task - ping) / raw -R, median of pairs          %8.2f   (pairs %s)'
              % (f[form + '_ratio'], ' '.join('%.2f' % r for r in f[form + '_ratio_runs'])))
        row('no change', form + '_same')
        row('one weight changed', form + '_one')
        print('    no change - ping                                 %8.2f'
              % (f[form + '_same_s'] - f['ping_s']))
    row('ipvsadm -S -n on the guest', 'save_guest')
    row('ipvsadm -S -n over ssh from the controller', 'save_ssh')
    print('controller, the model for one director (no guest):')
    row('_model.cluster() natively', 'model_native')
    row('preflight task in ansible-playbook, first', 'preflight_first')
    row('preflight task, second (reuse)', 'preflight_reuse')
    row("Ansible's argument spec checks (both includes)", 'argspec')
    row('per host per run, as in site.yml', 'per_host')
    print()
    print('goals:')
    for form in f['forms']:
        print('  [%s] (task - ping) <= 1.3 x raw -R: %.2f x -> %s'
              % (form, f[form + '_ratio'], 'met' if f[form + '_ratio'] <= 1.3 else 'NOT met'))
        bound = f['ping_s'] + 2 * f['save_ssh_s']
        print('  [%s] no change %.2f <= ping + 2 x -S over ssh %.2f -> %s'
              % (form, f[form + '_same_s'], bound, 'met' if f[form + '_same_s'] <= bound else 'NOT met'))
    tasks = f['preflight_first_s'] + f['preflight_reuse_s']
    print("  controller, the model's two tasks per host per run (first + reuse) %.2f <= 1 s -> %s"
          % (tasks, 'met' if tasks <= 1 else 'NOT met'))
    model = f['per_host_s']
    print('  controller per host per run counted whole (both includes, argument spec checks, first + reuse) %.2f'
          ' <= 1 s -> %s' % (model, 'met' if model <= 1 else 'NOT met'))


if __name__ == '__main__':
    main()
