package soundtime_test

// What sam build and sam deploy read besides the template: the functions' Makefiles, the root
// Makefile's lint and build targets, and samconfig.toml.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

// The cfn-lint release make lint-template requires (the Makefile's CFN_LINT_VER).
const cfnLintVersion = "1.51.0"

// sam build runs `make build-<LogicalId>` with the Makefile in the resource's CodeUri (a layer's
// ContentUri); a missing target only shows up at deploy time otherwise.
func TestTemplateMakefileTargets(t *testing.T) {
	tp := loadTemplate(t)
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		if cfn.Scalar(cfn.Get(tp.Resource(id), "Metadata", "BuildMethod")) != "makefile" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			mk := filepath.Join(cfn.Scalar(tp.Properties(id)["CodeUri"]), "Makefile")
			raw, err := os.ReadFile(mk)
			if err != nil {
				t.Fatalf("read %s: %v", mk, err)
			}
			if !makeTargets(string(raw))["build-"+id] {
				t.Errorf("%s has no target build-%s", mk, id)
			}
		})
	}
	for _, id := range tp.OfType("AWS::Serverless::LayerVersion") {
		if cfn.Scalar(cfn.Get(tp.Resource(id), "Metadata", "BuildMethod")) != "makefile" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			mk := filepath.Join(cfn.Scalar(tp.Properties(id)["ContentUri"]), "Makefile")
			raw, err := os.ReadFile(mk)
			if err != nil {
				t.Fatalf("read %s: %v", mk, err)
			}
			if !makeTargets(string(raw))["build-"+id] {
				t.Errorf("%s has no target build-%s", mk, id)
			}
		})
	}
}

// Each function is built from its own folder, functions/<name> for <Name>Function, whose Makefile
// runs the shared $(LAMBDA_BUILD) of functions/lambda.mk: an arm64, lambda.norpc build of that
// folder's main package into $(ARTIFACTS_DIR)/bootstrap. A copy-pasted target would deploy
// another function's code, so each Makefile may name only its own function.
func TestTemplateMakefileRecipes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("functions", "lambda.mk"))
	if err != nil {
		t.Fatal(err)
	}
	build := regexp.MustCompile(`(?s)define LAMBDA_BUILD\n(.*?)\nendef`).FindStringSubmatch(string(raw))
	if build == nil {
		t.Fatal("functions/lambda.mk defines no LAMBDA_BUILD")
	}
	for _, want := range []string{"GOARCH=arm64", "CGO_ENABLED=0", "-tags lambda.norpc", "-o '$(ARTIFACTS_DIR)/bootstrap' .", "test -n '$(ARTIFACTS_DIR)'"} {
		if !strings.Contains(build[1], want) {
			t.Errorf("LAMBDA_BUILD lacks %q:\n%s", want, build[1])
		}
	}
	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			dir := "functions/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
			if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				t.Errorf("%s: %v", dir, err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "Makefile"))
			if err != nil {
				t.Fatal(err)
			}
			src := string(raw)
			if !strings.Contains(src, "include $(dir $(lastword $(MAKEFILE_LIST)))../lambda.mk") {
				t.Errorf("%s/Makefile does not include ../lambda.mk", dir)
			}
			if got := makeRecipe(src, "build-"+id); got != "\t$(LAMBDA_BUILD)\n" {
				t.Errorf("build-%s recipe = %q, want \\t$(LAMBDA_BUILD)", id, got)
			}
			for target := range makeTargets(src) {
				if target != "build-"+id && target != ".PHONY" {
					t.Errorf("%s/Makefile has target %s: only build-%s belongs here", dir, target, id)
				}
			}
		})
	}
	// make lambdas cross-compiles what sam build would, from the same targets.
	root, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)^FUNCTIONS := (.*)$`).FindStringSubmatch(string(root)); m == nil || len(strings.Fields(m[1])) != len(functionIDs) {
		t.Errorf("Makefile FUNCTIONS = %v, want the %d functions", m, len(functionIDs))
	}
	if recipe := makeRecipe(string(root), "lambdas"); !strings.Contains(recipe, "-C functions/$$f") || !strings.Contains(recipe, "build-$${f^}Function") {
		t.Errorf("lambdas does not run each functions/<name>/Makefile:\n%s", recipe)
	}
}

// samconfig.toml: every environment builds in the source tree (a copy of functions/<name> alone
// has no go.mod) without SAM's cache (keyed on that folder, it would miss changes in pkg/), and
// nothing pins a region: the stack has nothing that must live in us-east-1.
func TestSamconfig(t *testing.T) {
	raw, err := os.ReadFile(samconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	for _, env := range []string{"default", "prod"} {
		section := tomlSection(src, env+".build.parameters")
		if !regexp.MustCompile(`(?m)^build_in_source = true$`).MatchString(section) {
			t.Errorf("[%s.build.parameters] lacks build_in_source = true", env)
		}
		if regexp.MustCompile(`(?m)^cached = true$`).MatchString(section) {
			t.Errorf("[%s.build.parameters] sets cached = true: SAM's cache is keyed on functions/<name>, not on pkg/", env)
		}
		deploy := tomlSection(src, env+".deploy.parameters")
		for _, want := range []string{`capabilities = "CAPABILITY_IAM"`, "resolve_s3 = true"} {
			if !strings.Contains(deploy, want) {
				t.Errorf("[%s.deploy.parameters] lacks %s", env, want)
			}
		}
		if strings.Contains(deploy, "PublicBaseUrl") {
			t.Errorf("[%s.deploy.parameters] sets PublicBaseUrl: make deploy derives it", env)
		}
	}
	if regexp.MustCompile(`(?m)^region\s*=`).MatchString(src) {
		t.Errorf("%s pins a region", samconfigPath)
	}
	if !strings.Contains(tomlSection(src, "prod.deploy.parameters"), "confirm_changeset = false") {
		t.Error("[prod.deploy.parameters] asks for confirmation: CI deploys it")
	}
}

// make test runs cfn-lint, at the pinned version, from test-go (which CI's make test runs).
func TestMakefileLintsTemplate(t *testing.T) {
	raw, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatal(err)
	}
	src := string(raw)
	if m := regexp.MustCompile(`(?m)^CFN_LINT_VER := (\S+)$`).FindStringSubmatch(src); m == nil || m[1] != cfnLintVersion {
		t.Errorf("CFN_LINT_VER = %v, want %s", m, cfnLintVersion)
	}
	if !regexp.MustCompile(`(?m)^test-go:[^#\n]*\blint-template\b`).MatchString(src) {
		t.Error("test-go does not depend on lint-template")
	}
	recipe := makeRecipe(src, "lint-template")
	for _, want := range []string{"cfn-lint template.yaml", "pip install 'cfn-lint==$(CFN_LINT_VER)'"} {
		if !strings.Contains(recipe, want) {
			t.Errorf("lint-template lacks %q:\n%s", want, recipe)
		}
	}
	// The informational checks are on for cfn-lint run by hand too.
	rc, err := os.ReadFile(".cfnlintrc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^include_checks:\n\s+- I$`).Match(rc) {
		t.Errorf(".cfnlintrc.yaml does not include the informational checks:\n%s", rc)
	}
}

// tomlSection returns the lines of [name] in a TOML file, up to the next table.
func tomlSection(src, name string) string {
	_, after, ok := strings.Cut(src, "\n["+name+"]\n")
	if !ok {
		return ""
	}
	if i := strings.Index(after, "\n["); i >= 0 {
		after = after[:i]
	}
	return after
}

// makeTargets returns the explicit targets of a Makefile's rule lines ("a b: deps").
func makeTargets(src string) map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		lhs, rest, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(rest, "=") || strings.Contains(lhs, "=") {
			continue // an assignment (:=, ::=), not a rule
		}
		for _, f := range strings.Fields(lhs) {
			out[f] = true
		}
	}
	return out
}

// makeRecipe returns the recipe lines of target's rule.
func makeRecipe(src, target string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			b.WriteString(line + "\n")
		case in:
			return b.String()
		}
	}
	return b.String()
}

// stackName reads [default.global.parameters] stack_name, the stack the sample bucket belongs to.
func stackName(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(samconfigPath)
	if err != nil {
		t.Fatalf("read %s: %v", samconfigPath, err)
	}
	m := regexp.MustCompile(`(?s)\[default\.global\.parameters\][^\[]*?stack_name\s*=\s*"([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no stack_name in [default.global.parameters]", samconfigPath)
	}
	return string(m[1])
}
