# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What validate-modules cannot check: the docs of options that _ipvs validates itself
(the ipvs module's destinations), and the three copies of the service-key docs."""

from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.lvs.ha.plugins.doc_fragments.ipvs import ModuleDocFragment
from ansible_collections.lvs.ha.plugins.module_utils._ipvs import model
from ansible_collections.lvs.ha.plugins.modules import ipvs, ipvs_destination


def options(text):
    return yaml.safe_load(text)['options']


def without_prefix(spec, prefix):
    text = yaml.safe_dump(spec, sort_keys=True)
    return re.sub(r'O\(%s' % re.escape(prefix), 'O(', text)


def test_service_key_docs_are_the_same_in_all_three_places():
    top = options(ModuleDocFragment.SERVICE_KEY)
    nested = options(ModuleDocFragment.SERVICE)['service']['suboptions']
    listed = dict((name, spec) for name, spec in options(ipvs.DOCUMENTATION)['services']['suboptions'].items()
                  if name in top)
    assert without_prefix(nested, 'service.') == without_prefix(top, '')
    assert without_prefix(listed, 'services[].') == without_prefix(top, '')
    assert set(top) == set(model.key_argument_spec())


@pytest.mark.parametrize('documented', [
    options(ipvs.DOCUMENTATION)['services']['suboptions']['destinations']['suboptions'],
    dict((name, spec) for name, spec in options(ipvs_destination.DOCUMENTATION).items()
         if name not in ('service', 'state')),
])
def test_destination_docs_match_what_ipvs_validates(documented):
    spec = model.destination_argument_spec()
    assert set(documented) == set(spec)
    for name, arg in spec.items():
        doc = documented[name]
        assert doc['type'] == arg['type'], name
        assert doc.get('choices') == arg.get('choices'), name
        assert doc.get('default') == arg.get('default'), name
        assert doc.get('aliases') == arg.get('aliases'), name
        assert bool(doc.get('required')) == bool(arg.get('required')), name


def test_service_entry_docs_match_what_ipvs_validates():
    documented = options(ipvs.DOCUMENTATION)['services']['suboptions']
    spec = dict(model.key_argument_spec(), **model.service_argument_spec())
    spec.update(state=dict(type='str', choices=['present', 'absent'], default='present'),
                destinations=dict(type='list', elements='dict', default=[]))
    assert set(documented) == set(spec) == set(model.SERVICE_OPTIONS)
    for name, arg in spec.items():
        doc = documented[name]
        assert doc['type'] == arg['type'], name
        assert doc.get('elements') == arg.get('elements'), name
        assert doc.get('choices') == arg.get('choices'), name
        assert doc.get('default') == arg.get('default'), name
        assert doc.get('aliases') == arg.get('aliases'), name
