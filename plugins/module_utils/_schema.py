# -*- coding: utf-8 -*-
# Copyright: lvs.ha contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.ha schema: every option of the collection's variable model, declared once.

PRIVATE module_utils: not a public API, may change without notice. Pure, standard
library only (it is imported by modules on the targets too).

Each option is an Ansible argument-spec entry (``type``, ``elements``, ``choices``,
``default``, ``required``, ``options``, ``description``) with three keys of our own that
the generated argument specs leave out and describe in words instead:

- ``min``/``max``: inclusive bounds of a number;
- ``pattern``: the name of an entry of :data:`PATTERNS`; the whole string must match it
  (``re.fullmatch``: a trailing newline does not pass);
- ``format``: ``ip`` (an IPv4 or IPv6 address), ``mac`` (a MAC address, checked on the
  controller with netaddr) or ``keepalived_text`` (free keepalived configuration).

What reads it:

- ``_model.py`` validates the inventory with :func:`check` (one gate, on the controller);
- ``tools/gen-specs`` writes ``roles/*/meta/argument_specs.yml`` and the tables of
  ``docs/variables.md`` from it, and a unit test fails when the committed files differ;
- ``_ipvs`` takes its constants (schedulers, forwarding methods, limits) from here.
"""

from __future__ import annotations

import re

# --- facts about IPVS and keepalived: one constant each ----------------------------

PROTOCOLS = ('tcp', 'udp', 'sctp')
FAMILIES = ('ipv4', 'ipv6')
FORWARDING = ('dr', 'tunnel', 'nat')
# The schedulers that both ipvsadm 1.31 and Linux 6.1 (Debian 12) know. `twos` (Linux
# 6.2+) is left out: ipvsadm 1.31 does not list it and Debian 12's kernel has no module.
SCHEDULERS = ('rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh')
DEFAULT_SCHEDULER = 'wlc'
SCHED_FLAGS = ('sh-fallback', 'sh-port', 'mh-fallback', 'mh-port', 'flag-1', 'flag-2', 'flag-3')
CHECK_TYPES = ('http_get', 'ssl_get', 'tcp_check', 'udp_check', 'dns_check', 'ping_check', 'misc_check', 'none')
# keepalived's DNS_CHECK query types.
DNS_TYPES = ('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA')
IPVS_DRIVERS = ('keepalived', 'ipvsadm', 'none')
FIREWALL_BACKENDS = ('iptables', 'nftables')
MAX_PORT = 65535
MAX_WEIGHT = 65535                 # ipvsadm <= 1.31 refuses larger weights
MAX_THRESHOLD = 2147483647
MAX_FWMARK = 4294967295
MAX_PERSISTENCE = 86400 * 31       # ipvsadm's MAX_TIMEOUT
FWMARK_SPAN = 1000                 # allocated marks lie in [base, base + FWMARK_SPAN)
MAX_SYNC_ID = 255                  # the sync daemon's id is one byte
VRRP_V2_ADVERT = (1, 255)          # whole seconds (RFC 3768)
VRRP_V3_ADVERT = (0.01, 40.95)     # centiseconds, 12 bits (RFC 5798)
MAX_AUTH_PASS = 8                  # VRRPv2 PASS authentication

# --- string patterns: every string that reaches a file or a command passes one -----

PATTERNS = {
    'name': (r'[a-z0-9][a-z0-9_-]{0,63}',
             'a name of lower-case letters, digits, _ and - (at most 64, starting with a letter or digit)'),
    # The kernel's rule (dev_valid_name: fewer than 16 bytes, no /, : or white space, not
    # . or ..), narrowed to the characters interface names are made of in practice.
    'interface': (r'(?!\.{1,2}\Z)[A-Za-z0-9_.-]{1,15}',
                  'an interface name of 1-15 letters, digits, _ . and -'),
    'group': (r'[A-Za-z_][A-Za-z0-9_-]{0,63}', 'an inventory group name (letters, digits, _ and -)'),
    'router_id': (r'[A-Za-z0-9][A-Za-z0-9_.-]{0,63}', 'a host-like name (letters, digits, _ . and -)'),
    'user': (r'[a-z_][a-z0-9_-]{0,31}', 'a user name (lower-case letters, digits, _ and -)'),
    # keepalived.conf: no white space, quotes, braces, # or ! (comments) or $ (its parameters).
    'url_path': (r'/[A-Za-z0-9._~%&*+,;=:@/?-]{0,254}',
                 'a URL path starting with / without white space, quotes, braces, #, ! or $'),
    'dns_name': (r'(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                 r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*',
                 'a DNS name'),
    'dns_root_or_name': (r'\.|(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
                         r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?',
                         'a DNS name or . (the root)'),
    'md5': (r'[0-9a-f]{32}', 'an MD5 digest (32 lower-case hex digits)'),
    'hex': (r'(?:[0-9a-f]{2}){1,256}', 'bytes as lower-case hex digits, two per byte (1-256 bytes)'),
    # An absolute program and plain arguments: keepalived splits on spaces, runs no shell.
    'command': (r'/[A-Za-z0-9_./+-]{1,200}(?: [A-Za-z0-9_./:=@%+,-]{1,200}){0,16}',
                'an absolute path to a program, optionally followed by plain arguments '
                '(letters, digits and _ . / : = @ % + , -) separated by single spaces'),
    'auth_pass': (r'[A-Za-z0-9_.:@%+,=-]{0,8}',
                  'at most 8 letters, digits or _ . : @ % + , = -'),
    'iptables_chain': (r'(?!(?:PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING|ACCEPT|DROP|RETURN|QUEUE|MARK)\Z)'
                       r'[A-Za-z0-9_-]{1,28}',
                       'an iptables chain name of 1-28 letters, digits, _ and -, not a built-in chain or target'),
    'nft_table': (r'[A-Za-z][A-Za-z0-9_]{0,31}', 'an nftables table name (a letter, then letters, digits, _)'),
    'sysctl_key': (r'[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_/-]+)+', 'a sysctl name such as net.ipv4.ip_forward'),
    'sysctl_value': (r'[A-Za-z0-9_.:/+-]{1,64}(?: [A-Za-z0-9_.:/+-]{1,64}){0,7}',
                     'a sysctl value (plain words separated by single spaces)'),
    'package': (r'[A-Za-z0-9][A-Za-z0-9+._-]{0,127}', 'a package name (letters, digits and + . _ -)'),
    'inventory_host': (r'[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}', 'an inventory host name'),
}
COMPILED = {name: re.compile(pattern[0]) for name, pattern in PATTERNS.items()}


def matches(pattern, value):
    """True when the whole of ``value`` (a str) matches the named pattern."""
    return COMPILED[pattern].fullmatch(value) is not None


# --- the options ------------------------------------------------------------------

HEALTH_CHECK = {
    'type': dict(type='str', choices=list(CHECK_TYPES),
                 description='The checker; when C(health_check) is not given - C(tcp_check) for TCP services, '
                             'C(udp_check) and C(ping_check) for UDP, C(ping_check) for SCTP.'),
    'connect_port': dict(type='int', min=1, max=MAX_PORT,
                         description='Port to check; default - the real server\'s port. TCP, HTTP, SSL, UDP and DNS '
                                     'checks.'),
    'connect_timeout': dict(type='int', default=3, min=1, max=3600,
                            description='Seconds to wait for the connection (UDP and DNS - for the answer or an ICMP '
                                        'error, ping - for the echo reply).'),
    'retry': dict(type='int', default=3, min=0, max=1000,
                  description='Failed attempts before the real server is taken out.'),
    'delay_before_retry': dict(type='int', default=2, min=0, max=3600,
                               description='Seconds between attempts.'),
    'path': dict(type='str', default='/', pattern='url_path', description='HTTP and SSL checks - the URL path.'),
    'status_code': dict(type='int', default=200, min=100, max=599,
                        description='HTTP and SSL checks - the expected status.'),
    'digest': dict(type='str', pattern='md5', description='HTTP and SSL checks - MD5 of the expected body.'),
    'virtualhost': dict(type='str', pattern='dns_name', description='HTTP and SSL checks - the Host header.'),
    'misc_path': dict(type='str', pattern='command',
                      description='C(misc_check) - the command (required), run as the director\'s script user.'),
    'misc_timeout': dict(type='int', min=1, max=3600, description='C(misc_check) - seconds the command may run.'),
    'misc_dynamic': dict(type='bool', default=False,
                         description='C(misc_check) - the exit code minus 2 sets the weight.'),
    'payload': dict(type='str', pattern='hex',
                    description='C(udp_check) - the datagram to send, as hex digits (default - an empty datagram).'),
    'require_reply': dict(type='bool', default=False,
                          description='C(udp_check) - fail unless the real server answers; without it only an ICMP '
                                      'error (port or host unreachable) fails the check.'),
    'dns_type': dict(type='str', choices=list(DNS_TYPES), default='SOA',
                     description='C(dns_check) - the type of the query (over UDP).'),
    'dns_name': dict(type='str', default='.', pattern='dns_root_or_name',
                     description='C(dns_check) - the name to query; the check fails unless the answer has a record.'),
}
# The keys each check type takes (the others are refused).
CHECK_KEYS = {
    'http_get': ('type', 'path', 'status_code', 'digest', 'virtualhost', 'connect_port',
                 'connect_timeout', 'retry', 'delay_before_retry'),
    'tcp_check': ('type', 'connect_port', 'connect_timeout', 'retry', 'delay_before_retry'),
    'udp_check': ('type', 'connect_port', 'connect_timeout', 'payload', 'require_reply', 'retry',
                  'delay_before_retry'),
    'dns_check': ('type', 'connect_port', 'connect_timeout', 'dns_type', 'dns_name', 'retry', 'delay_before_retry'),
    'ping_check': ('type', 'connect_timeout', 'retry', 'delay_before_retry'),
    'misc_check': ('type', 'misc_path', 'misc_timeout', 'misc_dynamic', 'retry', 'delay_before_retry'),
    'none': ('type',),
}
CHECK_KEYS['ssl_get'] = CHECK_KEYS['http_get']

SORRY_SERVER = {
    'address': dict(type='str', required=True, format='ip', description='Address, of the VIP\'s family.'),
    'port': dict(type='int', min=0, max=MAX_PORT, description='Port; default - the real servers\' port.'),
}

REALSERVER = {
    'host': dict(type='str', description='An inventory host (resolved to its address); exactly one of host, address.'),
    'address': dict(type='str', format='ip', description='An address; exactly one of host, address.'),
    'port': dict(type='int', min=1, max=MAX_PORT, description='Port on this real server (NAT only may differ).'),
    'weight': dict(type='int', min=0, max=MAX_WEIGHT, description='Weight; default - the service\'s.'),
    'upper_threshold': dict(type='int', default=0, min=0, max=MAX_THRESHOLD,
                            description='Maximum connections (0 - no limit).'),
    'lower_threshold': dict(type='int', default=0, min=0, max=MAX_THRESHOLD,
                            description='Connections below which an overloaded server takes new ones again; '
                                        'needs upper_threshold and must not exceed it.'),
}

SERVICE = {
    'name': dict(type='str', required=True, pattern='name', description='Unique name.'),
    'vip': dict(type='str', required=True, format='ip',
                description='The virtual IP address, IPv4 or IPv6 - a unicast host address no cluster host owns.'),
    'protocol': dict(type='str', choices=list(PROTOCOLS), default='tcp', description='Transport protocol.'),
    'port': dict(type='int', min=1, max=MAX_PORT,
                 description='The service port; required (also with a firewall mark in colocated mode, where the '
                             'marks match it).'),
    'fwmark': dict(type='int', min=1, max=MAX_FWMARK,
                   description='Define the service by this firewall mark instead of address and port (something must '
                               'mark the packets - the P(lvs.ha.colocated#role) role does); allocated in colocated '
                               'mode when not given. Outside colocated mode a service with a fwmark has no port.'),
    'scheduler': dict(type='str', choices=list(SCHEDULERS), default=DEFAULT_SCHEDULER,
                      description='IPVS scheduler (those of ipvsadm 1.31 and Linux 6.1).'),
    'sched_flags': dict(type='list', elements='str', choices=list(SCHED_FLAGS), default=[],
                        description='Scheduler flags; C(sh-*) need C(sh), C(mh-*) need C(mh). C(mh) with '
                                    'C(mh-port) (hash the port too) and C(mh-fallback) (another real server when the '
                                    'chosen one is unavailable) lets directors agree without connection sync (with '
                                    'C(net.ipv4.vs.sloppy_tcp) in C(lvs_director_sysctls); C(docs/roles.md)).'),
    'persistent': dict(type='int', min=1, max=MAX_PERSISTENCE, description='Persistence timeout in seconds.'),
    'persistence_netmask': dict(type='str',
                                description='Persistence granularity - an IPv4 netmask or prefix length, or an IPv6 '
                                            'prefix length; needs persistent.'),
    'forwarding': dict(type='str', choices=list(FORWARDING), default='dr',
                       description='Forwarding method - direct routing, IPIP tunnel or NAT (masquerading).'),
    'weight': dict(type='int', default=1, min=0, max=MAX_WEIGHT, description='Default weight of the real servers.'),
    'realserver_port': dict(type='int', min=1, max=MAX_PORT,
                            description='Port on the real servers; only NAT may differ from port.'),
    'realservers_group': dict(type='str', pattern='group',
                              description='Inventory group whose hosts are the real servers; default '
                                          'O(lvs_realservers_group).'),
    'realservers': dict(type='list', elements='raw', options=REALSERVER,
                        description='Explicit real servers instead of a group - each an inventory host name, an '
                                    'address, or a mapping. V([]) is allowed (no real server yet).'),
    'health_check': dict(type='raw', options=HEALTH_CHECK,
                         description='keepalived health check of each real server (C(keepalived) driver only; the '
                                     'C(ipvsadm) driver has none and warns). A string is taken as the type; a list '
                                     'gives several checkers, all of which must pass (V([]) or C(none) - no check). '
                                     'Default - C(tcp_check) for TCP, C([udp_check, ping_check]) for UDP, '
                                     'C(ping_check) for SCTP.'),
    'delay_loop': dict(type='int', default=6, min=1, max=86400, description='Seconds between health checks.'),
    'inhibit_on_failure': dict(type='bool', default=False,
                               description='Set a failed real server\'s weight to 0 instead of removing it.'),
    'quorum': dict(type='int', min=1, max=MAX_FWMARK,
                   description='Minimum total weight of healthy real servers (keepalived; default 1).'),
    'hysteresis': dict(type='int', min=0, max=MAX_FWMARK, description='Hysteresis around the quorum (keepalived).'),
    'sorry_server': dict(type='raw', options=SORRY_SERVER,
                         description='Server used when the quorum is lost - a mapping C(address), C(port) or a '
                                     'string C(ADDRESS PORT).'),
}

TRACK_SCRIPT = {
    'name': dict(type='str', required=True, pattern='name', description='Name of the C(vrrp_script).'),
    'script': dict(type='str', required=True, pattern='command', description='The command.'),
    'interval': dict(type='int', default=2, min=1, max=3600, description='Seconds between runs.'),
    'timeout': dict(type='int', min=1, max=3600, description='Seconds a run may take.'),
    'weight': dict(type='int', min=-253, max=253, description='Priority change on failure (or success if > 0).'),
    'rise': dict(type='int', min=1, max=1000, description='Successes before it counts as up.'),
    'fall': dict(type='int', min=1, max=1000, description='Failures before it counts as down.'),
}
TRACK_INTERFACE = {
    'name': dict(type='str', required=True, pattern='interface', description='Interface name.'),
    'weight': dict(type='int', min=-253, max=253, description='Priority change when it is down (else fault).'),
}
NOTIFY = {event: dict(type='str', pattern='command', description='Command run on %s.' % text)
          for event, text in (('master', 'becoming master'), ('backup', 'becoming backup'),
                              ('fault', 'a fault'), ('stop', 'stop'), ('notify', 'every transition'))}

# Every variable of the three roles, by name. A role's list of variables is in ROLES.
OPTIONS = {
    # per host
    'lvs_interface': dict(type='str', required=True, pattern='interface',
                          description='The network interface on the load-balanced segment (VIPs, ARP sysctls, where '
                                      'the marks match), per host or for all; also how the host\'s address and MAC are '
                                      'found in its facts.'),
    'lvs_address': dict(type='str', format='ip',
                        description='This host\'s IPv4 address on the segment; default - the address of '
                                    'O(lvs_interface) in its facts. Read from every cluster host\'s variables.'),
    'lvs_address6': dict(type='str', format='ip',
                         description='This host\'s IPv6 address on the segment (IPv6 services); default - the first '
                                     'global address of O(lvs_interface) that is not a /128 (a VIP held by '
                                     'keepalived), else the first /128.'),
    'lvs_mac': dict(type='str', format='mac',
                    description='Colocated nodes - the MAC of O(lvs_interface); default - from the facts. Quote it in '
                                'YAML (unquoted, YAML 1.1 reads 52:54:00:12:34:51 as a number). Unicast only.'),
    'lvs_virtual_services': dict(type='list', elements='dict', default=[], options=SERVICE,
                                 description='The load-balanced services, declared once for the cluster (usually in '
                                             'C(group_vars/all)); see C(docs/variables.md).'),
    # groups
    'lvs_directors_group': dict(type='str', default='lvs_directors', pattern='group',
                                description='Inventory group of the directors that share the VIPs (VRRP peers).'),
    'lvs_realservers_group': dict(type='str', default='lvs_realservers', pattern='group',
                                  description='Inventory group whose hosts are the real servers of a service that '
                                              'names none.'),
    'lvs_colocated_group': dict(type='str', default='lvs_colocated', pattern='group',
                                description='Inventory group of the colocated nodes.'),
    # director
    'lvs_director_ipvs_driver': dict(type='str', choices=list(IPVS_DRIVERS), default='keepalived',
                                     description='Who programs IPVS - C(keepalived) (virtual_server blocks with health '
                                                 'checks), C(ipvsadm) (a static table by M(lvs.ha.ipvs), restored at '
                                                 'boot) or C(none) (VRRP only).'),
    'lvs_director_fwmarks': dict(type='bool', default=False,
                                 description='Define every service by a firewall mark (set by '
                                             'P(lvs.ha.colocated#role)).'),
    'lvs_fwmark_base': dict(type='int', default=1000, min=1, max=MAX_FWMARK - FWMARK_SPAN,
                            description='First firewall mark of the range marks are allocated from (1000 wide).'),
    'lvs_director_drained': dict(type='list', elements='str', default=[],
                                 description='Real servers (inventory names or addresses) kept at weight 0. The drain '
                                             'and enable playbooks keep their own list in a local fact.'),
    'lvs_director_removed': dict(type='list', elements='str', default=[],
                                 description='Real servers (inventory names or addresses) left out of every service.'),
    'lvs_director_ipvs_purge': dict(type='bool', default=True,
                                    description='C(ipvsadm) driver - remove IPVS services and destinations that are '
                                                'not in the model.'),
    'lvs_director_sysctls': dict(type='dict', default={}, key_pattern='sysctl_key', value_pattern='sysctl_value',
                                 description='Further sysctls to set and persist, e.g. C(net.ipv4.ip_nonlocal_bind: 1), '
                                             'or C(net.ipv4.vs.sloppy_tcp: 1) / C(net.ipv4.vs.sloppy_sctp: 1) (schedule a '
                                             'connection from any packet, not only its SYN or INIT - with C(mh), '
                                             'connections survive a failover without sync).'),
    'lvs_director_router_id': dict(type='str', default='{{ inventory_hostname_short }}', pattern='router_id',
                                   description='keepalived\'s C(router_id).'),
    'lvs_director_script_user': dict(type='str', default='keepalived_script', pattern='user',
                                     description='User keepalived runs track, notify and MISC_CHECK scripts as '
                                                 '(C(enable_script_security) is always on); created unless root.'),
    'lvs_director_sync_daemon': dict(type='bool', default=False,
                                     description='Run the kernel\'s IPVS connection sync daemons on the VRRP interface, '
                                                 'so that established connections survive a failover - with the '
                                                 'C(keepalived) driver keepalived\'s C(lvs_sync_daemon) (master or '
                                                 'backup as the VRRP state), with C(ipvsadm) the unit '
                                                 'C(lvs-ha-sync.service) (both). Off by default - see '
                                                 'C(docs/roles.md).'),
    'lvs_director_sync_daemon_id': dict(type='int', default=0, min=0, max=MAX_SYNC_ID,
                                        description='Sync id, the same on the directors of a cluster and unique among '
                                                    'the clusters that sync on the segment (a daemon takes only '
                                                    'messages of its id).'),
    'lvs_director_keepalived_extra_config': dict(type='str', default='', format='keepalived_text',
                                                 description='Text appended to keepalived.conf (checked with the '
                                                             'rest by C(keepalived -t)); no control characters, '
                                                             'balanced braces.'),
    'lvs_director_vrrp_firewall': dict(type='str', choices=['none', 'firewalld', 'iptables'], default='none',
                                       description='Accept VRRP from the other directors in a host firewall.'),
    # VRRP
    'lvs_vrrp_virtual_router_id': dict(type='int', default=51, min=1, max=255,
                                       description='VRRP virtual router id, the same on every director; unique on the '
                                                   'segment.'),
    'lvs_vrrp_priority': dict(type='int', min=1, max=254,
                              description='This director\'s priority; default C(150 - 10 * position in the '
                                          'directors group). Distinct on every director.'),
    'lvs_vrrp_state': dict(type='str', choices=['BACKUP', 'MASTER'], default='BACKUP',
                           description='Initial state; the highest priority wins the election either way.'),
    'lvs_vrrp_advert_int': dict(type='float', default=1,
                                description='Seconds between advertisements, the same on every director - whole '
                                            'seconds 1-255 with version 2, 0.01-40.95 with version 3.'),
    'lvs_vrrp_version': dict(type='int', choices=[2, 3], default=2,
                             description='VRRP version of the IPv4 instance (IPv6 always uses 3), the same on every '
                                         'director.'),
    'lvs_vrrp_nopreempt': dict(type='bool', default=False,
                               description='A recovered higher-priority director does not take the VIPs back (needs '
                                           'state BACKUP).'),
    'lvs_vrrp_preempt_delay': dict(type='int', default=0, min=0, max=1000,
                                   description='Seconds a recovered higher-priority director waits before taking the '
                                               'VIPs back.'),
    'lvs_vrrp_unicast': dict(type='bool', default=False,
                             description='Advertise by unicast to the other directors instead of multicast.'),
    'lvs_vrrp_interface': dict(type='str', pattern='interface',
                               description='Interface for VRRP and the VIPs; default O(lvs_interface).'),
    'lvs_vrrp_track_interfaces': dict(type='list', elements='raw', default=[], options=TRACK_INTERFACE,
                                      description='Interfaces whose failure makes this director fault (or lowers its '
                                                  'priority by weight) - names or C({name, weight}).'),
    'lvs_vrrp_track_scripts': dict(type='list', elements='dict', default=[], options=TRACK_SCRIPT,
                                   description='Scripts tracked by VRRP (C(vrrp_script)), run as the script user.'),
    'lvs_vrrp_notify': dict(type='dict', default={}, options=NOTIFY,
                            description='Notify commands by event.'),
    'lvs_vrrp_auth_pass': dict(type='str', default='', pattern='auth_pass',
                               description='VRRPv2 PASS authentication (the same on every director; off when empty; '
                                           'refused with version 3). Weak - sent in clear text.'),
    'lvs_vrrp_extra_vips': dict(type='list', elements='str', default=[],
                                description='VIPs held by VRRP beyond those of the services.'),
    'lvs_vrrp_instance_name': dict(type='str', default='lvs', pattern='name',
                                   description='Prefix of the VRRP instance names (C(<name>_ipv4), C(<name>_ipv6)).'),
    # real server
    'lvs_realserver_extra_vips': dict(type='list', elements='str', default=[],
                                      description='VIPs to hold on C(lo) beyond those of the services.'),
    'lvs_realserver_arp_ignore': dict(type='int', choices=list(range(9)), default=1,
                                      description='C(arp_ignore) on C(all) and O(lvs_interface) - 1 answers ARP only '
                                                  'for addresses of the receiving interface.'),
    'lvs_realserver_arp_announce': dict(type='int', choices=[0, 1, 2], default=2,
                                        description='C(arp_announce) on C(all) and O(lvs_interface) - 2 never uses a '
                                                    'VIP as the source of ARP requests.'),
    'lvs_realserver_remove_stale_vips': dict(
        type='bool', default=True,
        description='Remove the VIPs that an earlier run added and this host no longer serves. C(playbooks/site.yml) '
                    'sets it to false for the real servers, which it changes before the directors, and removes them '
                    'in its last play (the role\'s C(stale_vips) entry point) once the directors no longer send '
                    'their traffic here, so that no request reaches a real server without its VIP.'),
    'lvs_realserver_test_page': dict(type='bool', default=False,
                                     description='Install a web server whose page shows the host name.'),
    # colocated
    'lvs_colocated_firewall_backend': dict(type='str', choices=list(FIREWALL_BACKENDS), default='iptables',
                                           description='Packet filter that sets the marks - C(iptables) (a chain of '
                                                       'the mangle table) or C(nftables) (a table C(inet)).'),
    'lvs_colocated_chain': dict(type='str', default='LVS-HA', pattern='iptables_chain',
                                description='Name of the iptables chain in the mangle table.'),
    'lvs_colocated_nft_table': dict(type='str', default='lvs_ha', pattern='nft_table',
                                    description='Name of the nftables table (family C(inet)).'),
}

# Variables of the collection's playbooks (not role options): lvs.ha.switchover and
# lvs.ha.rolling_upgrade. Checked by the same gate (_model.cluster) as the role options.
PLAYBOOK_OPTIONS = {
    'lvs_switchover_to': dict(type='str', pattern='inventory_host',
                              description='lvs.ha.switchover - the director that is to hold the VIPs.'),
    'lvs_switchover_off': dict(type='str', pattern='inventory_host',
                               description='lvs.ha.switchover - the director that is to give the VIPs up.'),
    'lvs_switchover_reset': dict(type='bool', default=False,
                                 description='lvs.ha.switchover - back to the priorities of the inventory.'),
    'lvs_switchover_timeout': dict(type='int', min=1, max=3600,
                                   description='Seconds to wait for the VIPs to move; default 3 x advert_int + '
                                               'preempt_delay + 30.'),
    'lvs_upgrade_packages': dict(type='list', elements='str', pattern='package',
                                 description='lvs.ha.rolling_upgrade - the packages to bring to the latest version; '
                                             'default keepalived (and ipvsadm with an IPVS driver).'),
    'lvs_upgrade_restart': dict(type='bool', default=False,
                                description='lvs.ha.rolling_upgrade - restart keepalived on each drained director '
                                            'even when no package changed.'),
}

# VRRP settings that every director of a group must agree on (split brain otherwise).
VRRP_AGREED = ('lvs_vrrp_virtual_router_id', 'lvs_vrrp_advert_int', 'lvs_vrrp_version', 'lvs_vrrp_auth_pass',
               'lvs_vrrp_unicast', 'lvs_vrrp_instance_name')

_HOST = ('lvs_interface', 'lvs_address', 'lvs_address6', 'lvs_virtual_services')
_VRRP = tuple(name for name in OPTIONS if name.startswith('lvs_vrrp_'))
_DIRECTOR = tuple(name for name in OPTIONS if name.startswith('lvs_director_'))
_REALSERVER = tuple(name for name in OPTIONS if name.startswith('lvs_realserver_'))
_COLOCATED = tuple(name for name in OPTIONS if name.startswith('lvs_colocated_'))

# The variables of each role, in the order the docs list them.
ROLES = {
    'director': _HOST + ('lvs_directors_group', 'lvs_realservers_group') + _DIRECTOR + ('lvs_fwmark_base',) + _VRRP,
    'realserver': _HOST + ('lvs_realservers_group',) + _REALSERVER,
    'colocated': _HOST + ('lvs_mac', 'lvs_colocated_group', 'lvs_fwmark_base') + _COLOCATED + _DIRECTOR + _VRRP
    + _REALSERVER,
}
