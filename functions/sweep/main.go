// Command sweep is the sweep function: an EventBridge schedule runs it to hand uploads whose event
// was lost and processing runs that died back to the process function, and to fail what stays
// overdue.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/invoke"
)

func main() {
	a, err := app.Load(context.Background(), os.Getenv)
	if err == nil && a.Config.ProcessFunction == "" {
		err = fmt.Errorf("config: PROCESS_FUNCTION is required by the sweep function")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	process := invoke.Function{API: awslambda.NewFromConfig(a.AWS), Name: a.Config.ProcessFunction}
	lambda.Start(a.Sweeper(process.Async).Handle)
}
