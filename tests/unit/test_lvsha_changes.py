# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lvsha_changes callback (molecule/resources/callback_plugins): the full tier's
idempotence check reads its record, so it must list every changed result and nothing else.
Runs ansible-playbook on localhost with the callback enabled, as molecule does."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = """
- name: First play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Changes
      ansible.builtin.command: 'true'
    - name: Changes nothing
      ansible.builtin.command: 'true'
      changed_when: false
    - name: Changes one item of two
      ansible.builtin.command: 'true'
      changed_when: item == 2
      loop: [1, 2]
- name: Second play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Skipped
      ansible.builtin.command: 'true'
      when: false
"""


def run(tmp_path, playbook, callbacks='lvsha_changes'):
    (tmp_path / 'playbook.yml').write_text(playbook)
    env = dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path), ANSIBLE_CALLBACKS_ENABLED=callbacks,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, 'molecule', 'resources', 'callback_plugins'),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env['PATH']
    subprocess.run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', str(tmp_path / 'playbook.yml')],
                   env=env, check=True, capture_output=True)
    path = tmp_path / 'lvsha-changes.json'
    return json.loads(path.read_text()) if path.exists() else None


def test_every_changed_result_is_recorded_with_its_play_and_task(tmp_path):
    assert run(tmp_path, PLAYBOOK) == [
        {'host': 'localhost', 'play': 'First play', 'task': 'Changes'},
        {'host': 'localhost', 'play': 'First play', 'task': 'Changes one item of two'},
    ]


UNCHANGED = """
- name: Only play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Changes nothing
      ansible.builtin.command: 'true'
      changed_when: false
"""


def test_a_run_without_changes_empties_an_earlier_record(tmp_path):
    (tmp_path / 'lvsha-changes.json').write_text('[{"host": "old"}]')
    assert run(tmp_path, UNCHANGED) == []


def test_nothing_is_written_unless_the_callback_is_enabled(tmp_path):
    assert run(tmp_path, PLAYBOOK, callbacks='ansible.posix.timer') is None
