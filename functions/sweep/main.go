// Command sweep is the sweep function: an EventBridge schedule runs it to hand uploads whose event
// was lost and processing runs that died back to the process function, and to fail what stays
// overdue.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/soundtime/soundtime/pkg/invoke"
	"github.com/soundtime/soundtime/pkg/lambdaenv"
	"github.com/soundtime/soundtime/pkg/process"
)

func main() {
	env := lambdaenv.Load(context.Background())
	if env.Config.ProcessFunction == "" {
		env.Log.Error("bad configuration: PROCESS_FUNCTION is required")
		os.Exit(1)
	}
	fn := invoke.Function{API: awslambda.NewFromConfig(env.AWS), Name: env.Config.ProcessFunction}
	s := &process.Sweeper{Tracks: env.Tracks, Bucket: env.Config.MediaBucket, Log: env.Log, Process: fn.Async}
	lambda.Start(s.Handle)
}
