# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the module tests; the ipvsadm emulator lives in ipvsadm_emulator.py."""

from __future__ import annotations

from ipvsadm_emulator import run_module  # noqa: F401  pylint: disable=unused-import
