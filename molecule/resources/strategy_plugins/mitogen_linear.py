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

import functools

import ansible_mitogen.loaders
import ansible_mitogen.strategy
from ansible.utils.display import Display

# ansible-core warns, each time a play loads a strategy from outside ansible.builtin, that
# such plugins are deprecated. This test harness's own choice is that warning's only
# cause, so this plugin drops that one message (matched by its opening words) and lets
# every other deprecation warning through.
_OWN_WARNING = 'Use of strategy plugins not included in ansible.builtin'


def _quiet_about_strategy(deprecated):
    @functools.wraps(deprecated)
    def wrapper(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith(_OWN_WARNING):
            return None
        return deprecated(self, msg, *args, **kwargs)
    wrapper.lvs_ha_quiet = True
    return wrapper


if not getattr(Display.deprecated, 'lvs_ha_quiet', False):
    Display.deprecated = _quiet_about_strategy(Display.deprecated)

Base = ansible_mitogen.loaders.strategy_loader.get('linear', class_only=True)


class StrategyModule(ansible_mitogen.strategy.StrategyMixin, Base):
    pass
