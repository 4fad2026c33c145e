// Command process is the process function: fed by the process queue's event source (S3
// ObjectCreated notifications under uploads/, and the sweep's redrives of them), one message an
// invocation, at most the template's ProcessConcurrency at once.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/app"
)

func main() {
	a, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h, err := a.Process()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(h.HandleQueue)
}
