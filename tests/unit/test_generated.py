# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files generated from the schema are what tools/gen_specs.py makes, and the roles'
defaults are the schema's."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from ansible_collections.lvs.ha.plugins.module_utils import _schema

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_generated_files_are_up_to_date():
    run = subprocess.run([sys.executable, os.path.join(TOP, 'tools', 'gen_specs.py'), '--check'],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_role_defaults_are_the_schema_defaults():
    for role in _schema.ROLES:
        with open(os.path.join(TOP, 'roles', role, 'defaults', 'main.yml')) as handle:
            defaults = yaml.safe_load(handle)
        for name, value in defaults.items():
            assert name in _schema.OPTIONS, '%s: %s is not in the schema' % (role, name)
            assert value == _schema.OPTIONS[name].get('default'), '%s: %s is %r, the schema says %r' % (
                role, name, value, _schema.OPTIONS[name].get('default'))
