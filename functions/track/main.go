// Command track is the track function: API Gateway HTTP API events for the httpapi.Tracks routes.
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
	srv := &httpapi.Server{Tracks: env.Tracks, BaseURL: env.Config.PublicBaseURL, Log: env.Log, Health: env.Health}
	lambda.Start(apigw.Handler(srv.Handler(httpapi.Tracks)))
}
