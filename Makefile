# lvs.ha task runner. `make help` lists the targets.
# The README's two commands are `make demo` and `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV ?= .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_CONFIG := $(CURDIR)/tests/ansible.cfg
export CONTAINERS_CONF := $(CURDIR)/tests/podman/containers.conf
# The scenarios live in molecule/ (part of the collection's layout); saying so keeps
# molecule from warning that a collection's scenarios belong in extensions/molecule.
export MOLECULE_GLOB := molecule/*/molecule.yml
PYTEST ?= pytest

.PHONY: help setup sanity lint unit build-check compat fast lab lab-scenarios check test demo docs build clean specs

help:
	@echo "make demo    bring up the dr lab, run playbooks/site.yml, show traffic through the VIP and a failover"
	@echo "make test    everything: lab-scenarios; beside it (nice 10/19) lab, sanity, lint, unit, build-check,"
	@echo "             docs, compat and fast (tools/test-all)"
	@echo "make check   the everyday subset: sanity, lint, unit, build-check, fast, docs (no QEMU guest)"
	@echo "make help | sanity | lint | unit | build-check | compat | fast | lab | lab-scenarios | docs | build | specs | setup | clean"
	@echo "  sanity: ansible-test sanity; lint: ansible-lint (production profile); unit: pytest tests/unit"
	@echo "  build-check: build the tarball, install it offline, render every plugin's documentation from it"
	@echo "  docs: the HTML docsite in build/docs/html (antsibull-docs, Sphinx), failing on any warning or broken link"
	@echo "  build: the collection tarball in build/; setup: Debian packages and .venv; clean: labs down, build/ removed"
	@echo "  specs: write the roles' argument specs and docs/variables.md from plugins/module_utils/_schema.py"
	@echo "  compat: unit tests, sanity, build-check, syntax checks and the vrrp scenario under ansible-core 2.20 (Python 3.12) and 2.21 (Python 3.13)"
	@echo "  fast: molecule scenarios in podman containers (VRRP v2 and v3, real servers, fwmark rules with iptables and nftables, the gate)"
	@echo "  lab:  the ipvs modules' integration tests on real IPVS in a QEMU guest"
	@echo "  lab-scenarios: the full-tier molecule scenarios (dr, colocated, ipvsadm, features) on QEMU guests"

# tools/test-all runs setup once, then sets LVSHA_SETUP_DONE for the work it runs at once.
setup:
ifndef LVSHA_SETUP_DONE
	@tools/install-system-deps
	@tools/install-python-deps
endif

sanity: setup
	tools/sanity

lint: setup
	ansible-lint --profile production

unit: setup
	$(PYTEST) tests/unit

fast: setup
	tools/run-tier fast

lab: setup
	tests/integration/run-lab

# The full-tier molecule scenarios (dr, colocated, ipvsadm) on QEMU guests.
lab-scenarios: setup
	tools/run-tier full

check: sanity lint unit build-check fast docs

# All of it (tools/test-all): lab-scenarios, and beside it one after another at nice 10 or 19
# lab, sanity, lint, unit, build-check, docs, compat's checks, fast and compat's vrrp scenario.
test:
	tools/test-all

demo: setup
	tools/demo

docs: setup
	tools/docs

build: setup
	ansible-galaxy collection build --force --output-path build/

clean:
	-tests/lab/lab down --all
	rm -rf build tests/output .pytest_cache

specs:
	python3 tools/gen_specs.py

build-check: setup
	tools/build-check

# ansible-core 2.20 and 2.21, each in a venv of its own with the Python it needs.
compat: setup
	tools/compat
