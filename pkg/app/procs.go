package app

import (
	"math"
	"runtime"
	"strconv"
)

// MBPerVCPU is the memory at which Lambda gives a function one whole vCPU; below it the function
// gets that fraction of one CPU's time, however many CPUs its sandbox shows.
const MBPerVCPU = 1769

// MaxProcs is the GOMAXPROCS that fits a Lambda function's CPU share: 1 below MBPerVCPU of
// memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, in MB), else the share rounded up, at most cpus. It
// returns 0 (leave the runtime's choice) when GOMAXPROCS is set explicitly or the memory size is
// absent or malformed (not in Lambda: the local runner, the tests).
//
// A small function's sandbox shows two CPUs, so Go would run two Ps, and the garbage collector
// its idle mark workers on the second, all out of a fraction of one CPU's time: every CPU
// millisecond they take is billed and delays the request.
func MaxProcs(getenv func(string) string, cpus int) int {
	if getenv("GOMAXPROCS") != "" {
		return 0
	}
	mb, err := strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	if err != nil || mb <= 0 {
		return 0
	}
	if mb < MBPerVCPU {
		return 1
	}
	return max(1, min(cpus, int(math.Ceil(float64(mb)/MBPerVCPU))))
}

// setMaxProcs applies MaxProcs to this process.
func setMaxProcs(getenv func(string) string) {
	if n := MaxProcs(getenv, runtime.NumCPU()); n > 0 {
		runtime.GOMAXPROCS(n)
	}
}
