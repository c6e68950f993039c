# Copyright: Contributors to the lvs.ha project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's traffic probe refuses any target outside the lab before sending anything."""

import importlib.util
import os
import time

import pytest

PROBE = os.path.join(os.path.dirname(__file__), '..', '..', 'lab', 'probe.py')
spec = importlib.util.spec_from_file_location('lab_probe', PROBE)
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)


@pytest.mark.parametrize('url', [
    'http://192.168.56.40/',
    'http://10.250.0.31:8080/x',
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://[2001:db8::40]/',
])
def test_lab_addresses_are_accepted(url):
    assert probe.lab_url(url) == url


@pytest.mark.parametrize('url', [
    'http://192.168.1.40/',      # private, but not a lab segment
    'http://10.0.0.1/',
    'http://8.8.8.8/',
    'http://example.org/',       # names are never resolved
    'http://[2001:db8:1::40]/',  # the documentation prefix, but not the lab's /64
])
def test_other_addresses_are_refused(url, monkeypatch):
    def no_request(*args, **kwargs):
        raise AssertionError('a request was attempted')
    monkeypatch.setattr(probe, 'ask', no_request)
    with pytest.raises(SystemExit) as exc:
        probe.main(['rr', url, '--count', '1'])
    assert 'probe:' in str(exc.value)


def test_loop_counts_answers_and_says_why_a_request_failed(tmp_path, capsys):
    """A loop against a closed loopback port: every request fails, and each says why."""
    import json
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]  # closed again when the block ends: connections are refused
    stop = tmp_path / 'stop'
    assert probe.main(['loop', 'http://127.0.0.1:%d/' % port, '--until-file', str(stop),
                       '--max-seconds', '0.5', '--interval', '0.1']) == 0
    result = json.loads(capsys.readouterr().out)
    assert result['requests'] >= 2
    assert result['failed'] == result['requests']
    assert result['stopped_by'] == 'limit'
    assert result['failures'][0]['error'] and 'refused' in result['failures'][0]['error'].lower()
    assert 0 <= result['failures'][0]['at'] < result['failures'][-1]['at'] <= 0.6
    assert 0 < result['failures'][-1]['epoch'] - result['failures'][0]['epoch'] <= 0.6
    assert abs(result['failures'][0]['epoch'] - time.time()) < 60


def test_hold_keeps_connections_open_then_closes_them(capsys):
    """hold against a loopback listener: the connections are accepted, then closed by the probe."""
    import json
    import socket
    import threading
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(8)
    accepted = []

    def accept():
        for i in range(3):
            conn, peer = server.accept()
            accepted.append(conn)
    thread = threading.Thread(target=accept)
    thread.start()
    port = server.getsockname()[1]
    assert probe.main(['hold', 'http://127.0.0.1:%d/' % port, '--connections', '3', '--seconds', '0.3']) == 0
    thread.join(5)
    result = json.loads(capsys.readouterr().out)
    assert result['opened'] == 3 and result['errors'] == []
    assert 0.3 <= result['closed_after'] < 2
    for conn in accepted:  # the probe closed its end: each read sees end of file
        conn.settimeout(2)
        assert conn.recv(1) == b''
        conn.close()
    server.close()


def test_hold_refuses_outside_addresses():
    with pytest.raises(SystemExit):
        probe.main(['hold', 'http://10.0.0.1/', '--seconds', '0'])


def test_timeline_counts_from_the_kill():
    rows = probe.timeline([(10.0, 0.01, 'rs1', None), (10.5, 0.4, None, 'timed out'), (11.5, 0.02, 'rs2', None)], 10.25)
    assert rows == [
        {'at': -0.25, 'took': 0.01, 'answer': 'rs1', 'error': None},
        {'at': 0.25, 'took': 0.4, 'answer': None, 'error': 'timed out'},
        {'at': 1.25, 'took': 0.02, 'answer': 'rs2', 'error': None},
    ]
    assert probe.timeline([(5.0, 0.1, None, 'refused')], None)[0]['at'] == 0.0
    assert probe.timeline([], None) == []


def page_server(name, keep_alive_requests=None):
    """A loopback web server (not started) whose every page is <h1>NAME</h1>. With
    keep_alive_requests: HTTP/1.1, a thread per connection, and each connection closed after
    that many answers (as apache's MaxKeepAliveRequests; 0: never)."""
    import http.server

    class Page(http.server.BaseHTTPRequestHandler):
        if keep_alive_requests is not None:
            protocol_version = 'HTTP/1.1'
        answered = 0

        def do_GET(self):
            body = b'<h1>%s</h1>\n' % name.encode()
            self.answered += 1
            last = keep_alive_requests and self.answered >= keep_alive_requests
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            if last:
                self.send_header('Connection', 'close')
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer if keep_alive_requests is not None else http.server.HTTPServer
    made = server(('127.0.0.1', 0), Page)
    made.daemon_threads = True
    return made


def test_gap_with_timeline_against_a_local_server(capsys):
    """A loopback web server that always answers: the kill command does nothing, so the
    gap is one interval; the timeline has every request, before the kill (negative) and after."""
    import json
    import threading

    server = page_server('rs9')
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert probe.main(['gap', 'http://127.0.0.1:%d/' % server.server_port, '--interval', '0.01',
                           '--after-seconds', '0.1', '--max-seconds', '10', '--timeline', '--kill', 'true']) == 0
    finally:
        server.shutdown()
        server.server_close()
    result = json.loads(capsys.readouterr().out)
    rows = result['timeline']
    assert len(rows) == result['requests'] >= 6
    assert [row['answer'] for row in rows] == ['rs9'] * len(rows)
    assert [row['at'] < 0 for row in rows[:5]] == [True] * 5
    assert all(row['at'] >= 0 for row in rows[5:])
    assert 0 < result['gap_seconds'] < 1


def test_gap_without_timeline_has_none(capsys, monkeypatch):
    import json
    monkeypatch.setattr(probe, 'ask_why', lambda url, timeout=None: ('rs1', None))
    assert probe.main(['gap', 'http://127.0.0.1/', '--interval', '0', '--after-seconds', '0', '--kill', 'true']) == 0
    assert 'timeline' not in json.loads(capsys.readouterr().out)


def test_rr_over_https_against_a_local_server(tmp_path, capsys):
    """https URLs: the probe talks TLS to a server with the lab's self-signed certificate."""
    import json
    import ssl
    import subprocess
    import sys
    import threading

    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run([sys.executable, os.path.join(os.path.dirname(PROBE), 'make_cert.py'), str(cert), str(key),
                    '127.0.0.1', '192.168.56.40'], check=True)
    assert oct(key.stat().st_mode & 0o777) == '0o600'

    server = page_server('tls9')
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert probe.main(['rr', 'https://127.0.0.1:%d/' % server.server_port, '--count', '2']) == 0
        first = json.loads(capsys.readouterr().out)
        # the same server spoken to in plain HTTP: no answer
        assert probe.main(['rr', 'http://127.0.0.1:%d/' % server.server_port, '--count', '1']) == 1
        plain = json.loads(capsys.readouterr().out)
    finally:
        server.shutdown()
        server.server_close()
    assert first['answers'] == ['tls9', 'tls9']
    assert plain['answers'] == [None]


def test_rr_from_one_source_port_sends_every_request_from_it(capsys):
    """--source-port: each request is a new connection from that same client port (the
    server closes first, so the port is free again for the next one at once)."""
    import json
    import socket
    import threading

    server = page_server('rs7')
    seen = []
    handle = server.RequestHandlerClass.handle

    def handle_and_record(self):
        seen.append(self.client_address[1])
        handle(self)

    server.RequestHandlerClass.handle = handle_and_record
    with socket.socket() as free:
        free.bind(('127.0.0.1', 0))
        port = free.getsockname()[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert probe.main(['rr', 'http://127.0.0.1:%d/' % server.server_port, '--count', '4',
                           '--source-port', str(port)]) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert json.loads(capsys.readouterr().out)['answers'] == ['rs7'] * 4
    assert seen == [port] * 4


@pytest.mark.parametrize('port', ['0', '65536', '-1'])
def test_rr_refuses_a_source_port_out_of_range(port, capsys):
    with pytest.raises(SystemExit):
        probe.main(['rr', 'http://127.0.0.1/', '--source-port', port])
    assert 'is not a port' in capsys.readouterr().err


def test_hold_ends_early_when_the_stop_file_appears(tmp_path, capsys):
    import json
    import socket
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(8)
    stop = tmp_path / 'stop'
    stop.write_text('')
    port = server.getsockname()[1]
    assert probe.main(['hold', 'http://127.0.0.1:%d/' % port, '--connections', '2', '--seconds', '30',
                       '--until-file', str(stop)]) == 0
    server.close()
    result = json.loads(capsys.readouterr().out)
    assert result['opened'] == 2 and result['closed_after'] < 5


def test_gap_sends_requests_without_waiting_for_the_stalled_ones(tmp_path, capsys, monkeypatch):
    """After the kill the VIP is dead for 0.3 s: a request sent then hangs 0.6 s (a SYN to
    the dead master, lost until the request's timeout), a later one is answered at once.
    Measured one request after another, the gap would be at least one hang (0.6 s); with a
    request every 10 ms whatever the earlier ones do, it is the 0.3 s the VIP was dead."""
    import json
    import threading

    killed = tmp_path / 'killed'
    dead_until = []
    lock = threading.Lock()

    def fake_ask(url, timeout=None):
        with lock:
            if killed.exists() and not dead_until:
                dead_until.append(time.monotonic() + 0.3)
        if dead_until and time.monotonic() < dead_until[0]:
            time.sleep(0.6)
            return None, 'timed out'
        return 'rs1', None

    monkeypatch.setattr(probe, 'ask_why', fake_ask)
    assert probe.main(['gap', 'http://127.0.0.1/', '--interval', '0.01', '--after-seconds', '0.1',
                       '--max-seconds', '10', '--timeline', '--kill', 'touch', str(killed)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert 0.29 <= result['gap_seconds'] < 0.5
    stalled = [row for row in result['timeline'] if row['answer'] is None]
    assert len(stalled) >= 5
    assert all(row['took'] >= 0.6 for row in stalled)
    assert result['failed'] == len(stalled)
    assert result['answered_after'] == ['rs1']


def test_loop_lists_slow_answers_apart_from_failures(tmp_path, capsys, monkeypatch):
    """With --timeout 3 an answer after 1.2 s is an answer, listed as slow, not a failure."""
    import json
    calls = []

    def fake_ask(url, timeout=None, info=None):
        calls.append(timeout)
        info['retransmits'] = 0
        if len(calls) == 2:
            time.sleep(1.2)
            info['retransmits'] = 1
        return 'rs1', None

    monkeypatch.setattr(probe, 'ask_why', fake_ask)
    assert probe.main(['loop', 'http://127.0.0.1/', '--until-file', str(tmp_path / 'stop'),
                       '--max-seconds', '1.6', '--interval', '0.05', '--timeout', '3']) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(calls) == {3.0}
    assert result['failed'] == 0
    assert len(result['slow']) == 1 and result['slow'][0]['took'] >= 1.2
    assert result['slow'][0]['retransmits'] == 1
    assert result['hosts'] == {'rs1': result['requests']}


def test_an_answer_reads_its_connections_retransmits():
    """A real HTTP answer over loopback: the connection's tcp_info is read (no segment lost
    on loopback: 0), and the answering host is the body's first line."""
    import threading

    server = page_server('rs9')
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        info = {}
        answer, error = probe.ask_why('http://127.0.0.1:%d/' % server.server_port, timeout=5, info=info)
    finally:
        server.shutdown()
        server.server_close()
    assert (answer, error) == ('rs9', None)
    assert info == {'retransmits': 0}


def fake_monitor(path, answer):
    """A QEMU human monitor on the unix socket PATH (one connection, as -monitor unix: serves):
    a banner and a prompt, then for every command line its echo (redrawn after each character
    with terminal escapes, as QEMU's readline does), ANSWER(command) and a prompt. Returns the list of commands seen."""
    import socket
    import threading

    seen = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve():
        conn = server.accept()[0]
        conn.sendall(b"QEMU 7.2.0 monitor - type 'help' for more information\r\n(qemu) ")
        pending = b''
        while True:
            data = conn.recv(1024)
            if not data:
                break
            pending += data
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                seen.append(line.decode())
                echo = b''.join(line[:i] + b'\x1b[K\x1b[%dD' % i for i in range(1, len(line))) + line
                conn.sendall(echo + b'\r\n' + answer(line.decode()) + b'(qemu) ')
        conn.close()
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return seen


def test_monitor_sends_one_command_and_prints_the_answer(tmp_path, capsys):
    seen = fake_monitor(tmp_path / 'm.sock', lambda cmd: b'VM status: running\r\n' if cmd == 'info status' else b'')
    assert probe.main(['monitor', str(tmp_path / 'm.sock'), 'info', 'status']) == 0
    assert capsys.readouterr().out == 'VM status: running\n'
    assert seen == ['info status']


def test_monitor_refuses_other_commands(tmp_path, capsys):
    with pytest.raises(SystemExit):
        probe.main(['monitor', str(tmp_path / 'm.sock'), 'quit'])
    assert 'must be one of stop, cont, info status' in capsys.readouterr().err


def test_gap_with_freeze_counts_from_the_stop(tmp_path, capsys, monkeypatch):
    """--freeze: `stop` goes to the guest's monitor once answers flow; the VIP is dead for
    0.2 s after it, then answers again. The gap counts from just before `stop` was sent."""
    import json
    import threading

    stopped = []
    lock = threading.Lock()

    def answer(cmd):
        with lock:
            stopped.append(time.monotonic())
        return b''

    seen = fake_monitor(tmp_path / 'm.sock', answer)

    def fake_ask(url, timeout=None):
        with lock:
            dead = stopped and time.monotonic() < stopped[0] + 0.2
        if dead:
            time.sleep(0.05)
            return None, 'timed out'
        return 'rs2' if stopped else 'rs1', None

    monkeypatch.setattr(probe, 'ask_why', fake_ask)
    assert probe.main(['gap', 'http://127.0.0.1/', '--interval', '0.01', '--after-seconds', '0.1',
                       '--max-seconds', '10', '--freeze', str(tmp_path / 'm.sock')]) == 0
    result = json.loads(capsys.readouterr().out)
    assert seen == ['stop']
    assert result['kill'] == 'freeze'
    assert 0 <= result['kill_seconds'] < 0.2
    assert 0.19 <= result['gap_seconds'] < 0.5
    assert result['answered_before'] == ['rs1'] and result['answered_after'] == ['rs2']


def test_gap_needs_a_kill_or_a_freeze(capsys):
    with pytest.raises(SystemExit):
        probe.main(['gap', 'http://127.0.0.1/'])
    assert 'one of the arguments --kill --freeze is required' in capsys.readouterr().err


def keep(capsys, keep_alive_requests, *args):
    """probe.py keep with two connections against a loopback server; its JSON and exit code."""
    import json
    import threading

    server = page_server('rs9', keep_alive_requests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code = probe.main(['keep', 'http://127.0.0.1:%d/' % server.server_port, '--connections', '2',
                           '--interval', '0.02', '--seconds', '0.4'] + list(args))
    finally:
        server.shutdown()
        server.server_close()
    return code, json.loads(capsys.readouterr().out)


def test_keep_holds_each_connection_to_the_end(capsys, tmp_path):
    import json
    opened = tmp_path / 'opened.json'
    code, result = keep(capsys, 0, '--opened-file', str(opened))
    ends = json.loads(opened.read_text())['opened']
    assert len(set(ends)) == 2 and all(end.startswith('127.0.0.1:') for end in ends)
    assert code == 0
    assert (result['connections'], result['kept'], result['failed']) == (2, 2, 0)
    assert [c['hosts'] for c in result['per_connection']] == [['rs9'], ['rs9']]
    assert min(c['requests'] for c in result['per_connection']) >= 5
    assert abs(result['started_epoch'] - time.time()) < 60


def test_keep_counts_a_connection_the_server_closed_as_broken_not_a_new_one(capsys):
    """The server closes each connection after 3 answers: the 4th request fails on it, and no
    second connection is opened behind the probe's back (http.client would, and its answers
    would count as the same connection's)."""
    code, result = keep(capsys, 3)
    assert code == 1
    assert (result['kept'], result['failed']) == (0, 2)
    for connection in result['per_connection']:
        assert connection['requests'] == 4
        assert connection['hosts'] == ['rs9']
        assert 'NotConnected' in connection['error']
        assert 0 < connection['error_at'] < 0.4
