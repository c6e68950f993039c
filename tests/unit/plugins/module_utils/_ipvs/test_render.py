# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipvs/render.py: ops and tables as ipvsadm rule lines."""

from __future__ import annotations

import random

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import Destination, Service, ServiceKey
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import parse_save, rule_op
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import (
    ADD_SERVER, ADD_SERVICE, DELETE_SERVER, DELETE_SERVICE, EDIT_SERVER, EDIT_SERVICE, Op,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render, render_op, render_save

from ipvs_tables import diff_lines, random_table, recorded, tcp, zero_thresholds


def test_render_save_matches_ipvsadm_but_for_ipip():
    # We leave out `--tun-type ipip` (the default) so that ipvsadm < 1.30 reads our lines.
    saved = recorded('full-save.txt').splitlines()
    assert render_save(parse_save(recorded('full-save.txt'))) == [line.replace(' --tun-type ipip', '') for line in saved]


@pytest.mark.parametrize('seed', range(200))
def test_property_parse_render_round_trip(seed):
    tbl = zero_thresholds(random_table(random.Random(seed)))
    rendered = render_save(tbl)
    assert zero_thresholds(parse_save('\n'.join(rendered))) == tbl
    assert diff_lines(zero_thresholds(parse_save('\n'.join(rendered))), tbl, purge=True) == []


def test_render_op_of_every_verb():
    web, mark6 = tcp('10.0.0.1'), ServiceKey(fwmark=7, family='ipv6')
    assert render([
        Op(ADD_SERVICE, web, Service(web, 'sh', 300, 24, None, False, ('sh-fallback',))),
        Op(EDIT_SERVICE, mark6, Service(mark6, 'wlc', 60, 64, 'sip', True)),
        Op(ADD_SERVER, web, None, Destination('10.0.1.1', 80, weight=0, upper_threshold=100)),
        Op(EDIT_SERVER, mark6, None, Destination('2001:db8::1', 0, 'tunnel', 2, 0, 0, 'gre', None, 'csum')),
        Op(DELETE_SERVER, web, None, Destination('10.0.1.2', 8080, 'nat', 5, 10, 5)),
        Op(DELETE_SERVICE, mark6),
    ]) == [
        '-A -t 10.0.0.1:80 -s sh -p 300 -M 255.255.255.0 -b sh-fallback',
        '-E -f 7 -6 -s wlc -p 60 -M 64 --pe sip -o',
        '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 0 -x 100',
        '-e -f 7 -6 -r [2001:db8::1]:0 -i -w 2 --tun-type gre --tun-csum',
        '-d -t 10.0.0.1:80 -r 10.0.1.2:8080',
        '-D -f 7 -6',
    ]
    assert render([]) == []


@pytest.mark.parametrize('seed', range(100))
def test_property_rendered_lines_read_back_as_the_same_ops(seed):
    """What the modules return as `commands` says exactly what their ops do."""
    rng = random.Random(seed)
    current, want = zero_thresholds(random_table(rng)), random_table(rng)
    lines = diff_lines(current, want, purge=True)
    assert [render_op(rule_op(line)) for line in lines] == lines


@pytest.mark.parametrize('seed', range(200))
def test_property_rules_round_trip(seed):
    """render_rules() and the ipvs module's `rules` (table_from_rules): the same table back,
    managed thresholds (0 included) and unmanaged ones (None) alike; with zero_thresholds
    false, a 0 comes back unmanaged and nothing else changes."""
    # pylint: disable=import-outside-toplevel
    from dataclasses import replace

    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import table_from_rules
    from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_rules
    tbl = random_table(random.Random(seed))
    assert table_from_rules(render_rules(tbl)) == tbl
    unmanaged = dict((key, replace(service, destinations=dict(
        (dkey, replace(dest, upper_threshold=dest.upper_threshold or None, lower_threshold=dest.lower_threshold or None))
        for dkey, dest in service.destinations.items()))) for key, service in tbl.items())
    assert table_from_rules(render_rules(tbl, zero_thresholds=False)) == unmanaged
