# The build line every function shares. sam build runs `make build-<LogicalId>` with the Makefile
# in the function's CodeUri (functions/<name>, template.yaml), in that very folder (samconfig.toml:
# build_in_source; make deploy passes --build-in-source), with ARTIFACTS_DIR set: go build
# compiles the folder's main package and finds go.mod at the repository root above it, and
# nothing is copied. `make lambdas` at the root runs the same targets.

GO ?= go

define LAMBDA_BUILD
@test -n '$(ARTIFACTS_DIR)' || { echo 'ARTIFACTS_DIR is not set: sam build sets it, and so does make lambdas at the root' >&2; exit 1; }
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o '$(ARTIFACTS_DIR)/bootstrap' .
endef
