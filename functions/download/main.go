// Command download is the download function: API Gateway HTTP API events for the httpapi.Downloads routes.
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
	lambda.Start(apigw.NewHandler(a.API().Handler(httpapi.Downloads)))
}
