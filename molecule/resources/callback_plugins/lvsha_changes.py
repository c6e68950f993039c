# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record every changed task result of an ansible-playbook run, for the full tier's re-run.

The full-tier scenarios dr, colocated and ipvsadm check idempotence in their side effect
(molecule/resources/lab/rerun-under-load.yml): site.yml runs again, in the same process,
while the client sends requests, and must change nothing. This callback writes the changed
results of the run to $MOLECULE_EPHEMERAL_DIRECTORY/lvsha-changes.json as they happen: a
list of {host, play, task}, emptied when the run starts. The side effect's last play reads
it. Does nothing when MOLECULE_EPHEMERAL_DIRECTORY is not set (a run outside molecule).
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

FILE_NAME = 'lvsha-changes.json'


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'lvsha_changes'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        directory = os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY')
        self._path = os.path.join(directory, FILE_NAME) if directory else None
        self._play = None
        self._changes = []

    def _write(self):
        if self._path:
            with open(self._path + '.new', 'w', encoding='utf-8') as handle:
                json.dump(self._changes, handle, indent=1)
            os.replace(self._path + '.new', self._path)

    def v2_playbook_on_start(self, playbook):
        self._changes = []
        self._write()

    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name().strip()

    def v2_runner_on_ok(self, result):
        if result._result.get('changed', False):  # pylint: disable=protected-access
            self._changes.append({'host': result._host.get_name(),  # pylint: disable=protected-access
                                  'play': self._play, 'task': result._task.get_name().strip()})  # pylint: disable=protected-access
            self._write()
