# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The IPVS table model behind the lvs.ha ipvs modules. PRIVATE module_utils.

model   ServiceKey, Service, Destination; validation of the modules' options
parse   ipvsadm -S / -L output -> model
plan    diff(current, desired) -> ordered Op list; simulate, summary, diff texts
render  ops and tables -> ipvsadm rule lines (the last step)
run     IpvsadmRunner (the one place that runs ipvsadm), reconcile, read_info

Import from the submodules.
"""
