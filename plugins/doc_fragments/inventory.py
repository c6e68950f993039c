# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The inventory arguments of the filters that read other hosts' variables.
    DOCUMENTATION = r'''
options:
  hostvars:
    description: Ansible's C(hostvars) (other hosts' C(lvs_*) variables and facts are read from it).
    type: dict
    required: true
  groups:
    description: Ansible's C(groups).
    type: dict
    required: true
requirements:
  - netaddr (on the controller)
'''
