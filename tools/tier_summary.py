# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""python3 tools/tier_summary.py SCENARIO...: the measured figures of full-tier runs, from build/results.

Reads, per scenario, what tools/run-tier and the scenario left in build/results:
  SCENARIO.lab-up.log              the lab's boot-to-ready time ("ready in N s")
  SCENARIO.log                     molecule's output; the ansible.posix.timer callback's
                                   "Playbook run took ..." line after each action's
                                   "[SCENARIO > ACTION] Executing" line gives its time
  SCENARIO.rerun-under-load.json   requests and failures while site.yml ran again
  SCENARIO.change-under-load.json  the same, summed over its loops, where the side effect
                                   changed the services instead (features)
  SCENARIO.failover.json           the gap after the master was hard-killed
writes SCENARIO.summary.json, and prints one line per scenario. Missing pieces are null.

python3 tools/tier_summary.py --failure SCENARIO...: where each scenario failed, in a few
lines (the molecule action, the task, the start of its message), for the end of a tier's
output, the part of a CI log that is read first.
"""

import json
import os
import re
import sys

# run-tier's results directory (RUN_TIER_RESULTS, as tools/compat sets it), else build/results.
RESULTS = os.environ.get('RUN_TIER_RESULTS') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'build', 'results')
EXECUTING = re.compile(r'\[(\S+) > (\S+)\] Executing')
TOOK = re.compile(r'Playbook run took (\d+) days, (\d+) hours, (\d+) minutes, (\d+) seconds')


def read(name):
    try:
        with open(os.path.join(RESULTS, name)) as f:
            return f.read()
    except OSError:
        return None


def action_seconds(log):
    """{action: seconds} from molecule's log (summed, should an action run more than once)."""
    seconds, action = {}, None
    for line in (log or '').splitlines():
        found = EXECUTING.search(line)
        if found:
            action = found.group(2)
            continue
        took = TOOK.search(line)
        if took and action:
            d, h, m, s = (int(x) for x in took.groups())
            seconds[action] = seconds.get(action, 0) + ((d * 24 + h) * 60 + m) * 60 + s
    return seconds


def summary(scenario):
    boot = re.search(r'ready in (\d+)s', read(scenario + '.lab-up.log') or '')
    rerun = json.loads(read(scenario + '.rerun-under-load.json') or 'null')
    if rerun is None:
        loops = json.loads(read(scenario + '.change-under-load.json') or 'null')
        if loops:
            rerun = {'requests': sum(loop['requests'] for loop in loops),
                     'failed': sum(loop['failed'] for loop in loops)}
    failover = json.loads(read(scenario + '.failover.json') or 'null')
    actions = action_seconds(read(scenario + '.log'))
    return {
        'scenario': scenario,
        'boot_to_ready_s': int(boot.group(1)) if boot else None,
        'converge_s': actions.get('converge'),
        'idempotence_s': actions.get('idempotence'),
        'side_effect_s': actions.get('side_effect'),
        'verify_s': actions.get('verify'),
        'rerun_requests': rerun and rerun.get('requests'),
        'rerun_failed_requests': rerun and rerun.get('failed'),
        'failover_gap_s': failover and failover.get('gap_seconds'),
    }


FATAL = re.compile(r'^(fatal|failed): \[')
TASK = re.compile(r'^TASK \[(.*)\]')
CUT = 300
# a result given as JSON on the fatal line: these keys first, each cut at its own length (the
# assert's message says what failed; a command's output ends with its error)
RESULT_KEYS = (('msg', 1500, 'start'), ('rc', CUT, 'start'), ('stderr', CUT, 'end'), ('stdout', 600, 'end'))


def result_lines(line):
    """The key parts of a fatal line's JSON result, one line each ([] when it holds none)."""
    head, sep, text = line.partition(' => ')
    if not sep or not text.startswith('{'):
        return []
    try:
        result = json.loads(text)
    except ValueError:
        return []
    shown = []
    for key, cut, keep in RESULT_KEYS:
        value = result.get(key) if isinstance(result, dict) else None
        if value in (None, ''):
            continue
        value = value if isinstance(value, str) else json.dumps(value)
        if len(value) > cut:
            value = value[:cut] + '...' if keep == 'start' else '...' + value[-cut:]
        shown.append('%s: %s' % (key, value))
    return [head + ' =>'] + shown if shown else []


def failure(scenario, lines_after=10):
    """A few lines on the first failed task of a scenario's log (one line saying so when none is found)."""
    lines = (read(scenario + '.log') or '').splitlines()
    action = task = None
    for number, line in enumerate(lines):
        found = EXECUTING.search(line)
        if found:
            action = found.group(2)
        found = TASK.match(line)
        if found:
            task = found.group(1)
        if FATAL.match(line):
            parts = result_lines(line)
            if parts:
                return ['%s failed in %s, task: %s' % (scenario, action, task)] + ['  ' + text for text in parts]
            shown = [line]
            for text in lines[number + 1:]:
                if len(shown) > lines_after or TASK.match(text) or text.startswith('PLAY '):
                    break
                if text.strip():
                    shown.append(text)
            return ['%s failed in %s, task: %s' % (scenario, action, task)] + [
                '  ' + (text if len(text) <= CUT else text[:CUT] + '...') for text in shown]
    return ['%s failed in %s; no failed task in its log (see %s.log)' % (scenario, action, scenario)]


def show(value, unit=''):
    return '-' if value is None else '%s%s' % (value, unit)


def main(scenarios):
    for scenario in scenarios:
        result = summary(scenario)
        with open(os.path.join(RESULTS, scenario + '.summary.json'), 'w') as f:
            f.write(json.dumps(result, indent=2) + '\n')
        print('%s: boot %s, converge %s, idempotence %s, side effect under load %s (%s of %s requests failed), '
              'verify %s, failover gap %s' % (
                  scenario, show(result['boot_to_ready_s'], ' s'), show(result['converge_s'], ' s'),
                  show(result['idempotence_s'], ' s'), show(result['side_effect_s'], ' s'),
                  show(result['rerun_failed_requests']), show(result['rerun_requests']),
                  show(result['verify_s'], ' s'), show(result['failover_gap_s'], ' s')))
    return 0


if __name__ == '__main__':
    if sys.argv[1:2] == ['--failure']:
        for name in sys.argv[2:]:
            print('\n'.join(failure(name)))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
