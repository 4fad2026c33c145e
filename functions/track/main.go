// Command track is the track function: API Gateway HTTP API events for the httpapi.Tracks routes
// and the server-rendered pages (/t/{id}, /embed/{id}, /oembed), which read the same way, and the
// httpapi.Sets routes (/api/sets, /s/{id}), which read and sign tracks alike; and the HTML
// not-found page of any other path (httpapi.NotFound), which CloudFront falls back to when the
// site bucket has no such file.
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
	lambda.Start(apigw.NewHandler(a.API().Handler(httpapi.Tracks, httpapi.Pages, httpapi.Sets, httpapi.NotFound)))
}
