package app_test

import (
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
