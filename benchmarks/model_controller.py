# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller time of the model: one host's view of a cluster of SERVICES x REALSERVERS.

    .venv/bin/python benchmarks/model_controller.py [--services 1000] [--realservers 10] [--repeat 3]

Run after `make setup`; touches no host (connection local, the preflight only). Prints:
  - native: lvs.ha's _model.cluster() on plain dicts (the model alone);
  - ansible: the whole preflight task of the director role as ansible-playbook runs it
    (lvs.ha.cluster through Ansible's hostvars and templating, the q('vars') of every
    lvs_* variable, set_fact), timed by ansible.posix.profile_tasks, first computation
    and the second one in the same run (the role's own preflight after site.yml's gate:
    same inputs, so the first result is reused);
  - Ansible's check of the role's argument spec (meta/argument_specs.yml), which it runs
    before each include of the entry point, and the include_role tasks themselves; with the
    two computations, what the controller spends per host per run of site.yml (the gate's
    include and the role's);
  - the run's ansible.builtin.debug task as Ansible's fixed cost of a task.
Medians of REPEAT runs. Each service has its own VIP and names its REALSERVERS real
servers by inventory host (resolved through hostvars, as in a real inventory).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'build', 'collections'))


def inventory(services, realservers, driver=None):
    hosts = {'d1': {'lvs_address': '10.1.0.1'}, 'd2': {'lvs_address': '10.1.0.2'}}
    rs = dict(('rs%d' % i, {'lvs_address': '10.2.%d.%d' % (i // 250, i % 250 + 1)}) for i in range(realservers))
    svcs = [{'name': 'svc%d' % i, 'vip': '10.3.%d.%d' % (i // 250, i % 250 + 1), 'port': 80,
             'realservers': sorted(rs)} for i in range(services)]
    variables = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                 'lvs_interface': 'eth0', 'lvs_virtual_services': svcs}
    if driver:
        variables['lvs_director_ipvs_driver'] = driver
    return {'all': {'vars': variables,
                    'children': {'lvs_directors': {'hosts': hosts}, 'lvs_realservers': {'hosts': rs}}}}


PLAYBOOK = """
- name: Benchmark the model
  hosts: d1
  gather_facts: false
  tasks:
    - name: First computation
      ansible.builtin.include_role: {name: lvs.ha.director, tasks_from: preflight}
    - name: Validating arguments against arg spec 'main' (as Ansible does before the role's main)
      ansible.builtin.validate_argument_spec:
        argument_spec: "{{ (lookup('ansible.builtin.file', __specs) | from_yaml).argument_specs.main.options }}"
      vars:
        __specs: "{{ lookup('ansible.builtin.env', 'LVS_HA_TOP') }}/roles/director/meta/argument_specs.yml"
    - name: Second computation, same inputs
      ansible.builtin.include_role: {name: lvs.ha.director, tasks_from: preflight}
    - name: A debug task
      ansible.builtin.debug: {msg: "{{ lvs_ha.service_names | length }} services"}
"""
_TASK = re.compile(r'^(.*?) -+ (\d+\.\d+)s$')


def ansible_run(tmp):
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks', ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_PATH=os.path.join(TOP, 'build', 'collections'),
               ANSIBLE_CONFIG=os.path.join(TOP, 'tests', 'ansible.cfg'), PROFILE_TASKS_TASK_OUTPUT_LIMIT='all',
               LVS_HA_TOP=TOP)
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env['PATH']
    start = time.monotonic()
    run = subprocess.run(['ansible-playbook', '-i', os.path.join(tmp, 'inventory.yml'),
                          os.path.join(tmp, 'playbook.yml')], env=env, capture_output=True, text=True, check=False)
    total = time.monotonic() - start
    if run.returncode:
        raise SystemExit(run.stdout[-3000:] + run.stderr[-3000:])
    times = {}
    for line in run.stdout.splitlines():
        match = _TASK.match(line.strip())
        if not match:
            continue
        name, seconds = match.group(1), float(match.group(2))
        if 'lvs.ha.director : Compute' in name:
            times.setdefault('compute', []).append(seconds)
        elif 'Validating arguments against arg spec' in name:
            times.setdefault('validate', []).append(seconds)
        elif name.endswith(' computation') or name.endswith(' computation, same inputs'):
            times.setdefault('include', []).append(seconds)
        elif 'A debug task' in name:
            times['debug'] = seconds
    # profile_tasks lists tasks by time; the two computations (and the two validations) have the same name
    first, second = sorted(times['compute'], reverse=True)[:2]
    return first, second, times['debug'], total, sum(times.get('validate', [])), sum(times.get('include', []))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--services', type=int, default=1000)
    parser.add_argument('--realservers', type=int, default=10)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--driver', choices=['keepalived', 'ipvsadm', 'none'],
                        help='lvs_director_ipvs_driver (default: the role\'s, keepalived)')
    args = parser.parse_args()

    from ansible_collections.lvs.ha.plugins.module_utils import _model  # pylint: disable=import-outside-toplevel
    inv = inventory(args.services, args.realservers, args.driver)
    hostvars = {}
    for group in inv['all']['children'].values():
        for name, hv in group['hosts'].items():
            hostvars[name] = dict(hv, lvs_interface='eth0')
    groups = dict((g, list(v['hosts'])) for g, v in inv['all']['children'].items())
    settings = dict((k, v) for k, v in inv['all']['vars'].items() if k.startswith('lvs_'))
    native = []
    for dummy in range(args.repeat):
        start = time.perf_counter()
        _model.cluster(settings, hostvars, groups, 'd1', 'director')
        native.append(time.perf_counter() - start)

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, 'inventory.yml'), 'w') as handle:
            yaml.safe_dump(inv, handle)
        with open(os.path.join(tmp, 'playbook.yml'), 'w') as handle:
            handle.write(PLAYBOOK)
        for dummy in range(args.repeat):
            runs.append(ansible_run(tmp))
    med = statistics.median
    print('model for %d services x %d real servers, one director (driver %s), median of %d runs'
          % (args.services, args.realservers, args.driver or 'keepalived', args.repeat))
    print('  native _model.cluster():                 %.3f s' % med(native))
    print('  ansible: preflight task, first:          %.3f s  (runs: %s)'
          % (med(r[0] for r in runs), ' '.join('%.2f' % r[0] for r in runs)))
    print('  ansible: preflight task, second (reuse): %.3f s' % med(r[1] for r in runs))
    print("  ansible: argument spec checks, both:     %.3f s  (Ansible's, before each include; runs: %s)"
          % (med(r[4] for r in runs), ' '.join('%.2f' % r[4] for r in runs)))
    print('  ansible: the include_role tasks, both:   %.3f s' % med(r[5] for r in runs))
    print("  the model's two tasks per host per run:  %.3f s  (first and reuse)" % med(r[0] + r[1] for r in runs))
    print('  per host per run, as in site.yml:        %.3f s  (the gate and the role: both includes, both checks,'
          ' first and reuse)' % med(r[0] + r[1] + r[4] + r[5] for r in runs))
    print('  ansible: a debug task (fixed cost):      %.3f s' % med(r[2] for r in runs))
    print('  ansible-playbook process, whole:         %.3f s' % med(r[3] for r in runs))


if __name__ == '__main__':
    main()
