# The two commands a newcomer needs:
#   make up    install, build and start the whole local cluster (Ctrl-C stops it)
#   make test  install, build and run every test (unit, integration, end-to-end),
#              then a smoke under Node 22 and 24 (scripts/other-node.sh)
#   make bench install, build and run the benchmarks (BENCH_ARGS="--scenario 1,2 --target parley";
#              npm run bench -- --help lists them); see docs/benchmarks.md
.PHONY: up test bench build install services clean

install:
	@[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

services:
	@bash scripts/ensure-services.sh

build: install
	npm run build

up: services build
	node dist/scripts/cluster.js

# Test files are listed, not passed as dist/: Node 22 and later take a
# directory argument for a file. Then a smoke under Node 22 and 24
# (scripts/other-node.sh: ~1 min, ~1.5 min on a fresh clone, which fetches
# both Nodes; after the suite, so it competes with nothing); `npm run
# test:node` runs its longer set.
#
# The end-to-end files in E2E_ON_REDIS_CLUSTER run a second time with
# E2E_REDIS=cluster: each cluster of processes on a Redis Cluster of its own
# (3 primaries on loopback), the same tests as on one node.
#
# testkit/exit-watchdog.js fails a test file whose process has not exited a
# minute after its last test, naming what holds it open, instead of leaving
# the run to hang until CI's limit.
WATCHDOG = --import ./dist/testkit/exit-watchdog.js
E2E_ON_REDIS_CLUSTER = skeleton rooms resume publish-properties read-your-writes presence files \
	chat-features live-membership gateway-limits-typing batch-frames client-messaging client-rooms socketio
test: services build
	node --test --test-concurrency=1 $(WATCHDOG) $$(find dist -name '*.test.js' | sort)
	E2E_REDIS=cluster node --test --test-concurrency=1 $(WATCHDOG) $(foreach f,$(E2E_ON_REDIS_CLUSTER),dist/e2e/$(f).test.js)
	bash scripts/other-node.sh --smoke 22 24

bench: services build
	node dist/loadtest/bench/main.js $(BENCH_ARGS)

clean:
	rm -rf dist
