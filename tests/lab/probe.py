# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Traffic probe for the lab: the client side of every traffic test.

Runs inside the lab's network namespace (``tests/lab/lab exec``) and sends HTTP
requests to a VIP on a lab segment. Every loop is bounded in count and in time, and
the target must be a lab address: anything else is refused before a packet is sent.

  probe.py rr URL [--count 6] [--source-port PORT]
      one request after another; prints the answering host names in order (JSON).
      --source-port: every request from that client port (plain http; the server closes
      first, so the port is free again at once while the director still holds the ended
      connection's entry): each is a port reuse for IPVS.
  probe.py gap URL [--timeline] [--after-seconds 1] (--kill CMD... | --freeze SOCKET) [--max-seconds 60] [--interval 0.01]
      requests one after another every INTERVAL; once answers flow, runs CMD (for example
      a hard kill of the master; the gap counts from when CMD returned) or freezes a guest
      with `stop` on its QEMU monitor SOCKET (connected beforehand; the gap counts from just
      before the command is sent: the guest sends nothing more, as if killed), then starts a request every INTERVAL without waiting for
      the earlier ones (at most 100 in flight; each times out after 20 x INTERVAL, or 1 s
      from an INTERVAL of 0.05 up) and measures the gap from the kill to the first answer,
      going on for AFTER-SECONDS after it (JSON). --timeline adds every request: when it
      was sent (seconds from the kill, negative before it), how long it took, who
      answered (null: no answer) or why not. kill_seconds: how long CMD or `stop` took;
      killed_epoch: when the kill was done (wall clock).
  probe.py monitor SOCKET (stop | cont | info status)
      one command on a guest's QEMU human monitor (the lab's GUEST/monitor.sock): freeze a
      guest (stop), thaw it (cont) or ask its state; prints the monitor's answer.
  probe.py loop URL --until-file PATH [--max-seconds 900] [--interval 0.1] [--timeout 1] [--pause 0]
      a steady request loop that stops when PATH exists or the time is up; counts
      answers and failures per answering host, with when (from the start and wall-clock
      epoch seconds), how long and why for the first 20 failures, and the first 20 answers
      that took longer than 1 s (with --timeout above 1), each with the segments its
      connection sent again (retransmits: 0, a slow answer; 1 or more, a segment lost or
      held past TCP's 1 s timer) (JSON). --pause: each connection waits that long between its
      handshake and its request (plain http; no retransmits figure; how long a request took
      leaves the pause out), so a move of the VIPs in that time meets it half-open.
  probe.py udp udp://ADDRESS:PORT [--count 6 | --until-file PATH] [--max-seconds 900] [--interval 0.05]
      UDP datagrams, each from a new socket (a new source port: a new IPVS entry, scheduled
      afresh), one after another; an answer is the first line the responder sends back. With
      --count: the answering hosts in order (JSON, like rr). With --until-file: a steady loop
      until PATH exists or the time is up; counts answers per host and failures, with the
      wall-clock time (epoch seconds) of every failure (the first 200) and of the last one.
  probe.py keep URL [--connections 20] [--interval 0.2] [--seconds 30] [--until-file PATH]
                [--opened-file PATH] [--kill CMD...]
      opens CONNECTIONS HTTP/1.1 keep-alive connections to the URL and sends a request on
      each, one connection after another, every INTERVAL per connection, for SECONDS (or until
      PATH exists, SECONDS at most); with
      --kill, runs CMD (a hard kill of the master) once every connection has answered 5
      times. A connection is kept when every answer on it came from the same host and it
      never failed (reset, closed, timed out after 20 s); JSON: per connection the hosts
      that answered, requests, failures, the first error and when (error_at: seconds from
      the kill with --kill, else from the start, started_epoch); kept / total. With
      --opened-file PATH: once every connection is open, their client ADDRESS:PORTs (JSON).
  probe.py hold URL [--connections 6] [--seconds 20] [--until-file PATH]
      opens CONNECTIONS TCP connections to the URL's address and port, sends nothing,
      keeps them open SECONDS (or until PATH exists, SECONDS at most), then closes them:
      established connections for a drain to wait on or a status to count (JSON: how
      many opened, when they closed).
"""

import argparse
import errno
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
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
MAX_IN_FLIGHT = 100              # concurrent requests of a gap run after the kill
MONITOR_COMMANDS = ('stop', 'cont', 'info status')
MONITOR_TIMEOUT = 10.0
# struct tcp_info (linux/tcp.h): eight bytes of u8 fields, then u32s; tcpi_total_retrans is
# the 24th u32. Python's socket module has TCP_INFO but no layout.
TCPI_TOTAL_RETRANS = 8 + 23 * 4
TCP_INFO_SIZE = TCPI_TOTAL_RETRANS + 4
ESCAPE = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


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


def retransmits(response):
    """How many segments the kernel sent again on the response's connection, its SYN
    included (tcp_info's tcpi_total_retrans), or None where the socket cannot tell."""
    sock = getattr(getattr(getattr(response, 'fp', None), 'raw', None), '_sock', None)
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
    except (AttributeError, OSError):
        return None
    if len(info) < TCP_INFO_SIZE:
        return None
    return struct.unpack_from('I', info, TCPI_TOTAL_RETRANS)[0]


def host_name(body):
    """The answering host's name in a test page's BODY: its first line without HTML tags."""
    return TAG.sub('', body.decode('utf-8', 'replace')).strip().splitlines()[0].strip()


def ask_why(url, timeout=REQUEST_TIMEOUT, info=None):
    """One request: (host name, None) on an answer, (None, what went wrong) otherwise. With a
    dict INFO, an answer sets its 'retransmits' (retransmits() of the connection)."""
    # The lab's VIP is a direct address on a lab segment: never use a proxy. HTTPS: the
    # lab's real servers have a self-signed certificate (tests/lab/make_cert.py), whose
    # contents are not what a test checks; the answer's body is.
    handlers = [urllib.request.ProxyHandler({})]
    if url.startswith('https:'):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            if info is not None:
                # before the body: once read to its length, the response lets the socket go
                info['retransmits'] = retransmits(response)
            return host_name(response.read(512)), None
    except urllib.error.URLError as error:
        return None, str(error.reason)
    except (OSError, IndexError, ValueError) as error:
        return None, '%s: %s' % (type(error).__name__, error)


def ask_after_pause(url, pause, timeout=REQUEST_TIMEOUT, info=None):
    """One request on a new connection that waits PAUSE seconds between its handshake and
    its request: (host name, None) on an answer, (None, what went wrong) otherwise. The
    connection's first data segment comes PAUSE seconds after its SYN, so a move of the VIPs
    in between sends it to a director that has seen only the handshake go elsewhere. With a
    dict INFO, its 'paused' is set to PAUSE once the connection is open and the pause taken."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.connect()
        time.sleep(pause)
        if info is not None:
            info['paused'] = pause
        connection.request('GET', parts.path or '/')
        body = connection.getresponse().read(512)
        return host_name(body), None
    except (OSError, IndexError, ValueError, http.client.HTTPException) as error:
        return None, '%s: %s' % (type(error).__name__, error)
    finally:
        connection.close()


def ask_from_port(url, port, timeout=REQUEST_TIMEOUT):
    """One HTTP/1.0 request from client PORT, read to the server's close: the host name,
    or None. The server closes first: its side keeps TIME_WAIT, ours nothing, so the next
    request can take the same port at once."""
    parts = urllib.parse.urlsplit(url)
    family = socket.AF_INET6 if ':' in parts.hostname else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.settimeout(timeout)
            sock.bind(('', port))
            # the last request's socket waits for the server's ACK of our FIN (LAST_ACK)
            # before the port is free for the same peer: try again, 40 times at most
            for attempt in range(40):
                try:
                    sock.connect((parts.hostname, parts.port or 80))
                    break
                except OSError as error:
                    if error.errno != errno.EADDRNOTAVAIL or attempt == 39:
                        raise
                    time.sleep(0.05)
            sock.sendall(('GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' % (parts.path or '/', parts.netloc)).encode())
            data = b''
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        body = data.split(b'\r\n\r\n', 1)[1]
        return host_name(body)
    except (OSError, IndexError, ValueError):
        return None


def port_number(text):
    """argparse type: a TCP port, 1-65535."""
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError('%s is not a port (1-65535)' % text)
    return value


def cmd_rr(args):
    count = min(args.count, 1000)
    if args.source_port:
        answers = [ask_from_port(args.url, args.source_port) for i in range(count)]
    else:
        answers = [ask(args.url) for i in range(count)]
    print(json.dumps({'url': args.url, 'answers': answers}))
    return 0 if all(answers) else 1


class Monitor:
    """A connection to a QEMU human monitor on a unix socket (QEMU's -monitor unix:PATH),
    one command of MONITOR_COMMANDS at a time."""

    PROMPT = b'(qemu) '

    def __init__(self, path, timeout=MONITOR_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
            self._read()  # the banner and the first prompt
        except OSError:
            self.sock.close()
            raise

    def _read(self):
        data = b''
        while not data.endswith(self.PROMPT):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError('the QEMU monitor closed the connection')
            data += chunk
        return data

    def command(self, text):
        """Send TEXT and return the monitor's answer (its echo of TEXT and the prompt left out)."""
        if text not in MONITOR_COMMANDS:
            raise ValueError('probe: monitor command %r is not one of %s' % (text, ', '.join(MONITOR_COMMANDS)))
        self.sock.sendall(text.encode('ascii') + b'\n')
        # The monitor's readline echoes TEXT as it is typed (redrawn after each character,
        # with terminal escapes) on the first line; the answer follows it.
        reply = self._read()[:-len(self.PROMPT)].split(b'\n', 1)
        answer = ESCAPE.sub('', reply[1].decode('utf-8', 'replace')) if len(reply) == 2 else ''
        return '\n'.join(line.strip() for line in answer.split('\n') if line.strip())

    def close(self):
        self.sock.close()


def cmd_monitor(args):
    monitor = Monitor(args.socket)
    try:
        print(monitor.command(' '.join(args.words)))
    finally:
        monitor.close()
    return 0


def cmd_gap(args):
    deadline = time.monotonic() + min(args.max_seconds, HARD_MAX_SECONDS)
    monitor = Monitor(args.freeze) if args.freeze else None
    kill_seconds = None
    timeout = args.interval * 20 if args.interval < 0.05 else REQUEST_TIMEOUT
    killed_at = killed_epoch = None
    last_ok_before = None
    requests = []
    lock = threading.Lock()

    def one(sent_at):
        answer, error = ask_why(args.url, timeout=timeout)
        with lock:
            requests.append((sent_at, time.monotonic() - sent_at, answer, error))

    # Before the kill: one request after another until answers flow.
    while killed_at is None and time.monotonic() < deadline and len(requests) < HARD_MAX_REQUESTS:
        now = time.monotonic()
        one(now)
        if requests[-1][2] is not None:
            last_ok_before = now
            if len(requests) >= 5:
                started = time.monotonic()
                if monitor:
                    monitor.command('stop')
                    killed_at = started
                else:
                    subprocess.run(args.kill, check=True)
                    killed_at = time.monotonic()
                killed_epoch = time.time() - (time.monotonic() - killed_at)
                kill_seconds = time.monotonic() - started
                break
        time.sleep(args.interval)
    # After the kill: a new request every INTERVAL whether or not the earlier ones have
    # answered. One after another, a request sent to the dead master would hold the next
    # one back for its whole timeout, and the gap would be measured in timeouts.
    threads = []
    first_ok_after = None
    while killed_at is not None and time.monotonic() < deadline and len(requests) + len(threads) < HARD_MAX_REQUESTS:
        threads = [t for t in threads if t.is_alive()]
        with lock:
            done = [sent + took for sent, took, answer, error in requests if answer is not None and sent >= killed_at]
        first_ok_after = min(done) if done else None
        if first_ok_after is not None and time.monotonic() - first_ok_after > args.after_seconds:
            break
        if len(threads) < MAX_IN_FLIGHT:
            thread = threading.Thread(target=one, args=(time.monotonic(),), daemon=True)
            thread.start()
            threads.append(thread)
        time.sleep(args.interval)
    for thread in threads:
        thread.join(timeout + 1)
    if monitor:
        monitor.close()
    with lock:
        requests.sort(key=lambda r: r[0])
    after = [r for r in requests if killed_at is not None and r[0] >= killed_at]
    done = [sent + took for sent, took, answer, error in after if answer is not None]
    first_ok_after = min(done) if done else None
    sent = len(requests)
    failed = sum(1 for r in requests if r[2] is None)
    before = {r[2] for r in requests if r[2] is not None and (killed_at is None or r[0] < killed_at)}
    after = {r[2] for r in after if r[2] is not None}
    result = {
        'url': args.url,
        'requests': sent,
        'failed': failed,
        'answered_before': sorted(before),
        'answered_after': sorted(after),
        'gap_seconds': round(first_ok_after - killed_at, 3) if killed_at and first_ok_after else None,
        'last_answer_before_kill_seconds': round(killed_at - last_ok_before, 3) if killed_at else None,
        'kill': 'freeze' if monitor else 'command',
        'kill_seconds': round(kill_seconds, 3) if kill_seconds is not None else None,
        'killed_epoch': round(killed_epoch, 3) if killed_epoch is not None else None,
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
    slow = []
    while time.monotonic() < deadline and sent < HARD_MAX_REQUESTS and not os.path.exists(args.until_file):
        asked, asked_epoch = time.monotonic(), time.time()
        info = {}
        if args.pause:
            answer, error = ask_after_pause(args.url, args.pause, timeout=args.timeout, info=info)
        else:
            answer, error = ask_why(args.url, timeout=args.timeout, info=info)
        # from the request (or the connect, if it failed), the pause left out
        took = time.monotonic() - asked - info.get('paused', 0)
        sent += 1
        if answer is not None and took > REQUEST_TIMEOUT and len(slow) < 20:
            # answered, but later than the usual 1 s: a slow answer (retransmits 0), or a
            # segment lost or held past TCP's first retransmission at 1 s
            slow.append({'at': round(asked - start, 3), 'epoch': round(asked_epoch, 3), 'took': round(took, 3),
                         'retransmits': info.get('retransmits')})
        if answer is None:
            failed += 1
            if len(failures) < 20:
                # When it happened (seconds since the loop started, and the wall clock, to set
                # beside the guests' journals), how long it took, why.
                failures.append({'at': round(asked - start, 3), 'epoch': round(asked_epoch, 3),
                                 'took': round(took, 3), 'error': error})
        else:
            hosts[answer] = hosts.get(answer, 0) + 1
        time.sleep(args.interval)
    print(json.dumps({'url': args.url, 'requests': sent, 'failed': failed, 'hosts': hosts,
                      'seconds': round(time.monotonic() - start, 3), 'failures': failures, 'slow': slow,
                      'stopped_by': 'file' if os.path.exists(args.until_file) else 'limit'}))
    return 0


def ask_udp(address, port, timeout=REQUEST_TIMEOUT):
    """One datagram from a fresh socket: (host name, None) on an answer, (None, why) otherwise."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            sock.send(b'probe\n')
            return sock.recv(512).decode('utf-8', 'replace').strip().splitlines()[0].strip(), None
        except (OSError, IndexError) as error:
            return None, '%s: %s' % (type(error).__name__, error)


def cmd_udp(args):
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme != 'udp' or not parts.port:
        sys.exit('probe: udp wants udp://ADDRESS:PORT, got %r' % args.url)
    address = parts.hostname
    if args.until_file is None:
        answers = [ask_udp(address, parts.port)[0] for i in range(min(args.count, 1000))]
        print(json.dumps({'url': args.url, 'answers': answers}))
        return 0 if all(answers) else 1
    deadline = time.monotonic() + min(args.max_seconds, HARD_MAX_SECONDS)
    start = time.time()
    sent = failed = 0
    hosts, failures, last_failure = {}, [], None
    while time.monotonic() < deadline and sent < HARD_MAX_REQUESTS and not os.path.exists(args.until_file):
        asked = time.time()
        answer, error = ask_udp(address, parts.port)
        sent += 1
        if answer is None:
            failed += 1
            last_failure = round(asked, 3)
            if len(failures) < 200:
                failures.append({'epoch': round(asked, 3), 'error': error})
        else:
            hosts[answer] = hosts.get(answer, 0) + 1
        time.sleep(args.interval)
    print(json.dumps({'url': args.url, 'requests': sent, 'failed': failed, 'hosts': hosts,
                      'started_epoch': round(start, 3), 'seconds': round(time.time() - start, 3),
                      'failures': failures, 'last_failure_epoch': last_failure,
                      'stopped_by': 'file' if os.path.exists(args.until_file) else 'limit'}))
    return 0


KEEP_TIMEOUT = 20.0


def cmd_keep(args):
    parts = urllib.parse.urlsplit(args.url)
    path = parts.path or '/'
    count = max(1, min(args.connections, 100))
    conns = []
    start, start_epoch = time.monotonic(), time.time()
    for i in range(count):
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=KEEP_TIMEOUT)
        item = {'conn': conn, 'hosts': [], 'requests': 0, 'failed': 0, 'error': None, 'error_at': None}
        try:
            conn.connect()
        except OSError as error:
            item.update(failed=1, error='%s: %s' % (type(error).__name__, error), error_at=0.0)
        # never open a second connection behind the caller's back: http.client would, when the
        # server closed this one, and the next answer would be a new connection's
        conn.auto_open = 0
        conns.append(item)
    if args.opened_file:
        # the connections' client ends, for a check of the directors' tables while they run
        ends = [c['conn'].sock.getsockname()[:2] for c in conns if c['conn'].sock]
        opened = [('[%s]:%d' if ':' in host else '%s:%d') % (host, port) for host, port in ends]
        with open(args.opened_file + '.tmp', 'w') as f:
            json.dump({'opened': opened, 'epoch': round(time.time(), 3)}, f)
        os.replace(args.opened_file + '.tmp', args.opened_file)
    deadline = start + min(args.seconds, HARD_MAX_SECONDS)
    killed_at = None
    slowest = 0.0
    while time.monotonic() < deadline and not (args.until_file and os.path.exists(args.until_file)):
        round_start = time.monotonic()
        for item in conns:
            if item['error']:
                continue
            asked = time.monotonic()
            item['requests'] += 1
            try:
                item['conn'].request('GET', path, headers={'Connection': 'keep-alive'})
                response = item['conn'].getresponse()
                body = response.read(4096).decode('utf-8', 'replace')
                host = TAG.sub('', body).strip().splitlines()[0].strip()
                if host not in item['hosts']:
                    item['hosts'].append(host)
            except (OSError, http.client.HTTPException, IndexError) as error:
                item['failed'] += 1
                item['error'] = '%s: %s' % (type(error).__name__, error)
                item['error_at'] = round(time.monotonic() - (killed_at or start), 3)
            slowest = max(slowest, time.monotonic() - asked)
        if killed_at is None and args.kill and all(c['requests'] >= 5 for c in conns):
            subprocess.run(args.kill, check=True)
            killed_at = time.monotonic()
        time.sleep(max(0.0, args.interval - (time.monotonic() - round_start)))
    for item in conns:
        item['conn'].close()
        del item['conn']
    kept = [c for c in conns if not c['error'] and len(c['hosts']) == 1]
    print(json.dumps({'url': args.url, 'connections': count, 'kept': len(kept),
                      'seconds': round(time.monotonic() - start, 3),
                      'stopped_by': 'file' if args.until_file and os.path.exists(args.until_file) else 'limit',
                      'started_epoch': round(start_epoch, 3),
                      'killed_after': round(killed_at - start, 3) if killed_at else None,
                      'slowest_request_seconds': round(slowest, 3),
                      'requests': sum(c['requests'] for c in conns), 'failed': sum(c['failed'] for c in conns),
                      'per_connection': conns}))
    return 0 if len(kept) == count else 1


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
    end = start + min(args.seconds, HARD_MAX_SECONDS)
    while time.monotonic() < end and not (args.until_file and os.path.exists(args.until_file)):
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))
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
    rr.add_argument('--source-port', type=port_number, default=0)
    rr.set_defaults(func=cmd_rr)
    gap = sub.add_parser('gap')
    gap.add_argument('url')
    how = gap.add_mutually_exclusive_group(required=True)
    how.add_argument('--kill', nargs=argparse.REMAINDER)
    how.add_argument('--freeze', metavar='SOCKET', help="a guest's QEMU monitor socket: `stop` it")
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
    loop.add_argument('--timeout', type=float, default=REQUEST_TIMEOUT,
                      help='seconds a request may take (default 1); answers after 1 s are listed as slow')
    loop.add_argument('--pause', type=float, default=0,
                      help='seconds between a connection\'s handshake and its request (http only, at most 5)')
    loop.set_defaults(func=cmd_loop)
    udp = sub.add_parser('udp')
    udp.add_argument('url')
    udp.add_argument('--count', type=int, default=6)
    udp.add_argument('--until-file')
    udp.add_argument('--max-seconds', type=float, default=900)
    udp.add_argument('--interval', type=float, default=0.05)
    udp.set_defaults(func=cmd_udp)
    keep = sub.add_parser('keep')
    keep.add_argument('url')
    keep.add_argument('--connections', type=int, default=20)
    keep.add_argument('--interval', type=float, default=0.2)
    keep.add_argument('--seconds', type=float, default=30)
    keep.add_argument('--until-file')
    keep.add_argument('--opened-file', help="once the connections are open, write their client ends (JSON) here")
    keep.add_argument('--kill', nargs=argparse.REMAINDER)
    keep.set_defaults(func=cmd_keep)
    hold = sub.add_parser('hold')
    hold.add_argument('url')
    hold.add_argument('--connections', type=int, default=6)
    hold.add_argument('--seconds', type=float, default=20)
    hold.add_argument('--until-file', help='close the connections early once this file exists')
    hold.set_defaults(func=cmd_hold)
    monitor = sub.add_parser('monitor')
    monitor.add_argument('socket')
    monitor.add_argument('words', nargs='+', metavar='COMMAND')
    monitor.set_defaults(func=cmd_monitor)
    args = parser.parse_args(argv)
    if args.command == 'monitor':
        if ' '.join(args.words) not in MONITOR_COMMANDS:
            parser.error('monitor: the command must be one of %s' % ', '.join(MONITOR_COMMANDS))
    else:
        lab_url(args.url)
    if getattr(args, 'pause', 0) and not (0 < args.pause <= 5 and args.url.startswith('http:')):
        parser.error('loop: --pause must be above 0 and at most 5 s, with an http:// URL')
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
