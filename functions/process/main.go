// Command process is the process function: S3 ObjectCreated events under uploads/.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/lambdaenv"
	"github.com/soundtime/soundtime/pkg/process"
)

func main() {
	env := lambdaenv.Load(context.Background())
	h := &process.Handler{Tracks: env.Tracks, Log: env.Log, Bucket: env.Config.MediaBucket}
	lambda.Start(h.Handle)
}
