// Command track is the track function: API Gateway HTTP API events for the httpapi.Tracks routes
// (GET/DELETE /api/tracks/{id}, its playlist, gettrackinfo, healthz, /api/stats). The pages, the
// sets and the not-found page are the pages function's (functions/pages): they execute
// html/template, and a binary that does and holds an *s3.Client keeps all of S3's operations
// (docs/design.md, "Handlers at the floor").
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/httpapi"
)

func main() {
	a, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(apigw.NewHandler(a.API().Handler(httpapi.Tracks)))
}
