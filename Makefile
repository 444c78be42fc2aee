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

.PHONY: run test test-go vet fmt-check deps moto bench fuzz clean

## run: start moto, create tables and bus, serve the API on 127.0.0.1:8080
run: moto
	$(GO) run ./infra/local run

## test: install test dependencies, vet, run every Go test, synthesize the stack
test: deps fmt-check vet test-go synth

deps: moto
	$(GO) mod download

moto: $(MOTO)
$(MOTO): scripts/install-moto.sh scripts/moto_server.py
	bash scripts/install-moto.sh .cache/moto

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# CI=true makes a missing emulator fail tests instead of skipping them.
test-go:
	CI=$${CI:-true} $(GO) test -count=1 -timeout 15m ./...

## bench: benchmarks of every operation (see docs/performance.md)
bench: moto
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf .build cdk.out .cache/bin .cache/local

-include infra/infra.mk
