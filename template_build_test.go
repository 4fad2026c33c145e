package soundtime_test

// What sam build and sam deploy read besides the template: the Makefile's build targets and
// samconfig.toml.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

// sam build runs `make build-<LogicalId>` for BuildMethod: makefile; a missing target only
// shows up at deploy time otherwise.
func TestTemplateMakefileTargets(t *testing.T) {
	tp := loadTemplate(t)
	raw, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read %s: %v", makefilePath, err)
	}
	targets := makeTargets(string(raw))
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		if cfn.Scalar(cfn.Get(tp.Resource(id), "Metadata", "BuildMethod")) != "makefile" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			if !targets["build-"+id] {
				t.Errorf("%s has no target build-%s", makefilePath, id)
			}
		})
	}
	// A layer's Makefile is the one in its ContentUri.
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

// Each function's build target compiles its own command, functions/<name> for <Name>Function,
// into $(ARTIFACTS_DIR)/bootstrap: a copy-pasted target would deploy another function's code.
func TestTemplateMakefileRecipes(t *testing.T) {
	raw, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read %s: %v", makefilePath, err)
	}
	src := string(raw)
	build := regexp.MustCompile(`(?m)^LAMBDA_BUILD\s*=\s*(.*)$`).FindStringSubmatch(src)
	if build == nil || !strings.Contains(build[1], "-o $(ARTIFACTS_DIR)/bootstrap") || !strings.Contains(build[1], "GOARCH=arm64") || !strings.Contains(build[1], "lambda.norpc") {
		t.Fatalf("LAMBDA_BUILD = %v, want an arm64 lambda.norpc build to $(ARTIFACTS_DIR)/bootstrap", build)
	}
	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			dir := "functions/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
			if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				t.Errorf("%s: %v", dir, err)
			}
			recipe := makeRecipe(src, "build-"+id)
			if !regexp.MustCompile(`(?m)^\t\$\(LAMBDA_BUILD\) \./` + regexp.QuoteMeta(dir) + `\s*$`).MatchString(recipe) {
				t.Errorf("build-%s recipe does not run $(LAMBDA_BUILD) ./%s:\n%s", id, dir, recipe)
			}
		})
	}
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
