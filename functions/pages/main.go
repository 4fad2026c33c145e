// Command pages is the pages function: API Gateway HTTP API events for the server-rendered pages
// (httpapi.Pages: /t/{id}, its cover and card, /embed/{id}, /oembed), the sets (httpapi.Sets:
// /api/sets, /s/{id}) and the HTML not-found page of any other path (httpapi.NotFound), which
// CloudFront falls back to when the site bucket has no such file. They read tracks and sign
// their GETs only, so the function's bucket has no S3 client (app.LoadSigning): it executes
// html/template, and a binary that does and holds an *s3.Client keeps all of S3's operations.
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
	a, err := app.LoadSigning(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(apigw.NewHandler(a.API().Handler(httpapi.Pages, httpapi.Sets, httpapi.NotFound)))
}
