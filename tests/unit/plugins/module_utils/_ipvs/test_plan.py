# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipvs/plan.py: diff into ordered ops, simulate, summary, diff texts."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.model import Destination, IpvsError, Service, ServiceKey
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import (
    apply_lines, merge_thresholds, parse_list, parse_save, rule_op,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.plan import (
    ADD_SERVER, ADD_SERVICE, DELETE_SERVER, DELETE_SERVICE, EDIT_SERVER, EDIT_SERVICE, VERBS, Op, diff, diff_texts,
    resulting_destination, same_lines, same_thresholds, simulate, split_rules, summarize, threshold_keys, touched_keys,
)
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render

from ipvs_tables import (
    V4, WEB, as_configured, desired, diff_lines, full_table, random_table, recorded, recorded_command, tcp,
    zero_thresholds,
)


# ---------------------------------------------------------------------------
# diff


def test_diff_from_empty_adds_services_before_their_destinations():
    lines = diff_lines({}, desired(WEB, {'fwmark': 1234, 'destinations': [{'address': '192.168.56.41'}]}))
    assert lines == [
        '-A -t 192.168.56.40:80 -s rr',
        '-A -f 1234 -s wlc',
        '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1',
        '-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 1',
        '-a -f 1234 -r 192.168.56.41:0 -g -w 1',
    ]


def test_diff_of_equal_tables_is_empty():
    current = parse_save(recorded('full-save.txt'))
    assert diff_lines(current, parse_save(recorded('full-save.txt'))) == []
    assert diff_lines(current, parse_save(recorded('full-restore-from-save.txt')), purge=True) == []


def test_service_setting_change_is_an_edit():
    current = full_table()
    want = desired(dict(V4, scheduler='wrr', persistent=120, destinations=[{'address': '192.168.56.41'}]))
    assert diff_lines(current, want) == ['-E -t 192.168.56.40:80 -s wrr -p 120']
    # Dropping persistence is an edit too: -E without -p clears it.
    https = dict(V4, port=443, scheduler='wlc')
    assert diff_lines(current, desired(https)) == ['-E -t 192.168.56.40:443 -s wlc']


def test_weight_and_forwarding_changes_are_edits_that_keep_thresholds():
    current = parse_save(recorded('full-save.txt'))
    want = desired(dict(V4, scheduler='rr', destinations=[{'address': '192.168.56.42', 'weight': 5,
                                                          'forwarding': 'nat'}]))
    with pytest.raises(ValueError, match='thresholds of 192.168.56.42:80 are unknown'):
        diff_lines(current, want)
    assert threshold_keys(current, want) == [tcp()]
    merge_thresholds(current, parse_list(recorded('full-thresholds.txt')))
    assert diff_lines(current, want) == ['-e -t 192.168.56.40:80 -r 192.168.56.42:80 -m -w 5 -x 100 -y 10']


@pytest.mark.parametrize('key, address, port, after, line', [
    (tcp(), '192.168.56.41', None, 'nat', '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -m -w 1'),
    (tcp(port=8443), '192.168.56.42', 443, 'dr', None),      # dr needs the service port: refused
    (tcp(), '192.168.56.41', None, 'tunnel', '-e -t 192.168.56.40:80 -r 192.168.56.41:80 -i -w 1'),
    (tcp(port=443), '192.168.56.41', None, 'dr', '-e -t 192.168.56.40:443 -r 192.168.56.41:443 -g -w 2'),
    (ServiceKey('udp', '192.168.56.40', 53), '192.168.56.41', 5353, 'nat', None),
])
def test_forwarding_change_alone_is_an_edit(key, address, port, after, line):
    current = full_table()
    have = current[key]
    params = dict(have.key.to_dict(), scheduler=have.scheduler, persistent=have.persistent, netmask=have.netmask,
                  sched_flags=list(have.sched_flags), destinations=[{'address': address, 'port': port,
                                                                     'forwarding': after,
                                                                     'weight': have.destinations[(address, port or key.port)].weight}])
    if line is None:
        if after == 'dr':
            with pytest.raises(IpvsError, match='must equal the service port'):
                desired(params)
        else:
            assert diff_lines(current, desired(params)) == []
        return
    assert diff_lines(current, desired(params)) == [line]


def test_tunnel_type_change_is_an_edit():
    current = full_table()
    want = desired({'address': '192.168.56.40', 'port': 443, 'scheduler': 'wlc', 'persistent': 1800,
                    'netmask': 24, 'destinations': [
                        {'address': '192.168.56.41', 'forwarding': 'tunnel', 'weight': 2, 'tunnel_type': 'gre'},
                        {'address': '192.168.56.42', 'forwarding': 'tunnel', 'weight': 2, 'tunnel_type': 'gue',
                         'tunnel_port': 6080, 'tunnel_checksum': 'nocsum'},
                        {'address': '192.168.56.43', 'forwarding': 'tunnel', 'tunnel_type': 'gre',
                         'tunnel_checksum': 'nocsum'}]})
    assert diff_lines(current, want) == [
        '-e -t 192.168.56.40:443 -r 192.168.56.41:443 -i -w 2 --tun-type gre --tun-nocsum',
        '-e -t 192.168.56.40:443 -r 192.168.56.43:443 -i -w 1 --tun-type gre --tun-nocsum']


def test_declared_thresholds_are_compared_and_set():
    current = full_table()
    rs2 = {'address': '192.168.56.42', 'weight': 3}
    same = desired(dict(V4, scheduler='rr', destinations=[dict(rs2, upper_threshold=100, lower_threshold=10)]))
    assert diff_lines(current, same) == []
    cleared = desired(dict(V4, scheduler='rr', destinations=[dict(rs2, upper_threshold=0, lower_threshold=0)]))
    assert diff_lines(current, cleared) == ['-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 3']
    upper_only = desired(dict(V4, scheduler='rr', destinations=[dict(rs2, upper_threshold=200)]))
    assert diff_lines(current, upper_only) == ['-e -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 3 -x 200 -y 10']


def test_threshold_keys_only_where_needed():
    current = parse_save(recorded('full-save.txt'))
    assert threshold_keys(current, parse_save(recorded('full-save.txt'))) == []
    new_service = desired(dict(V4, port=9000, destinations=[{'address': '10.0.0.9', 'upper_threshold': 5}]))
    assert threshold_keys(current, new_service) == []
    declared = desired(dict(V4, scheduler='rr', destinations=[
        {'address': '192.168.56.41', 'upper_threshold': 5}]))
    assert threshold_keys(current, declared) == [tcp()]
    reweighed = desired(dict(V4, port=8084, scheduler='fo', destinations=[
        {'address': '192.168.56.41', 'weight': 9}]))
    assert threshold_keys(current, reweighed) == [tcp(port=8084)]


def test_purge_deletes_destinations_then_services_after_adds():
    current = full_table()
    want = desired(dict(WEB, destinations=[{'address': '192.168.56.41'}, {'address': '192.168.56.44'}]))
    lines = diff_lines(current, want, purge=True)
    assert lines[:3] == [
        '-a -t 192.168.56.40:80 -r 192.168.56.44:80 -g -w 1',
        '-d -t 192.168.56.40:80 -r 192.168.56.42:80',
        '-d -t 192.168.56.40:80 -r 192.168.56.43:80',
    ]
    assert lines[3:] == ['-D ' + ' '.join(key.args()) for key in current if key != tcp()]
    assert len(lines) == 3 + 19
    # Without purge, nothing undeclared goes.
    assert diff_lines(current, want) == ['-a -t 192.168.56.40:80 -r 192.168.56.44:80 -g -w 1']


def test_absent_services_and_destinations():
    current = parse_save(recorded('full-save.txt'))
    lines = diff_lines(current, {}, absent_services=[ServiceKey(fwmark=1234), ServiceKey(fwmark=999)],
                       absent_destinations=[(tcp(), ('192.168.56.42', 80)), (tcp(), ('192.168.56.99', 80)),
                                            (ServiceKey(fwmark=1234), ('192.168.56.51', 0))])
    assert lines == ['-d -t 192.168.56.40:80 -r 192.168.56.42:80', '-D -f 1234']


def test_diff_never_clears():
    current = parse_save(recorded('full-save.txt'))
    lines = diff_lines(current, {}, purge=True)
    assert len(lines) == 20 and all(line.startswith('-D ') for line in lines)
    assert apply_lines(current, lines) == {}


def test_diff_texts_show_affected_services_only():
    current = full_table()
    want = desired(dict(WEB, destinations=[{'address': '192.168.56.42', 'weight': 4}]))
    ops = diff(current, want)
    texts = diff_texts(current, ops)
    assert texts['before'] == ('-A -t 192.168.56.40:80 -s rr\n'
                               '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1\n'
                               '-a -t 192.168.56.40:80 -r 192.168.56.42:80 -g -w 3 -x 100 -y 10\n'
                               '-a -t 192.168.56.40:80 -r 192.168.56.43:80 -g -w 0\n')
    assert texts['after'] == texts['before'].replace('-g -w 3 -x', '-g -w 4 -x')


def test_summarize():
    assert summarize([rule_op(line) for line in ['-A -f 1 -s rr', '-a -f 1 -r 10.0.0.1:0 -g -w 1', '-D -f 2']]) == {
        'add_service': 1, 'edit_service': 0, 'delete_service': 1, 'add_server': 1, 'edit_server': 0,
        'delete_server': 0}


# ---------------------------------------------------------------------------
# simulate (through apply_lines) against what the kernel did


@pytest.mark.parametrize('case', [
    'error-duplicate-service', 'error-duplicate-destination', 'error-bad-scheduler',
    'error-missing-service-add-dest', 'error-missing-service-delete', 'error-missing-service-edit',
    'error-missing-destination-delete', 'error-missing-destination-edit', 'error-lower-threshold-only',
    'error-lower-above-upper',
])
def test_apply_lines_refuses_what_the_kernel_refused(case):
    """Each recorded kernel error (exit 255), run on the recorded table: the simulator refuses it too."""
    current = parse_save(recorded('full-save.txt'))
    assert recorded(case + '.rc').strip() == '255'
    command = recorded_command(case)
    assert command.startswith('ipvsadm ')
    with pytest.raises(ValueError):
        apply_lines(current, [command])
    assert current == parse_save(recorded('full-save.txt'))   # untouched


@pytest.mark.parametrize('case', ['restore-ok', 'restore-edit', 'restore-bad-scheduler-midbatch',
                                  'restore-kernel-error-midbatch', 'restore-kernel-error-last',
                                  'restore-missing-service-midbatch', 'restore-blank-line'])
def test_simulating_a_batch_line_by_line_gives_what_the_kernel_kept(case):
    """ipvsadm -R goes on after a line the kernel refuses; the recorded table afterwards is
    what applying the lines one by one, skipping refused ones, gives."""
    tbl = {}
    for line in recorded(case + '.input').splitlines():
        if not line.strip():
            continue
        try:
            tbl = apply_lines(tbl, [line])
        except ValueError:
            pass
    assert zero_thresholds(tbl) == zero_thresholds(parse_save(recorded(case + '-after.txt')))


# ---------------------------------------------------------------------------
# Properties over random tables


@pytest.mark.parametrize('seed', range(300))
def test_property_applying_the_diff_yields_the_desired_table(seed):
    rng = random.Random(seed)
    current, want = zero_thresholds(random_table(rng)), random_table(rng)
    ops = diff(current, want, purge=True)
    lines = render(ops)
    result = simulate(current, ops)
    # The rule lines say what the ops do: ipvsadm -R of them gives the same table.
    assert apply_lines(current, lines) == result
    assert list(sorted(map(str, result))) == list(sorted(map(str, want)))
    assert diff(result, want, purge=True) == []
    for key, svc in want.items():
        assert result[key].settings() == svc.settings()
        assert set(result[key].destinations) == set(svc.destinations)
        for dkey, wanted in svc.destinations.items():
            got = result[key].destinations[dkey]
            assert as_configured(got) == as_configured(wanted)
            before = current.get(key) and current[key].destinations.get(dkey)
            for name in ('upper_threshold', 'lower_threshold'):
                expected = getattr(wanted, name)
                if expected is None:     # not managed: kept, or 0 when new
                    expected = getattr(before, name) if before else 0
                assert getattr(got, name) == expected
    # Edits, never delete-and-add of a surviving service or destination.
    deleted = set(line.split(' -r ')[0][3:] for line in lines if line.startswith(('-D ', '-d ')))
    added = set(line.split(' -s ')[0][3:] for line in lines if line.startswith('-A '))
    assert not deleted & added
    assert not (set((op.key, op.dest.key) for op in ops if op.verb == DELETE_SERVER)
                & set((op.key, op.dest.key) for op in ops if op.verb == ADD_SERVER))
    # Without purge, nothing undeclared goes and everything declared is reached.
    ops = diff(current, want)
    result = simulate(current, ops)
    assert not [op for op in ops if op.verb in (DELETE_SERVICE, DELETE_SERVER)]
    assert not [line for line in render(ops) if line.startswith(('-D', '-d'))]
    assert all(key in result for key in current)
    assert diff(result, want) == []


@pytest.mark.parametrize('seed', range(100))
def test_property_order_keeps_every_prefix_valid(seed):
    """Any prefix of a plan applies cleanly: a batch cut short never refers to missing entries."""
    rng = random.Random(seed)
    current, want = zero_thresholds(random_table(rng)), random_table(rng)
    ops = diff(current, want, purge=True)
    lines = render(ops)
    for cut in range(len(lines) + 1):
        simulate(current, ops[:cut])
        apply_lines(current, lines[:cut])


# ---------------------------------------------------------------------------
# The ops


ORDERED = ('-A -t 10.0.0.1:80 -s rr\n'
           '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1\n'
           '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1\n'
           '-A -t 10.0.0.2:80 -s rr\n'
           '-a -t 10.0.0.2:80 -r 10.0.1.1:80 -g -w 1\n'
           '-A -f 7 -s rr\n')


def ordered_plan():
    current = zero_thresholds(parse_save(ORDERED))
    want = desired(
        {'address': '10.0.0.1', 'port': 80, 'scheduler': 'wrr',                 # edited
         'destinations': [{'address': '10.0.1.3'}, {'address': '10.0.1.1', 'weight': 2}]},  # .3 added, .1 edited
        {'address': '10.0.0.3', 'port': 80, 'scheduler': 'rr', 'destinations': [{'address': '10.0.1.4'}]},  # new
        {'address': '10.0.0.2', 'port': 80, 'scheduler': 'rr', 'destinations': [{'address': '10.0.1.1'}]},  # same
    )
    return current, want, diff(current, want, purge=True)     # purge: 10.0.1.2 and fwmark 7 go


def test_diff_orders_ops_so_that_a_batch_cut_short_leaves_a_usable_table():
    """Service adds and edits (in declared order), destination edits, destination adds,
    destination deletes, service deletes."""
    current, want, ops = ordered_plan()
    one, three = tcp('10.0.0.1'), tcp('10.0.0.3')
    assert [op.verb for op in ops] == [EDIT_SERVICE, ADD_SERVICE, EDIT_SERVER, ADD_SERVER, ADD_SERVER,
                                       DELETE_SERVER, DELETE_SERVICE]
    assert ops[0] == Op(EDIT_SERVICE, one, want[one])
    assert ops[1] == Op(ADD_SERVICE, three, want[three])
    assert ops[2] == Op(EDIT_SERVER, one, None, replace(want[one].destinations[('10.0.1.1', 80)],
                                                        upper_threshold=0, lower_threshold=0))
    assert ops[3:5] == [Op(ADD_SERVER, one, None, want[one].destinations[('10.0.1.3', 80)]),
                        Op(ADD_SERVER, three, None, want[three].destinations[('10.0.1.4', 80)])]
    assert ops[5] == Op(DELETE_SERVER, one, None, current[one].destinations[('10.0.1.2', 80)])
    assert ops[6] == Op(DELETE_SERVICE, ServiceKey(fwmark=7))
    assert render(ops) == [
        '-E -t 10.0.0.1:80 -s wrr',
        '-A -t 10.0.0.3:80 -s rr',
        '-e -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 2',
        '-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1',
        '-a -t 10.0.0.3:80 -r 10.0.1.4:80 -g -w 1',
        '-d -t 10.0.0.1:80 -r 10.0.1.2:80',
        '-D -f 7',
    ]
    assert diff(current, want) == ops[:5]           # without purge: no deletes, the rest as it was


def test_ops_are_immutable_values():
    _current, _want, ops = ordered_plan()
    with pytest.raises(AttributeError):
        ops[0].verb = DELETE_SERVICE
    assert Op(DELETE_SERVICE, ServiceKey(fwmark=7)) == Op(DELETE_SERVICE, ServiceKey(fwmark=7), None, None)
    assert set(op.verb for op in ops) <= set(VERBS)


def test_simulate_applies_ops_without_touching_its_input():
    current, want, ops = ordered_plan()
    before = zero_thresholds(parse_save(ORDERED))
    after = simulate(current, ops)
    assert current == before
    assert list(after) == [tcp('10.0.0.1'), tcp('10.0.0.2'), tcp('10.0.0.3')]
    assert diff(after, want, purge=True) == []
    assert after[tcp('10.0.0.1')].scheduler == 'wrr'
    assert after == apply_lines(current, render(ops))


@pytest.mark.parametrize('op', [
    Op(ADD_SERVICE, tcp(), Service(tcp())),                                    # exists
    Op(EDIT_SERVICE, tcp(port=9), Service(tcp(port=9))),                       # no such service
    Op(DELETE_SERVICE, tcp(port=9)),
    Op(ADD_SERVICE, tcp(port=9), Service(tcp(port=9), 'nosuch')),              # unknown scheduler
    Op(ADD_SERVER, tcp(), None, Destination('192.168.56.41', 80)),             # exists
    Op(ADD_SERVER, tcp(port=9), None, Destination('192.168.56.41', 9)),        # no such service
    Op(EDIT_SERVER, tcp(), None, Destination('192.168.56.99', 80)),            # no such destination
    Op(DELETE_SERVER, tcp(), None, Destination('192.168.56.99', 80)),
    Op(ADD_SERVER, tcp(), None, Destination('192.168.56.99', 80, lower_threshold=5)),     # -y alone
    Op(EDIT_SERVER, tcp(), None, Destination('192.168.56.41', 80, upper_threshold=5, lower_threshold=6)),
])
def test_simulate_refuses_what_the_kernel_refuses(op):
    current = full_table()
    with pytest.raises(ValueError):
        simulate(current, [op])
    assert current == full_table()


def test_summary_and_touched_keys_come_from_the_ops():
    _current, _want, ops = ordered_plan()
    summary = summarize(ops)
    assert list(summary) == list(VERBS)
    assert summary == {'add_service': 1, 'edit_service': 1, 'delete_service': 1, 'add_server': 2,
                       'edit_server': 1, 'delete_server': 1}
    assert summarize([]) == dict.fromkeys(VERBS, 0)
    assert touched_keys(ops) == [tcp('10.0.0.1'), tcp('10.0.0.3'), ServiceKey(fwmark=7)]


def test_diff_texts_of_added_and_deleted_services():
    current, _want, ops = ordered_plan()
    texts = diff_texts(current, ops)
    assert texts['before'] == ('-A -t 10.0.0.1:80 -s rr\n'
                               '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 1\n'
                               '-a -t 10.0.0.1:80 -r 10.0.1.2:80 -g -w 1\n'
                               '-A -f 7 -s rr\n')
    assert texts['after'] == ('-A -t 10.0.0.1:80 -s wrr\n'
                              '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 2\n'
                              '-a -t 10.0.0.1:80 -r 10.0.1.3:80 -g -w 1\n'
                              '-A -t 10.0.0.3:80 -s rr\n'
                              '-a -t 10.0.0.3:80 -r 10.0.1.4:80 -g -w 1\n')
    assert diff_texts(current, []) == dict(texts, before='', after='')


def test_resulting_destination_keeps_or_zeroes_unmanaged_thresholds():
    have = Destination('192.168.56.41', 80, upper_threshold=100, lower_threshold=10)
    want = Destination('192.168.56.41', 80, weight=3)
    assert resulting_destination(have, want) == replace(want, upper_threshold=100, lower_threshold=10)
    assert resulting_destination(None, want) == replace(want, upper_threshold=0, lower_threshold=0)
    declared = replace(want, upper_threshold=5)
    assert resulting_destination(have, declared) == replace(declared, lower_threshold=10)
    assert want.upper_threshold is None       # not modified


def test_split_rules_in_ipvsadm_s_words():
    lines, thresholds = split_rules('# web\n\n  -A -t 192.168.56.40:80   -s rr\n'
                                    '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1 -x 10 -y 2\n'
                                    '-a -f 5 -6 -r [2001:db8::42]:0 -g -w 4 -y 0\n'
                                    '-a -t 192.168.56.40:443 -r 192.168.56.41:443 -i -w 1 -x 3 --tun-type gue\n')
    assert lines == ['-A -t 192.168.56.40:80 -s rr',
                     '-a -t 192.168.56.40:80 -r 192.168.56.41:80 -g -w 1',
                     '-a -f 5 -6 -r [2001:db8::42]:0 -g -w 4',
                     # -x not at the end stays: such a line never equals a saved one
                     '-a -t 192.168.56.40:443 -r 192.168.56.41:443 -i -w 1 -x 3 --tun-type gue']
    assert thresholds == {('-t 192.168.56.40:80', '192.168.56.41:80'): {'-x': 10, '-y': 2},
                          ('-f 5 -6', '[2001:db8::42]:0'): {'-y': 0}}
    saved = recorded('full-save.txt')
    assert same_lines(split_rules(saved)[0], saved)
    assert same_lines(split_rules(saved)[0][::-1], saved)
    assert not same_lines(split_rules(saved)[0][1:], saved)
    assert not same_lines(split_rules(saved)[0] + split_rules(saved)[0][-1:], saved)


def test_same_thresholds_against_the_listing():
    listed = parse_list(recorded('full-thresholds.txt'))
    assert same_thresholds({('-t 192.168.56.40:80', '192.168.56.42:80'): {'-x': 100, '-y': 10},
                            ('-t 192.168.56.40:80', '192.168.56.41:80'): {'-x': 0}}, listed)
    assert not same_thresholds({('-t 192.168.56.40:80', '192.168.56.42:80'): {'-x': 100, '-y': 0}}, listed)
    # a destination the listing lacks
    assert not same_thresholds({('-t 192.168.56.40:80', '192.168.56.49:80'): {'-x': 0}}, listed)
