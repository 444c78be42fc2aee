# infra/infra.mk: build the Lambda bootstraps and drive the CDK app (infra/).
# Included by the root Makefile; every path is relative to the repository root.
#
#   make build-lambdas          .build/<fn>/bootstrap for every functions/<fn>/main.go (linux/arm64)
#   make synth                  offline: cdk.out/Redress-<stage>.template.json
#   make deploy                 cdk bootstrap (idempotent) + cdk deploy; outputs in .build/cdk-outputs.json
#   make diff / make destroy    compare with / delete the deployed stack
#   make test-infra             CDK assertion and cdk-nag tests
#
# Settings (make VAR=value):
#   STAGE=prod                  -c stage=prod (default: cdk.json's "dev")
#   CDK_ARGS='-c alarmEmail=ops@example.org -c corsOrigins=https://grm.example.org'
#   CDK_APPROVAL=never          deploy without the IAM/security-change prompt (CI); default broadening
#   INFRA_ASSET_ROOT=dir        where the stack finds <fn>/bootstrap (default .build)

INFRA_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
	CDK_DISABLE_VERSION_CHECK=true \
	CDK_DISABLE_CLI_TELEMETRY=true \
	AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
	NPM_CONFIG_UPDATE_NOTIFIER=false \
	NPM_CONFIG_FUND=false

LAMBDA_DIR       ?= .build
INFRA_ASSET_ROOT ?= $(LAMBDA_DIR)
LAMBDAS          := $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go))
LAMBDA_GOFLAGS   := -tags lambda.norpc -trimpath -ldflags="-s -w"

CDK          := npx --no-install cdk
CDK_APPROVAL ?= broadening
CDK_OUTPUTS  ?= $(LAMBDA_DIR)/cdk-outputs.json
CDK_FLAGS     = --no-notices -c assetRoot=$(INFRA_ASSET_ROOT) $(if $(STAGE),-c stage=$(STAGE)) $(CDK_ARGS)
CDK_DEPS     := node_modules/.package-lock.json

.PHONY: build-lambdas synth deploy diff destroy test-infra cdk-deps

build-lambdas: $(addprefix build-lambda-,$(LAMBDAS))

# Same flags for every function; keep in step with the runtime settings in
# infra/stack/functions.go (provided.al2023, arm64, handler "bootstrap").
build-lambda-%:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(LAMBDA_GOFLAGS) -o $(LAMBDA_DIR)/$*/bootstrap ./functions/$*

# The CDK CLI, pinned by package-lock.json.
cdk-deps: $(CDK_DEPS)
$(CDK_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Works offline: no AWS credentials or network needed.
synth: build-lambdas $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) synth --quiet $(CDK_FLAGS)

deploy: build-lambdas $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) bootstrap $(CDK_FLAGS)
	$(INFRA_ENV) $(CDK) deploy --require-approval $(CDK_APPROVAL) --outputs-file $(CDK_OUTPUTS) $(CDK_FLAGS)
	@echo "Stack outputs: $(CDK_OUTPUTS)"

diff: build-lambdas $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) diff $(CDK_FLAGS)

# Stages other than dev keep their tables, user pool and logs (RETAIN).
destroy: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) destroy $(CDK_FLAGS)

test-infra:
	$(INFRA_ENV) go test ./infra/...
