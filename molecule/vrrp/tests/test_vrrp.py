"""vrrp: two directors hold one VIP by VRRP (lvs.ha.director, IPVS driver none).

Also the tests of the vrrp3 scenario (VRRPv3, advert_int 0.1 s): every figure comes
from the rendered keepalived.conf, and the results file is named after the scenario.

Real daemons and real packets: the client asks for the VIP over ARP, the live keepalived
dumps the configuration it runs, and the master's keepalived is killed with SIGKILL (no
priority-0 advertisement) to time how long the backup takes to hold the VIP.
The tests run in file order; the failover test comes last and restores the master.
"""

import functools
import json
import os
import pathlib
import re
import subprocess
import time

import testinfra

VIP = "10.251.56.40"
DIRECTORS = ["director1", "director2"]
CLIENT = "client"
CONF = "/etc/keepalived/keepalived.conf"
# Extra time allowed above VRRP's own timers: podman exec, polling, a loaded machine.
MARGIN = 1.0
RESULTS = pathlib.Path(__file__).resolve().parents[3] / "build" / "results"
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME") or "vrrp"
# Written to the journal before the tests restart keepalived themselves.
MARK = "lvs-ha-molecule: restarting keepalived"

testinfra_hosts = ["podman://" + name for name in DIRECTORS]


def node(name):
    return testinfra.get_host("podman://" + name)


@functools.lru_cache(maxsize=None)  # fixed for the container's life (create.yml)
def mac(name):
    return node(name).file("/sys/class/net/eth0/address").content_string.strip()


def holds_vip(name):
    out = node(name).check_output("ip -4 -o addr show dev eth0")
    return (" %s/" % VIP) in out


def setting(name, key, default=None):
    """A number from the vrrp_instance block of a director's rendered keepalived.conf."""
    conf = node(name).file(CONF).content_string
    found = re.search(r"^\s*%s\s+(\S+)\s*$" % key, conf, re.M)
    if found is None and default is not None:
        return default
    return float(found.group(1))


def advert_interval_dump(name):
    """How keepalived's data dump shows the advert interval: seconds (v2), ms (v3)."""
    advert_int = setting(name, "advert_int")
    if setting(name, "version", 2) == 3:
        return "Advert interval = %d milli-sec" % round(advert_int * 1000)
    return "Advert interval = %d sec" % advert_int


def roles():
    """(master, backup) as the role configured them: the higher priority is the master."""
    ordered = sorted(DIRECTORS, key=lambda d: setting(d, "priority"), reverse=True)
    return ordered[0], ordered[1]


def arp_replies(target):
    """MACs answering an ARP request for target, asked by the client (broadcast each time)."""
    out = node(CLIENT).run("arping -b -c 2 -w 3 -I eth0 %s", target).stdout
    return {m.lower() for m in re.findall(r"reply from \S+ \[([0-9A-Fa-f:]{17})\]", out)}


def client_neighbour(target):
    out = node(CLIENT).check_output("ip neigh show %s dev eth0", target)
    found = re.search(r"lladdr (\S+)", out)
    return found.group(1).lower() if found else None


def wait_for(predicate, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_keepalived_config_is_the_roles(host):
    conf = host.file(CONF)
    assert conf.user == "root" and conf.group == "root"
    assert conf.mode == 0o640, "keepalived.conf mode %o, want 0640" % conf.mode
    text = conf.content_string
    assert "vrrp_instance lvs_ipv4 {" in text
    assert re.search(r"^\s*%s/32 dev eth0$" % re.escape(VIP), text, re.M), text
    # VRRP only: keepalived exits at start with any virtual_server when IPVS is missing.
    assert "virtual_server" not in text
    check = host.run("keepalived -t -f %s", CONF)
    assert check.rc == 0, "keepalived -t: rc %d\n%s" % (check.rc, check.stderr)


def test_keepalived_runs_that_config(host):
    service = host.service("keepalived")
    assert service.is_running and service.is_enabled
    pid = host.check_output("systemctl show -P MainPID keepalived")
    host.run("rm -f /tmp/keepalived.data")
    host.check_output("kill -USR1 %s", pid)  # keepalived dumps its live data to /tmp
    assert wait_for(lambda: host.file("/tmp/keepalived.data").exists, 5)
    time.sleep(0.2)
    data = host.file("/tmp/keepalived.data").content_string
    assert "VRRP Instance = lvs_ipv4" in data
    assert "Priority = %d" % setting(host.backend.hostname, "priority") in data
    assert advert_interval_dump(host.backend.hostname) in data
    assert re.search(r"^\s+%s dev eth0\b" % re.escape(VIP), data, re.M), data
    # no IPVS: no health-checker child, only the parent and the VRRP child
    assert len(host.process.filter(comm="keepalived")) == 2


def test_vip_is_on_the_master_only():
    master, backup = roles()
    assert holds_vip(master), "%s (highest priority) does not hold %s" % (master, VIP)
    assert not holds_vip(backup), "%s (backup) holds %s too" % (backup, VIP)
    # on the wire: only the master answers ARP for the VIP
    assert arp_replies(VIP) == {mac(master)}


def test_converge_and_idempotence_started_keepalived_once(host):
    """The second converge reloads at most, never restarts: one keepalived PID since boot."""
    out = host.check_output("journalctl -b -o json --no-pager -t Keepalived -t lvs-ha-molecule")
    entries = [json.loads(line) for line in out.splitlines()]
    ours = [i for i, e in enumerate(entries) if e["MESSAGE"] == MARK]
    before_tests = entries[:ours[0]] if ours else entries
    starts = [e for e in before_tests if e["MESSAGE"].startswith("Starting Keepalived v")]
    assert len(starts) == 1, "keepalived started %d times before the tests" % len(starts)
    if not ours:
        assert starts[0]["_PID"] == host.check_output("systemctl show -P MainPID keepalived")


def test_failover_when_keepalived_is_killed_on_the_master():
    master, backup = roles()
    advert_int = setting(backup, "advert_int")
    skew = (256 - setting(backup, "priority")) / 256 * advert_int
    # The backup declares the master down 3 adverts + skew after the last advert it got,
    # which came at most one interval before the kill.
    window = (2 * advert_int + skew, 3 * advert_int + skew)
    bound = window[1] + MARGIN
    assert holds_vip(master) and not holds_vip(backup)

    # the client learns the VIP's MAC (the master's) by talking to it
    node(CLIENT).run("ping -c 1 -W 2 %s", VIP)
    assert client_neighbour(VIP) == mac(master)

    # watch from inside the backup (same kernel clock as the master), polling every 10 ms
    watcher = subprocess.Popen(
        ["podman", "exec", backup, "sh", "-c",
         "echo ready; end=$(($(date +%%s) + 30)); "
         "until ip -4 -o addr show dev eth0 | grep -qF ' %s/'; do "
         "[ $(date +%%s) -lt $end ] || { echo timeout; exit 1; }; sleep 0.01; done; "
         "date +%%s.%%N" % VIP],
        stdout=subprocess.PIPE, text=True)
    assert watcher.stdout.readline().strip() == "ready"
    node(master).run("logger -t lvs-ha-molecule %s", MARK)
    killed_at = float(node(master).check_output(
        "date +%s.%N; kill -KILL $(pidof keepalived)").split()[0])
    held_at = watcher.communicate(timeout=60)[0].strip()
    assert held_at != "timeout", "%s never took %s over" % (backup, VIP)
    failover = float(held_at) - killed_at

    # the backup's gratuitous ARP moves the client's entry to the backup's MAC
    garp = wait_for(lambda: client_neighbour(VIP) == mac(backup), 3)

    # restore: start keepalived on the master again; it preempts (higher priority)
    started_at = time.monotonic()
    node(master).check_output("systemctl start keepalived")
    back = wait_for(lambda: holds_vip(master) and not holds_vip(backup), 3 * advert_int + 1 + 2 * MARGIN)
    preempt = time.monotonic() - started_at

    result = {
        "scenario": SCENARIO,
        "vrrp_version": int(setting(backup, "version", 2)),
        "event": "SIGKILL of keepalived on the master (no priority-0 advert)",
        "master": master,
        "backup": backup,
        "advert_int_s": advert_int,
        "backup_priority": int(setting(backup, "priority")),
        "failover_s": round(failover, 3),
        "expected_window_s": [round(w, 3) for w in window],
        "bound_s": round(bound, 3),
        "client_arp_moved": garp,
        "preempt_back_s": round(preempt, 3),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / ("%s.json" % SCENARIO)).write_text(json.dumps(result, indent=2) + "\n")
    print("\n%s failover: %s held %s %.2f s after keepalived was SIGKILLed on %s "
          "(bound %.2f s = 3 x advert_int %g + skew %.2f + margin %g); preempted back in %.2f s"
          % (SCENARIO, backup, VIP, failover, master, bound, advert_int, skew, MARGIN, preempt))

    assert window[0] - 0.1 <= failover <= bound, result
    assert garp, "the client's ARP entry for %s did not move to %s" % (VIP, backup)
    assert back, "%s did not take %s back after keepalived restarted" % (master, VIP)
