package soundtime_test

import (
	"os/exec"
	"strings"
	"testing"
)

// What a function's binary links is what it initialises at every cold start and what its size is
// made of (docs/benchmarks.md, "Cold start and binary size"). These packages were cut from the
// functions that do not need them; this keeps them out. Building every function to weigh it
// takes minutes; reading the import graph takes seconds.
func TestFunctionImports(t *testing.T) {
	forbidden := map[string][]string{
		// The SDK's default configuration chain (STS, SSO, SSO OIDC, sign-in clients): the
		// functions read Lambda's environment (app.LambdaAWS).
		"github.com/aws/aws-sdk-go-v2/config": {"upload", "track", "pages", "download", "process", "sweep", "federation", "deliver", "expire", "unlist", "reconcile"},
		// Parameter Store: only deliver and federation read the actor's key.
		"github.com/aws/aws-sdk-go-v2/service/ssm": {"upload", "track", "pages", "download", "process", "sweep", "expire", "unlist", "reconcile"},
	}
	for _, fn := range []string{"upload", "track", "pages", "download", "process", "sweep", "federation", "deliver", "expire", "unlist", "reconcile"} {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "./functions/"+fn)
			cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := map[string]bool{}
			for _, p := range strings.Fields(string(out)) {
				deps[p] = true
			}
			if !deps["github.com/aws/aws-lambda-go/lambda"] {
				t.Fatalf("the import graph of %s lacks aws-lambda-go: %d packages listed", fn, len(deps))
			}
			for pkg, fns := range forbidden {
				for _, f := range fns {
					if f == fn && deps[pkg] {
						t.Errorf("functions/%s imports %s", fn, pkg)
					}
				}
			}
		})
	}
}
