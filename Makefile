# airlock: every target runs with the pinned Node.js (installed into .tools/ by `make setup` when
# the machine's Node is older) and the workspace's dependencies.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
export PATH := $(TOOLS)/bin:$(CURDIR)/node_modules/.bin:$(PATH)

NODE_STAMP := $(TOOLS)/.node-$(shell cat .node-version)
DEPS_STAMP := node_modules/.modules.yaml
PACKAGE_JSONS := package.json pnpm-workspace.yaml $(wildcard */package.json)

# Tests print TAP, so every run ends with its `# pass N` / `# fail N` summary. A test or hook
# without a timeout of its own fails after 20 minutes rather than hanging the run.
NODE_TEST := node --test --test-reporter=tap --test-timeout=1200000
UNIT_TESTS := $(foreach p,crds contracts runtime operator sidecar kubectl-approve build testkit bench,'$(p)/src/**/*.test.ts')
E2E_TESTS := 'e2e/tests/**/*.test.ts'

.PHONY: help setup system-packages bench binaries image images generate build typecheck lint format test test-unit e2e fuzz policy-test manifests cluster demo approve-plugin clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(NODE_STAMP): .node-version package.json scripts/install-node.sh
	bash scripts/install-node.sh
	rm -f $(TOOLS)/.node-* && touch $@

$(DEPS_STAMP): $(NODE_STAMP) $(PACKAGE_JSONS) pnpm-lock.yaml
	pnpm install --frozen-lockfile
	touch $@

setup: $(DEPS_STAMP) ## install Node 24, pnpm and dependencies (idempotent)

binaries: setup ## build or find etcd, kube-apiserver, kube-controller-manager, kubectl, kubelet, kube-proxy, kube-scheduler, helm, crane and coredns (cached in ~/.cache/airlock)
	node build/src/go-tools/main.ts

image: setup ## build the operator and sidecar image without a container daemon: dist/airlock-image.tar (OUTPUT=FILE for another path)
	node build/src/image/main.ts $(if $(OUTPUT),--output $(OUTPUT))

images: setup ## build the airlock image and the test node's pause, agent and CoreDNS images: dist/{airlock,pause,agent,coredns}-image.tar
	node build/src/image/main.ts --image all

generate: setup ## write the CRD manifests and TS types from crds/schema, and the chart's generated files
	node scripts/generate.ts

build: setup ## check generated files and types (the code runs as TypeScript on Node 24)
	node scripts/generate.ts --check
	tsc -p tsconfig.json

typecheck: setup ## TypeScript, strict
	tsc -p tsconfig.json

lint: setup ## biome (lint and format check), the layering rules (docs/layering.md) and stale generated files
	biome check .
	depcruise --config .dependency-cruiser.cjs --output-type err-long crds contracts runtime operator sidecar kubectl-approve build testkit e2e bench scripts
	node scripts/generate.ts --check

format: setup ## rewrite files in the house format
	biome check --write .

system-packages: ## install PostgreSQL, PgBouncer, OpenSSH, skopeo, containerd and what the test node needs (Debian packages) for tests and benchmarks (idempotent)
	bash scripts/install-system-packages.sh

bench: setup system-packages binaries ## side by side: pgbench direct, PgBouncer, sidecar; ssh direct vs sidecar; kubectl direct vs sidecar (writes bench/RESULTS.md; minutes, not a test)
	node bench/src/run.ts --seconds 10 --rounds 3 --breakdown
	node bench/src/ssh-bench.ts --rounds 3 --execs 20 --megabytes 256
	node bench/src/kubernetes-bench.ts --rounds 3 --invocations 30 --lists 10 --gets 30
	node bench/src/broker-bench.ts --seconds 10 --rounds 3

test-unit: setup system-packages ## tests next to the code: unit, and integration with real PostgreSQL
	$(NODE_TEST) $(UNIT_TESTS)

e2e: setup system-packages binaries ## end-to-end tests on a real control plane
	$(NODE_TEST) --test-concurrency=2 $(E2E_TESTS)

# `make test` runs 20,000 cases with a fixed seed; this runs more, with the seed it prints.
fuzz: setup system-packages ## fuzz the PostgreSQL data path against a real server (AIRLOCK_FUZZ_SEED, AIRLOCK_FUZZ_CASES, default 200000)
	node sidecar/src/protocols/postgres/testing/hostile/fuzz/fuzz-main.ts

policy-test: setup ## run the policy tests in crds/examples
	node sidecar/src/policy-test/main.ts crds/examples/policy-tests

# One test run, so it ends with one summary for everything.
test: lint typecheck system-packages binaries ## everything: lint, types, unit, end-to-end
	$(NODE_TEST) --test-concurrency=2 $(UNIT_TESTS) $(E2E_TESTS)

manifests: setup ## print every object airlock needs in a cluster besides the operator Deployment (NAMESPACE=airlock-system)
	@node operator/src/install-manifests-main.ts --namespace $(or $(NAMESPACE),airlock-system)

approve-plugin: setup ## write the kubectl approve plugin as one executable file: kubectl-approve/dist/kubectl-approve
	node kubectl-approve/scripts/bundle.ts

demo: setup system-packages binaries ## airlock on a real local node (root): kubelet and containerd, the chart with 2 operator pods, PostgreSQL, an agent pod and its sidecar, until Ctrl-C (puts the machine back; AIRLOCK_DEMO=processes: without a node)
	node testkit/src/demo-main.ts

cluster: setup binaries ## run a control plane with the airlock CRDs until Ctrl-C
	node testkit/src/cluster-main.ts

clean: ## remove dependencies and local tools (the binary cache in ~/.cache/airlock stays)
	rm -rf node_modules */node_modules $(TOOLS)
