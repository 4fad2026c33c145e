// Command expire is the expire function: the tracks table's stream (REMOVE records, filtered by
// the event source mapping), with partial batch responses.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/lambdaenv"
)

func main() {
	env := lambdaenv.Load(context.Background())
	h := &expire.Handler{Blobs: env.Bucket, Log: env.Log}
	lambda.Start(h.Handle)
}
