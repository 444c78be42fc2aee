# infra/infra.mk: build the Lambda bootstraps and drive the CDK app (infra/).
# Included by the root Makefile; every path is relative to the repository root.
#
#   make build-lambdas          .build/<fn>/bootstrap for every functions/<fn>/main.go (linux/arm64)
#   make synth                  offline: cdk.out/Redress-<stage>.template.json (cdk-nag runs in the app)
#   make bootstrap              cdk bootstrap, once per account and region (not part of deploy)
#   make deploy                 cdk deploy; outputs in .build/cdk-outputs.json
#   make diff / make destroy    compare with / delete the deployed stack
#   make test-infra             CDK assertion, permission and cdk-nag tests
#
# The CDK app builds the functions it packages itself (infra/lambdabuild,
# pinned flags, reproducible), so synth, diff and deploy need no separate
# build step and a bare `npx cdk deploy` ships what the source says.
#
# Settings (make VAR=value):
#   STAGE=prod                  -c stage=prod (default: cdk.json's "dev"); outside dev
#                               account, region and alarmEmail/alarmTopicArn are required
#   CDK_ARGS='-c alarmEmail=ops@example.org -c account=123456789012 -c region=eu-west-1'
#   CDK_APPROVAL=never          deploy without the IAM/security-change prompt (CI); default broadening
#   INFRA_ASSET_ROOT=dir        where the app builds <fn>/bootstrap (default .build)

INFRA_ENV := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
	CDK_DISABLE_VERSION_CHECK=true \
	CDK_DISABLE_CLI_TELEMETRY=true \
	AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true \
	NPM_CONFIG_UPDATE_NOTIFIER=false \
	NPM_CONFIG_FUND=false

LAMBDA_DIR       ?= .build
INFRA_ASSET_ROOT ?= $(LAMBDA_DIR)

CDK          := npx --no-install cdk
CDK_APPROVAL ?= broadening
CDK_OUTPUTS  ?= $(LAMBDA_DIR)/cdk-outputs.json
CDK_FLAGS     = --no-notices -c assetRoot=$(INFRA_ASSET_ROOT) $(if $(STAGE),-c stage=$(STAGE)) $(CDK_ARGS)
CDK_DEPS     := node_modules/.package-lock.json

.PHONY: build-lambdas synth bootstrap deploy diff destroy test-infra cdk-deps

# The same builder as the CDK app's (flags in infra/lambdabuild).
build-lambdas:
	$(GO) run ./tools/buildlambdas $(LAMBDA_DIR)

# The CDK CLI, pinned by package-lock.json.
cdk-deps: $(CDK_DEPS)
$(CDK_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Works offline: no AWS credentials or network needed.
synth: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) synth --quiet $(CDK_FLAGS)

# Once per account and region, by someone allowed to create the CDK toolkit
# stack; a platform team may have done it already, with its own template
# (docs/deploy.md). deploy never runs it.
bootstrap: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) bootstrap $(CDK_FLAGS)

deploy: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) deploy --require-approval $(CDK_APPROVAL) --outputs-file $(CDK_OUTPUTS) $(CDK_FLAGS)
	@echo "Stack outputs: $(CDK_OUTPUTS)"

diff: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) diff $(CDK_FLAGS)

# Stages other than dev keep their tables, user pool and logs (RETAIN).
destroy: $(CDK_DEPS)
	$(INFRA_ENV) $(CDK) destroy $(CDK_FLAGS)

test-infra:
	$(INFRA_ENV) go test ./infra/...
