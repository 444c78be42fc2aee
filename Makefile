# Redress: `make run` serves the API locally; `make test` runs every test.
# Both install what they need first (moto from Debian packages, Go modules,
# the CDK CLI from npm) and work offline afterwards.

SHELL := /bin/bash
GO ?= go

# Silence the jsii banner about Node 20's end of life and keep the CDK CLI
# from phoning home (no network here, and none wanted in CI).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := true
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED := true

MOTO := .cache/moto/moto_server

.PHONY: run test test-go calls vet lint tidy-check fmt-check deps moto test-tools schema bench fuzz fuzz-short load clean

## run: start moto, create tables and bus, serve the API on 127.0.0.1:8080
run: moto
	$(GO) run ./infra/local run

## test: install test dependencies, vet, staticcheck, check go.mod is tidy,
## run every Go test, a few seconds of each fuzz target, synthesize the stack
test: deps fmt-check vet lint tidy-check test-go fuzz-short synth

deps: moto test-tools
	$(GO) mod download

# chromium (explorer page test), curl and jq (README walkthrough test).
test-tools:
	bash scripts/install-test-tools.sh

## schema: regenerate docs/schema.graphql from the served schema (make test
## fails while it differs)
schema:
	UPDATE_SCHEMA=1 $(GO) test -count=1 -run SchemaFile ./shared/gql

moto: $(MOTO)
$(MOTO): scripts/install-moto.sh scripts/moto_server.py
	bash scripts/install-moto.sh .cache/moto

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck at a pinned version, built from the Go module proxy into
# .cache/bin (the version is in the file name, so changing it rebuilds).
STATICCHECK_VERSION := v0.8.2
STATICCHECK := .cache/bin/staticcheck-$(STATICCHECK_VERSION)
$(STATICCHECK):
	@mkdir -p .cache/bin/staticcheck.tmp
	GOBIN=$(abspath .cache/bin/staticcheck.tmp) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv .cache/bin/staticcheck.tmp/staticcheck $@ && rmdir .cache/bin/staticcheck.tmp

lint: $(STATICCHECK)
	$(STATICCHECK) ./...

# go.mod and go.sum must be what `go mod tidy` makes of the imports.
tidy-check:
	$(GO) mod tidy -diff

# CI=true makes a missing emulator fail tests instead of skipping them.
# Every AWS call the functions make in the tests is recorded (CALL_LOG) and
# must be what infra/testdata/calls.json says: the permission check of
# infra/stack reads that file, since packages test in parallel and cannot
# wait for each other (docs/deploy.md, "Permissions").
CALL_LOG := $(CURDIR)/.cache/calls
CALLS_FIXTURE := infra/testdata/calls.json
test-go:
	rm -rf $(CALL_LOG)
	CI=$${CI:-true} REDRESS_CALL_LOG=$(CALL_LOG) $(GO) test -count=1 -timeout 15m ./...
	$(GO) run ./tools/calls -check $(CALL_LOG) $(CALLS_FIXTURE)

## calls: record the functions' AWS calls again (handler and end-to-end
## tests) into infra/testdata/calls.json, after a change of what they call
calls: moto
	rm -rf $(CALL_LOG)
	CI=true REDRESS_CALL_LOG=$(CALL_LOG) $(GO) test -count=1 -timeout 15m ./functions/... ./infra/local/e2e
	$(GO) run ./tools/calls $(CALL_LOG) $(CALLS_FIXTURE)

## bench: benchmarks of every operation through the handler against moto,
## handler CPU, scale, stream consumers and cold starts; prints the tables
## of docs/performance.md (also in .cache/bench/summary.md). BENCH_RUNS
## sets the requests per moto benchmark, BENCH_CPU_TIME the CPU ones' time,
## BENCH_SCALE the table sizes of the list scale benchmark (comma list).
BENCH_RUNS ?= 30x
BENCH_CPU_TIME ?= 2s
BENCH_OUT := .cache/bench
bench: moto
	@mkdir -p $(BENCH_OUT)
	@echo "bench: handler CPU (in-memory store)"
	-$(GO) test -run '^$$' -bench 'HandlerCPU' -benchtime $(BENCH_CPU_TIME) -benchmem -json ./functions/graphql/ > $(BENCH_OUT)/cpu.json
	@echo "bench: operations, floor, scale and stream consumers against moto (a few minutes)"
	-CI=true $(GO) test -p 1 -run '^$$' -bench 'Operations|Floor|^BenchmarkScale|Stream' -benchtime $(BENCH_RUNS) -benchmem -timeout 60m -json ./functions/... > $(BENCH_OUT)/moto.json
	@echo "bench: what a text's first and later changes cost the history consumer (deterministic: two runs)"
	-CI=true $(GO) test -run '^$$' -bench 'TextChanges' -benchtime 2x -timeout 30m -json ./functions/history/ > $(BENCH_OUT)/textchanges.json
	@echo "bench: list operations at BENCH_SCALE tickets (default 1,000, 10,000, 100,000: hours through moto, most of it importing the 100,000-ticket tables; BENCH_SCALE=1000,10000 for a shorter run)"
	-CI=true $(GO) test -run '^$$' -bench 'ListScale' -benchtime 1x -timeout 480m -json ./functions/graphql/ > $(BENCH_OUT)/listscale.json
	@echo "bench: cold starts"
	$(GO) run ./tools/coldstart > $(BENCH_OUT)/coldstart.md
	@{ $(GO) run ./tools/benchtable $(BENCH_OUT)/cpu.json $(BENCH_OUT)/moto.json $(BENCH_OUT)/textchanges.json $(BENCH_OUT)/listscale.json; s=$$?; echo; cat $(BENCH_OUT)/coldstart.md; exit $$s; } | tee $(BENCH_OUT)/summary.md; exit $${PIPESTATUS[0]}

# Fuzz targets as package:FuzzName (docs/reliability.md). Each keeps its
# seed corpus in <package>/testdata/fuzz/<FuzzName>/.
FUZZ_TARGETS := \
	./functions/graphql:FuzzHandle \
	./shared/gql:FuzzDo \
	./shared/gql:FuzzValidationWork \
	./shared/store:FuzzDecodeChange \
	./shared/store:FuzzDecodeWide \
	./shared/store:FuzzDecodeSpan \
	./shared/store:FuzzDecodeWidePosting \
	./shared/grievance:FuzzParseResolution \
	./shared/grievance:FuzzParseDate \
	./shared/grievance:FuzzParseJSONExt
FUZZTIME ?= 30s
# make test's short run counts executions instead of seconds: Go 1.26's
# fuzz coordinator can report "context deadline exceeded" as a failure
# when a duration ends while a worker is busy (golang/go#75804, fixed in
# Go 1.27), which a loaded machine hits; a count has no deadline.
FUZZTIME_SHORT ?= 300x

# go test -fuzz takes one package and one target at a time.
define run-fuzz
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name in $$pkg for $(1)"; \
		CI=$${CI:-true} $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(1) $$pkg; \
	done
endef

## fuzz: run each fuzz target for FUZZTIME (default 30s)
fuzz: moto
	$(call run-fuzz,$(FUZZTIME))

fuzz-short: moto
	$(call run-fuzz,$(FUZZTIME_SHORT))

## load: loopback load and fault test of the local stack (LOAD_DURATION,
## LOAD_WORKERS, LOAD_FAULT_RATE; results as in docs/reliability.md)
load: moto
	$(GO) run ./infra/local load

clean:
	rm -rf .build cdk.out .cache/bin .cache/local

-include infra/infra.mk
