# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ipvsadm emulator the module tests run against behaves as the recorded ipvsadm did."""

from __future__ import annotations

import pytest

from ansible_collections.lvs.ha.plugins.module_utils._ipvs.parse import merge_thresholds, parse_list, parse_save
from ansible_collections.lvs.ha.plugins.module_utils._ipvs.render import render_save

from ipvsadm_emulator import FakeIpvsadm, format_list, recorded


def full():
    fake = FakeIpvsadm(recorded('full-save.txt'))
    merge_thresholds(fake.table, parse_list(recorded('full-thresholds.txt')))
    return fake


def lines(text):
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize('form, name', [
    ('plain', 'full-list.txt'), ('thresholds', 'full-thresholds.txt'),
    ('persistent-conn', 'full-persistent-conn.txt'), ('stats', 'full-stats.txt'), ('rate', 'full-rate.txt'),
])
def test_listings_are_ipvsadms(form, name):
    assert lines(format_list(full().table, form)) == lines(recorded(name))


def test_save_is_served_verbatim_then_rendered_like_ipvsadm():
    fake = full()
    assert fake(['/usr/sbin/ipvsadm', '-S', '-n'], environ_update={'LC_ALL': 'C'})[1] == recorded('full-save.txt')
    fake.pristine = False
    rendered = fake(['/usr/sbin/ipvsadm', '-S', '-n'], environ_update={'LC_ALL': 'C'})[1]
    assert rendered == recorded('full-save.txt').replace(' --tun-type ipip', '')


@pytest.mark.parametrize('case', ['restore-ok', 'restore-edit', 'restore-bad-scheduler-midbatch',
                                  'restore-kernel-error-midbatch', 'restore-kernel-error-last',
                                  'restore-missing-service-midbatch', 'restore-blank-line'])
def test_restore_batches_end_as_recorded(case):
    fake = FakeIpvsadm()
    rc, _out, err = fake(['/usr/sbin/ipvsadm', '-R'], recorded(case + '.input'), environ_update={'LC_ALL': 'C'})
    expected_rc = int(recorded(case + '.rc')) if case + '.rc' in recorded('README.md') else 0
    assert rc == expected_rc
    assert err == (recorded(case + '.stderr') if case + '.stderr' in recorded('README.md') else '')
    assert render_save(fake.table) == render_save(parse_save(recorded(case + '-after.txt')))
