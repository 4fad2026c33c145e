// Command process is the process function: S3 ObjectCreated events under uploads/.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/lambdaenv"
	"github.com/soundtime/soundtime/pkg/process"
)

func main() {
	env := lambdaenv.Load(context.Background())
	m, err := env.ProcessMedia()
	if err != nil {
		env.Log.Error("media configuration", "error", err.Error())
		os.Exit(1)
	}
	h := &process.Handler{Tracks: env.Tracks, Blobs: env.Bucket, Log: env.Log, Bucket: env.Config.MediaBucket, Media: m}
	lambda.Start(h.Handle)
}
