// Command upload is the upload function: API Gateway HTTP API events for the httpapi.Uploads routes.
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
	// Per warm instance, behind API Gateway's throttling of the whole API.
	srv := &httpapi.Server{Tracks: env.Tracks, BaseURL: env.Config.PublicBaseURL, Log: env.Log, Health: env.Health,
		Limit: httpapi.NewLimiter(120, 60)}
	lambda.Start(apigw.Handler(srv.Handler(httpapi.Uploads)))
}
