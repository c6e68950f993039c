# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/tier_summary.py --failure: the lines a CI log ends with when a scenario fails."""

import importlib.util
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = importlib.util.spec_from_file_location('tier_summary', os.path.join(ROOT, 'tools', 'tier_summary.py'))
tier_summary = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(tier_summary)

LOG = """INFO     [demo > converge] Executing
TASK [Gathering Facts] *********************************************************
ok: [node1]
INFO     [demo > verify] Executing
TASK [Send six requests] *******************************************************
ok: [localhost]

TASK [Check that every request was answered] ***********************************
fatal: [node1]: FAILED! => changed=false
  assertion: __connections.values() | sum == __requests
  evaluated_to: false
  msg: 30 requests: 28 answered
  details: """ + 'x' * 1000 + """
TASK [A later task that failed too] ********************************************
fatal: [node2]: FAILED! => later
"""


def test_failure_names_action_task_and_message(tmp_path, monkeypatch):
    (tmp_path / 'demo.log').write_text(LOG)
    monkeypatch.setattr(tier_summary, 'RESULTS', str(tmp_path))
    lines = tier_summary.failure('demo')
    assert lines[0] == 'demo failed in verify, task: Check that every request was answered'
    assert lines[1] == '  fatal: [node1]: FAILED! => changed=false'
    assert '    msg: 30 requests: 28 answered' in lines
    # long lines are cut, and only the first failure is shown
    assert max(len(line) for line in lines) <= tier_summary.CUT + 5
    assert not any('later' in line for line in lines)


def test_failure_without_a_failed_task(tmp_path, monkeypatch):
    (tmp_path / 'demo.log').write_text('INFO     [demo > converge] Executing\nsomething else broke\n')
    monkeypatch.setattr(tier_summary, 'RESULTS', str(tmp_path))
    assert tier_summary.failure('demo') == ['demo failed in converge; no failed task in its log (see demo.log)']


def test_failure_of_a_json_result_shows_its_message_and_the_end_of_its_output(tmp_path, monkeypatch):
    result = {'ansible_job_id': 'j1', 'changed': True, 'cmd': ['probe.py', 'keep'] + ['--x'] * 200,
              'rc': 1, 'stderr': '', 'stdout': '{"kept": 19, ' + '"pad": 1, ' * 200 + '"error": "ConnectionResetError"}',
              'msg': 'non-zero return code'}
    log = LOG.replace('fatal: [node1]: FAILED! => changed=false', 'fatal: [node1]: FAILED! => ' + json.dumps(result))
    (tmp_path / 'demo.log').write_text(log)
    monkeypatch.setattr(tier_summary, 'RESULTS', str(tmp_path))
    lines = tier_summary.failure('demo')
    assert lines[1] == '  fatal: [node1]: FAILED! =>'
    assert lines[2:4] == ['  msg: non-zero return code', '  rc: 1']
    # the output's end, where the error is, survives the cut; the command line does not crowd it out
    assert lines[4].startswith('  stdout: ...') and lines[4].endswith('"error": "ConnectionResetError"}')
    assert len(lines) == 5


def test_a_fatal_line_that_is_not_json_is_shown_as_it_is():
    assert tier_summary.result_lines('fatal: [h]: FAILED! => {not json') == []
    assert tier_summary.result_lines('fatal: [h]: FAILED! => changed=false') == []
