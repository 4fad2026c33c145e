// Command federation is the federation function: API Gateway HTTP API events for WebFinger,
// NodeInfo and the ActivityPub routes (the httpapi.Federation group).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/ssm"
)

func main() {
	ctx := context.Background()
	a, err := app.Load(ctx, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var groups []httpapi.Group
	if a.Config.Federation.Enabled {
		if a.Secrets, err = ssm.ActorKey(a.AWS, a.Config.Federation.KeyParameter); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fed, err := a.Federation(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		groups = append(groups, httpapi.Federation(fed))
	}
	lambda.Start(apigw.NewHandler(a.API().Handler(groups...)))
}
