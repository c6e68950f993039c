# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mitogen_linear strategy, from the mitogen in the project's virtual environment.

Every molecule scenario points ANSIBLE_STRATEGY_PLUGINS here. The podman connection
runs one `podman exec` (and a new Python) per task and host, mitogen one Python per
container for the whole run (about 3.5 times faster, measured on an idempotent
converge); on the QEMU guests, where every new Python costs most of a second of guest
CPU, a task costs a quarter to a third as much (docs/lab.md). LVSHA_FAST_STRATEGY=linear or LVSHA_FULL_STRATEGY=linear turns it
off (make demo runs site.yml with the plain strategy operators have).
"""

import ansible_mitogen.loaders
import ansible_mitogen.strategy

Base = ansible_mitogen.loaders.strategy_loader.get('linear', class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, Base):
    pass
