package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/app"
)

func TestMaxProcs(t *testing.T) {
	for _, tc := range []struct {
		name       string
		env        map[string]string
		cpus, want int
	}{
		{"not in Lambda", map[string]string{}, 2, 0},
		{"128 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 2, 1},
		{"256 MB, the API functions", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"}, 2, 1},
		{"just below one vCPU", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1768"}, 2, 1},
		{"one vCPU", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"}, 2, 1},
		{"3008 MB, the process function", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}, 2, 2},
		{"10240 MB", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 6, 6},
		{"never more than the CPUs", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}, 4, 4},
		{"GOMAXPROCS set explicitly", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "GOMAXPROCS": "2"}, 2, 0},
		{"malformed memory", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 2, 0},
		{"zero memory", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "0"}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := app.MaxProcs(func(k string) string { return tc.env[k] }, tc.cpus); got != tc.want {
				t.Errorf("MaxProcs = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLambdaAWS(t *testing.T) {
	env := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
	}
	cfg, err := app.LambdaAWS(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region %q", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIAEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" || creds.CanExpire {
		t.Errorf("credentials %+v", creds)
	}

	delete(env, "AWS_SECRET_ACCESS_KEY")
	delete(env, "AWS_REGION")
	_, err = app.LambdaAWS(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "AWS_REGION, AWS_SECRET_ACCESS_KEY not set") {
		t.Errorf("error = %v, want one naming AWS_REGION and AWS_SECRET_ACCESS_KEY", err)
	}
}
