# -*- coding: utf-8 -*-
# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.lvs.ha`` importable when pytest runs from the checkout.

`make setup` links the checkout as build/collections/ansible_collections/lvs/ha; under
ansible-test the checkout already sits in an ansible_collections tree.
"""

from __future__ import annotations

import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_PARTS = _ROOT.split(os.sep)
if _PARTS[-3:-2] == ['ansible_collections']:
    _PATH = os.sep.join(_PARTS[:-3])
else:
    _PATH = os.path.join(_ROOT, 'build', 'collections')
if _PATH not in sys.path:
    sys.path.insert(0, _PATH)
