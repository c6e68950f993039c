# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Traffic probe for the lab: the client side of every traffic test.

Runs inside the lab's network namespace (``tests/lab/lab exec``) and sends HTTP
requests to a VIP on a lab segment. Every loop is bounded in count and in time, and
the target must be a lab address: anything else is refused before a packet is sent.

  probe.py rr URL [--count 6]
      one request after another; prints the answering host names in order (JSON).
  probe.py gap URL [--timeline] [--after-seconds 1] --kill CMD... [--max-seconds 60] [--interval 0.01]
      requests every INTERVAL; once answers flow, runs CMD (for example a hard kill
      of the master) and measures how long the VIP stays unanswered, going on for
      AFTER-SECONDS after the first answer (JSON). --timeline adds every request: when it
      was sent (seconds from the kill, negative before it), how long it took, who
      answered (null: no answer) or why not.
  probe.py loop URL --until-file PATH [--max-seconds 900] [--interval 0.1]
      a steady request loop that stops when PATH exists or the time is up; counts
      answers and failures per answering host (JSON).
  probe.py hold URL [--connections 6] [--seconds 20]
      opens CONNECTIONS TCP connections to the URL's address and port, sends nothing,
      keeps them open SECONDS, then closes them: established connections for a drain
      to wait on (JSON: how many opened, when they closed).
"""

import argparse
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# The only networks a probe may send to: the lab's segments and loopback.
LAB_NETWORKS = [ipaddress.ip_network(n) for n in (
    '192.168.56.0/24', '10.250.0.0/24', '2001:db8::/64', '127.0.0.0/8', '::1/128')]
REQUEST_TIMEOUT = 1.0
HARD_MAX_SECONDS = 1800
HARD_MAX_REQUESTS = 200000


def lab_url(url):
    """Return URL if its host is a literal lab address, else exit with an error."""
    host = urllib.parse.urlsplit(url).hostname or ''
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        sys.exit('probe: %r is not a literal IP address; the probe only talks to lab addresses' % host)
    if not any(address in net for net in LAB_NETWORKS):
        sys.exit('probe: %s is outside the lab networks; refusing to send anything' % address)
    return url


TAG = re.compile(r'<[^>]*>')


def ask(url, timeout=REQUEST_TIMEOUT):
    """One request: the answering host name (the body's first line without HTML tags), or None."""
    return ask_why(url, timeout)[0]


def ask_why(url, timeout=REQUEST_TIMEOUT):
    """One request: (host name, None) on an answer, (None, what went wrong) otherwise."""
    # The lab's VIP is a direct address on a lab segment: never use a proxy.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return TAG.sub('', response.read(512).decode('utf-8', 'replace')).strip().splitlines()[0].strip(), None
    except urllib.error.URLError as error:
        return None, str(error.reason)
    except (OSError, IndexError, ValueError) as error:
        return None, '%s: %s' % (type(error).__name__, error)


def cmd_rr(args):
    answers = [ask(args.url) for i in range(min(args.count, 1000))]
    print(json.dumps({'url': args.url, 'answers': answers}))
    return 0 if all(answers) else 1


def cmd_gap(args):
    deadline = time.monotonic() + min(args.max_seconds, HARD_MAX_SECONDS)
    killed_at = None
    last_ok_before = None
    first_ok_after = None
    sent = failed = 0
    before, after = set(), set()
    requests = []
    while time.monotonic() < deadline and sent < HARD_MAX_REQUESTS:
        now = time.monotonic()
        answer, error = ask_why(args.url, timeout=args.interval * 20 if args.interval < 0.05 else REQUEST_TIMEOUT)
        sent += 1
        if args.timeline:
            requests.append((now, time.monotonic() - now, answer, error))
        if answer is None:
            failed += 1
        if killed_at is None:
            if answer is not None:
                before.add(answer)
                last_ok_before = now
                if len(before) >= 1 and sent >= 5:
                    subprocess.run(args.kill, check=True)
                    killed_at = time.monotonic()
        elif answer is not None:
            after.add(answer)
            if first_ok_after is None:
                first_ok_after = time.monotonic()
            if first_ok_after and time.monotonic() - first_ok_after > args.after_seconds:
                break
        time.sleep(args.interval)
    result = {
        'url': args.url,
        'requests': sent,
        'failed': failed,
        'answered_before': sorted(before),
        'answered_after': sorted(after),
        'gap_seconds': round(first_ok_after - killed_at, 3) if killed_at and first_ok_after else None,
        'last_answer_before_kill_seconds': round(killed_at - last_ok_before, 3) if killed_at else None,
    }
    if args.timeline:
        result['timeline'] = timeline(requests, killed_at)
    print(json.dumps(result))
    return 0 if result['gap_seconds'] is not None else 1


def timeline(requests, killed_at):
    """Every request of a gap run: sent at (seconds from the kill; from the first request
    when there was no kill), took (seconds), answer (host name or None), error (or None)."""
    zero = killed_at if killed_at is not None else (requests[0][0] if requests else 0.0)
    return [{'at': round(sent - zero, 3), 'took': round(took, 3), 'answer': answer, 'error': error}
            for sent, took, answer, error in requests]


def cmd_loop(args):
    deadline = time.monotonic() + min(args.max_seconds, HARD_MAX_SECONDS)
    start = time.monotonic()
    sent = failed = 0
    hosts = {}
    failures = []
    while time.monotonic() < deadline and sent < HARD_MAX_REQUESTS and not os.path.exists(args.until_file):
        asked = time.monotonic()
        answer, error = ask_why(args.url)
        sent += 1
        if answer is None:
            failed += 1
            if len(failures) < 20:
                # When it happened (seconds since the loop started), how long it took, why.
                failures.append({'at': round(asked - start, 3), 'took': round(time.monotonic() - asked, 3),
                                 'error': error})
        else:
            hosts[answer] = hosts.get(answer, 0) + 1
        time.sleep(args.interval)
    print(json.dumps({'url': args.url, 'requests': sent, 'failed': failed, 'hosts': hosts,
                      'seconds': round(time.monotonic() - start, 3), 'failures': failures,
                      'stopped_by': 'file' if os.path.exists(args.until_file) else 'limit'}))
    return 0


def cmd_hold(args):
    parts = urllib.parse.urlsplit(args.url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    family = socket.AF_INET6 if ':' in parts.hostname else socket.AF_INET
    start = time.monotonic()
    held, errors = [], []
    for i in range(min(args.connections, 100)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(REQUEST_TIMEOUT)
        try:
            sock.connect((parts.hostname, port))
            held.append(sock)
        except OSError as error:
            errors.append(str(error))
            sock.close()
    opened = time.monotonic()
    time.sleep(max(0.0, min(args.seconds, HARD_MAX_SECONDS) - (opened - start)))
    for sock in held:
        sock.close()
    print(json.dumps({'url': args.url, 'opened': len(held), 'errors': errors,
                      'opened_after': round(opened - start, 3), 'closed_after': round(time.monotonic() - start, 3)}))
    return 0 if held and not errors else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    rr = sub.add_parser('rr')
    rr.add_argument('url')
    rr.add_argument('--count', type=int, default=6)
    rr.set_defaults(func=cmd_rr)
    gap = sub.add_parser('gap')
    gap.add_argument('url')
    gap.add_argument('--kill', nargs=argparse.REMAINDER, required=True)
    gap.add_argument('--max-seconds', type=float, default=60)
    gap.add_argument('--interval', type=float, default=0.01)
    gap.add_argument('--after-seconds', type=float, default=1.0)
    gap.add_argument('--timeline', action='store_true')
    gap.set_defaults(func=cmd_gap)
    loop = sub.add_parser('loop')
    loop.add_argument('url')
    loop.add_argument('--until-file', required=True)
    loop.add_argument('--max-seconds', type=float, default=900)
    loop.add_argument('--interval', type=float, default=0.1)
    loop.set_defaults(func=cmd_loop)
    hold = sub.add_parser('hold')
    hold.add_argument('url')
    hold.add_argument('--connections', type=int, default=6)
    hold.add_argument('--seconds', type=float, default=20)
    hold.set_defaults(func=cmd_hold)
    args = parser.parse_args(argv)
    lab_url(args.url)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
