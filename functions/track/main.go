// Command track is the track function: API Gateway HTTP API events for the httpapi.Tracks routes
// and the server-rendered pages (/t/{id}, /embed/{id}, /oembed), which read the same way.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/lambdaenv"
)

func main() {
	env := lambdaenv.Load(context.Background())
	lambda.Start(apigw.Handler(env.API().Handler(httpapi.Tracks, httpapi.Pages)))
}
