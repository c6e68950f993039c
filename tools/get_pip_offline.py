"""Offline stand-in for ansible-test's pip bootstrap script.

ansible-test downloads get-pip.py from a host CI cannot reach. It runs the cached
script with pip options and the packages to install; we bootstrap the bundled pip
with ensurepip, then let that pip install the requested packages from the package
index. tools/sanity copies this file into ansible-test's cache, under the home
it gives ansible-test inside the clone (.cache/ansible-test/home).
"""
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}

ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
# ansible-test runs us with a cleaned environment; keep the system CA bundle that
# a TLS-intercepting package proxy may need.
CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
if os.path.exists(CA_BUNDLE):
    args = ['--cert', CA_BUNDLE] + args
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q'] + args)
